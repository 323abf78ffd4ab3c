"""String and dict identifiers: `get`, `serialize`, `deserialize` (Keras-compatible)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from jaxloss._src.classes import ALIASES, LOSSES, Loss

# Derived from the loss declarations (`Loss.__init_subclass__`), once every family module is imported.


def _classes() -> dict[str, type[Loss]]:
    return {cls.__name__: cls for cls in LOSSES}


def _functions() -> dict[str, Callable[..., Any]]:
    return {cls.fn.__name__: cls.fn for cls in LOSSES}


def _close_matches(identifier: str) -> str:
    names = [*_classes(), *_functions(), *ALIASES]
    # Compare without separators and case, so "logcosh" finds "log_cosh" and "LogCosh".
    key = identifier.replace("_", "").lower()
    found = [n for n in names if n.replace("_", "").lower() == key] or difflib.get_close_matches(identifier, names, n=3)
    return f" Did you mean {' or '.join(repr(n) for n in found)}?" if found else ""


def get(identifier: Any) -> Any:
    """Returns a loss from an identifier, as `keras.losses.get` does.

    Args:
        identifier: `None`; a class name (returns an instance with default
            config); a function name or alias (`"mse"`, `"bce"`, ...; returns
            the function); a `{"class_name", "config"}` dict; or a callable,
            returned as is.

    Returns:
        A `Loss` instance, a per-sample function, or `None`.

    Raises:
        ValueError: for an unknown identifier.

    Example:
        >>> import jaxloss
        >>> jaxloss.get("mse") is jaxloss.mean_squared_error
        True
        >>> jaxloss.get("Huber")
        Huber(reduction='sum_over_batch_size', name='huber_loss', dtype=None, axis_name=None, delta=1.0)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        classes, functions = _classes(), _functions()
        if identifier in classes:
            return classes[identifier]()
        if identifier in functions:
            return functions[identifier]
        if identifier in ALIASES:
            return ALIASES[identifier]
        raise ValueError(
            f"Could not interpret loss identifier: {identifier!r}. Expected a loss class name, "
            f"a function name or one of the aliases {sorted(ALIASES)}.{_close_matches(identifier)}"
        )
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r} (of type {type(identifier).__name__}).")


def serialize(loss: Any) -> dict[str, Any]:
    """Serializes a loss class instance or a built-in loss function to a dict.

    The format is Keras's: `{"module", "class_name", "config", "registered_name"}`;
    a class's `config` holds every field (Keras drops some, such as Huber's `delta`).

    Example:
        >>> import jaxloss
        >>> jaxloss.serialize(jaxloss.mean_squared_error)["config"]
        'mean_squared_error'
    """
    if isinstance(loss, Loss):
        return {
            "module": "jaxloss",
            "class_name": type(loss).__name__,
            "config": loss.get_config(),
            "registered_name": None,
        }
    names = {fn: name for name, fn in _functions().items()}
    if loss in names:
        return {"module": "builtins", "class_name": "function", "config": names[loss], "registered_name": "function"}
    raise ValueError(f"Cannot serialize {loss!r}: expected a jaxloss.Loss instance or a built-in loss function.")


def deserialize(config: Any) -> Any:
    """Inverse of `serialize`; also reads Keras's own loss dicts and identifier strings.

    Example:
        >>> import jaxloss
        >>> loss = jaxloss.Huber(delta=0.5)
        >>> jaxloss.deserialize(jaxloss.serialize(loss)) == loss
        True
    """
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a dict with 'class_name' and 'config' keys. Received: {config!r}")
    class_name = config["class_name"]
    if class_name == "function":
        return get(config["config"])
    classes = _classes()
    if class_name not in classes:
        raise ValueError(f"Could not interpret loss class_name: {class_name!r}. Expected one of {sorted(classes)}.")
    return classes[class_name].from_config(dict(config.get("config") or {}))
