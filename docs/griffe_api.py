"""A griffe extension for the docs build: API pages as a user reads them.

- A docstring's `Example:` section (the house style, readable in `help()`) is handed to griffe as
  `Examples:`, which it parses into code blocks with their output, instead of one admonition paragraph.
- Parameter and field types read as what a user passes: `float in [0, 1]` for `Fraction`, `array-like` for
  `ArrayLike`, `str | None` for a union, instead of the bare `Annotated` or `Union` that inspection yields.
"""

from __future__ import annotations

import pkgutil
import re
import types
import typing
from typing import Any

import griffe
from jax.typing import ArrayLike

_EXAMPLE = re.compile(r"^([ \t]*)Example:[ \t]*$", re.M)


def readable(hint: Any) -> str:
    """A type hint as the docs show it."""
    if hint is ArrayLike:
        return "array-like"
    if typing.get_origin(hint) is typing.Annotated:
        reads = [getattr(meta, "reads", None) for meta in hint.__metadata__]
        return next((r for r in reads if r), readable(typing.get_args(hint)[0]))
    if typing.get_origin(hint) is typing.Literal:
        return " | ".join(repr(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if ArrayLike in args or set(typing.get_args(ArrayLike)) <= set(args):
            rest = [a for a in args if a not in typing.get_args(ArrayLike) and a is not ArrayLike]
            return " | ".join(["array-like", *(readable(a) for a in rest)])
        return " | ".join(readable(a) for a in args)
    if hint is type(None):
        return "None"
    if isinstance(hint, type):
        return hint.__name__
    return re.sub(r"\b(?:typing|collections\.abc|jax\._src\.\w+(?:\.\w+)*)\.", "", str(hint))


def _runtime(path: str) -> Any:
    try:
        return pkgutil.resolve_name(path)
    except (ImportError, AttributeError, ValueError):
        return None


def _hints(obj: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj, include_extras=True)
    except (NameError, TypeError):
        return {}


class ReadableApi(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
        if not obj.path.startswith("jaxloss"):
            return
        runtime = _runtime(obj.path)
        if runtime is None:
            return
        if isinstance(obj, griffe.Function):
            hints = _hints(runtime)
            for parameter in obj.parameters:
                if parameter.name in hints:
                    parameter.annotation = readable(hints[parameter.name])

    def on_class_members(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        runtime = _runtime(cls.path) if cls.path.startswith("jaxloss") else None
        if runtime is None:
            return
        hints = _hints(runtime)
        for name, member in cls.members.items():
            if name in hints and isinstance(member, griffe.Attribute):
                member.annotation = readable(hints[name])
        for parameter in cls.parameters:
            if parameter.name in hints:
                parameter.annotation = readable(hints[parameter.name])
