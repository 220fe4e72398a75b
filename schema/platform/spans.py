"""Strawberry's OpenTelemetry extension, one span per operation and its parse and validation.

Imported only when traces are on (schema/__init__.py). Without per-field spans: an
extension with a ``resolve`` hook wraps every field, which turns off the executor's
fast path (schema/platform/execution.py) and makes a span per resolver; the SQL spans
(app/tracing.py) already show where a request's time goes.
"""

from __future__ import annotations

from strawberry.extensions import SchemaExtension
from strawberry.extensions.tracing import OpenTelemetryExtension


class OperationSpans(OpenTelemetryExtension):
    """OpenTelemetryExtension less its per-field hook (Strawberry then installs no middleware)."""

    resolve = SchemaExtension.resolve  # type: ignore[assignment]
