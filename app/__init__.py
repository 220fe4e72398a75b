"""The ASGI entry point: gunicorn and uvicorn load ``app:app``; ``create_app`` builds one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from app.factory import create_app as create_app

    app: Starlette

__all__ = ["app", "create_app"]


def __getattr__(name: str) -> Any:
    # Built on first access rather than at import: gunicorn.conf.py and the outbox
    # worker import app.logs and must not build a web app to do so. Either way,
    # building reads settings and opens no connection (gunicorn forks after it).
    if name == "create_app":
        from app.factory import create_app

        return create_app
    if name == "app":
        from app.factory import default_app

        built = default_app()
        globals()["app"] = built
        return built
    raise AttributeError(f"module 'app' has no attribute {name!r}")
