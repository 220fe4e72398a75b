"""Gunicorn settings: Uvicorn workers sized from WEB_CONCURRENCY, graceful shutdown."""

import multiprocessing
import os

from settings import get_settings
from web.logs import logging_config

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
# No access log: the app writes one structured line per request (web/middleware.py).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn's and Uvicorn's own lines in the app's format (JSON in production).
logconfig_dict = logging_config(get_settings())
