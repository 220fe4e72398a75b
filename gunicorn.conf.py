"""Gunicorn settings: Uvicorn workers from WEB_CONCURRENCY, bounded clients, a graceful stop."""

import multiprocessing
import os

from app import balance
from app.logs import logging_config
from app.metrics_files import prepare_directory, remove_made_directory, worker_exited
from settings import get_settings

settings = get_settings()
# Metrics across workers (app/metrics.py): prometheus-client's multiprocess directory,
# emptied (or made) here in the master, before the app is loaded and anything imports
# the library, which reads PROMETHEUS_MULTIPROC_DIR once, at import, in every process.
_metrics_dir_made = False
if settings.metrics_enabled:
    _metrics_dir_made = settings.metrics_dir is None
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = prepare_directory(settings.metrics_dir)
    # The settings name the directory now; the app (and every worker) reads these.
    get_settings.cache_clear()
    settings = get_settings()

bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# One worker per core by default: each worker is a single event loop.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
# uvicorn-worker's worker with uvloop and a bounded httptools protocol (app/server.py):
# MAX_HEADER_BYTES, MAX_HEADER_COUNT and HEADER_TIMEOUT_SECONDS are enforced there, as
# gunicorn's limit_request_* settings never reach Uvicorn's parser; BODY_TIMEOUT_SECONDS
# and MAX_REQUEST_BYTES in the app (app/middleware.py).
worker_class = "app.server.UvicornWorker"
# The same trusted proxies as the app's (app/proxies.py decides the client's address;
# Uvicorn's own proxy headers are off), so gunicorn never believes a wider set.
forwarded_allow_ips = ",".join(str(network) for network in settings.trusted_proxies)
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
logconfig_dict = logging_config(settings)
# gunicorn's control socket (gunicornc) defaults to one path per user, so a second
# instance on the host takes the first one's over: off unless GUNICORN_CONTROL_SOCKET
# names a path for this instance.
control_socket_disable = settings.control_socket is None
if settings.control_socket is not None:
    control_socket = settings.control_socket


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


if settings.worker_balance:
    # The table the workers take turns by (app/balance.py): a slot per worker, from the master.
    def pre_fork(server: object, worker: object) -> None:
        balance.assign(server, worker)


if settings.worker_balance or settings.metrics_dir is not None:

    def child_exit(server: object, worker: object) -> None:
        """A worker has gone: its balance slot is freed, its pool gauges leave the live sums."""
        if settings.worker_balance:
            balance.release(worker)
        if settings.metrics_dir is not None:
            worker_exited(settings.metrics_dir, worker.pid)  # type: ignore[attr-defined]


if settings.metrics_dir is not None:

    def on_exit(server: object) -> None:
        assert settings.metrics_dir is not None
        remove_made_directory(settings.metrics_dir, made=_metrics_dir_made)
