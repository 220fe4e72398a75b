"""Logging in one place: JSON or text lines, the request id on every record, gunicorn's too."""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from schema.platform.request_facts import current_request_id
from settings import Settings

# Attributes every LogRecord has; anything else on a record came in through `extra`
# (except Uvicorn's color_message, its message again with terminal colours).
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request's id, so any line can be traced to one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what a log shipper indexes without parsing rules."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line["request_id"] = request_id
        line.update(_extra(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A readable line for a terminal: the message, then the structured fields as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = _extra(record)
        request_id = getattr(record, "request_id", None)
        if request_id is not None and "request_id" not in record.getMessage():
            fields = {"request_id": request_id, **fields}
        if not fields:
            return text
        head, newline, tail = text.partition("\n")  # keep a traceback below the fields
        pairs = " ".join(f"{key}={value}" for key, value in fields.items())
        return f"{head} {pairs}{newline}{tail}"


def logging_config(settings: Settings) -> dict[str, Any]:
    """A dictConfig for the app, the worker and gunicorn (gunicorn.conf.py's logconfig_dict).

    gunicorn.error keeps a handler of its own and does not propagate, because the
    Uvicorn worker copies its handlers onto uvicorn.error: both then write the same
    lines as the app. The access log stays off: the app writes one line per request.
    """
    formatter = "json" if settings.logs_as_json else "text"
    handler = ["console"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}, "text": {"()": TextFormatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": settings.log_level, "handlers": handler},
        "loggers": {
            "gunicorn.error": {
                "level": settings.log_level,
                "handlers": handler,
                "propagate": False,
            },
            "gunicorn.access": {"level": "WARNING", "handlers": handler, "propagate": False},
        },
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))
