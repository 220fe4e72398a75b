"""Gunicorn settings: Uvicorn workers sized from WEB_CONCURRENCY, graceful shutdown."""

import multiprocessing
import os

from app.logs import logging_config
from settings import get_settings

bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# One worker per core by default: each worker is a single event loop.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
# uvloop and httptools when installed (they are, see requirements.txt).
worker_class = "uvicorn_worker.UvicornWorker"
# PaaS platforms send SIGTERM and wait about 30 s; finish in-flight requests well before.
graceful_timeout = 20
timeout = 30
keepalive = 5
# Importing the app reads settings and builds routes; it opens no connection, so
# loading it once before fork is safe and catches import errors at boot.
preload_app = True
# No access log: the app writes one structured line per request (app/middleware.py).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn's and Uvicorn's own lines in the app's format (JSON in production).
logconfig_dict = logging_config(get_settings())


def post_fork(server: object, worker: object) -> None:
    """Keep the collector off the objects every request shares.

    Everything loaded before fork (the schema, SQLAlchemy's mappers, graphql-core's
    types) lives as long as the worker; freezing it means full collections stop
    re-scanning hundreds of thousands of objects, which took about a quarter of a
    request's CPU in bench/profile.py. A larger first generation lets a request's
    short-lived objects die by reference count before a collection starts.
    """
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
