"""Strawberry's extension runner with each extension class's hooks prepared once, not per request.

For every request and every stage (operation, parsing, validation, execution),
Strawberry inspects each extension's hook (is it a generator function? an async
one?) and wraps it in a fresh ``contextlib.contextmanager`` of a bound method,
which copies the function's metadata each time: for six extensions about a fifth
of a ``{ __typename }`` request's CPU. This runner decides per extension class and
stage once, and enters the same context managers in the same order: the hooks run
exactly as before.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from strawberry.extensions import SchemaExtension

# Internal to Strawberry (not exported from strawberry.extensions): the context managers
# its runner returns, their get_hook and HOOK_NAME, and WrappedHook. The public way is
# Strawberry's own SchemaExtensionsRunner (Schema.create_extensions_runner is public),
# which builds these same objects, but wraps every hook again on every request and stage:
# what this module saves. tests/platform/test_extension_runner.py and
# test_differential.py compare the two.
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner


class _Hook(NamedTuple):
    factory: Callable[[SchemaExtension], Any]  # the extension -> its context manager
    is_async: bool


# (extension class, hook name) -> its prepared hook, or None when the class does
# not implement it.
_PREPARED: dict[tuple[type[SchemaExtension], str], _Hook | None] = {}


def _prepared(extension_class: type[SchemaExtension], hook_name: str) -> _Hook | bool | None:
    """The class's prepared hook; None if it has none; False: Strawberry's own wrapping."""
    key = (extension_class, hook_name)
    if key in _PREPARED:
        return _PREPARED[key]
    hook_fn = getattr(extension_class, hook_name)
    if hook_fn is getattr(SchemaExtension, hook_name):
        found = None
    elif inspect.isgeneratorfunction(hook_fn):
        found = _Hook(contextlib.contextmanager(hook_fn), is_async=False)
    elif inspect.isasyncgenfunction(hook_fn):
        found = _Hook(contextlib.asynccontextmanager(hook_fn), is_async=True)
    else:
        return False  # a plain (async) function: rare, wrapped per request as before
    _PREPARED[key] = found
    return found


class _PreparedHooks(ExtensionContextManagerBase):
    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        hook = _prepared(type(extension), self.HOOK_NAME)
        if hook is False:
            return super().get_hook(extension)
        if not isinstance(hook, _Hook):
            return None
        return WrappedHook(extension, partial(hook.factory, extension), hook.is_async)


class _Operation(_PreparedHooks, OperationContextManager):
    pass


class _Parsing(_PreparedHooks, ParsingContextManager):
    pass


class _Validation(_PreparedHooks, ValidationContextManager):
    pass


class _Executing(_PreparedHooks, ExecutingContextManager):
    pass


class PreparedExtensionsRunner(SchemaExtensionsRunner):
    """The runner the schema uses (``Schema.create_extensions_runner``)."""

    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
