"""prometheus-client's multiprocess directory: made or emptied at gunicorn's start, tidied after.

Kept apart from app/metrics.py, which imports prometheus-client: the library chooses
its multiprocess mode from PROMETHEUS_MULTIPROC_DIR when first imported, so the
directory must be named before anything imports it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

_MADE_PREFIX = "medimyth-metrics-"


def prepare_directory(path: str | None) -> str:
    """The directory to use, holding no file of an earlier run (a fresh one when None).

    Files left by an earlier run would be added to this one's: counters would start
    where a previous instance stopped, and its workers' gauges would count as live.
    Only prometheus-client's own files (``*.db``) are removed from a named directory.
    """
    if path is None:
        return tempfile.mkdtemp(prefix=_MADE_PREFIX)
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob("*.db"):
        leftover.unlink()
    return str(directory)


def worker_exited(path: str, pid: int) -> None:
    """Drop a dead worker's live gauges (its counters and histograms still count)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]


def remove_made_directory(path: str, *, made: bool) -> None:
    """At gunicorn's exit: remove the directory when it was made for this run."""
    if made:
        shutil.rmtree(path, ignore_errors=True)
