"""Static validation: config values, ranks, shapes and dtypes.

Every check here runs at construction or trace time and raises `ValueError`
or `TypeError` with a message naming the argument, what was expected and what
was received. Values that are not concrete Python objects (tracers) skip the
value checks: they cannot be inspected without a device round-trip.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def check_reduction(reduction: Any) -> None:
    if not isinstance(reduction, (str, type(None))) or reduction not in REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{list(REDUCTIONS)}. Received: reduction={reduction!r}"
        )


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _real(name: str, value: Any) -> float | None:
    """Returns `value` as a float if it is a concrete real number, else None."""
    if isinstance(value, bool):
        raise TypeError(f"`{name}` must be a number, not a bool. Received: {name}={value!r}")
    if _is_real(value):
        return float(value)
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0:
        return float(value)
    if isinstance(value, (str, bytes, Sequence)):
        raise TypeError(f"`{name}` must be a number. Received: {name}={value!r}")
    return None  # A traced or device value: checked by its user, not here.


def _boolean(name: str, value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a bool. Received: {name}={value!r} of type {type(value).__name__}")


def _unit_interval(name: str, value: Any) -> None:
    v = _real(name, value)
    if v is not None and not 0.0 <= v <= 1.0:
        raise ValueError(f"`{name}` must be in [0, 1]. Received: {name}={value!r}")


def _open_unit_interval(name: str, value: Any) -> None:
    v = _real(name, value)
    if v is not None and not 0.0 < v < 1.0:
        raise ValueError(f"`{name}` must be in the open interval (0, 1). Received: {name}={value!r}")


def _positive(name: str, value: Any) -> None:
    v = _real(name, value)
    if v is not None and not v > 0.0:
        raise ValueError(f"`{name}` must be > 0. Received: {name}={value!r}")


def _non_negative(name: str, value: Any) -> None:
    v = _real(name, value)
    if v is not None and not v >= 0.0:
        raise ValueError(f"`{name}` must be >= 0. Received: {name}={value!r}")


def _finite(name: str, value: Any) -> None:
    v = _real(name, value)
    if v is not None and not np.isfinite(v):
        raise ValueError(f"`{name}` must be finite. Received: {name}={value!r}")


def _alpha(name: str, value: Any) -> None:
    """A scalar weight, or a per-class sequence of weights (focal losses)."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"`{name}` must be a number or a non-empty list of numbers. Received: {name}={value!r}")
        for item in value:
            _finite(name, item)
        return
    _finite(name, value)


def _axis(name: str, value: Any) -> None:
    """An int axis, a tuple of int axes, or None (where the loss allows it)."""
    items = value if isinstance(value, (list, tuple)) else (value,)
    for item in items:
        if item is None and len(items) == 1:
            continue
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise ValueError(f"`{name}` must be of type `int`. Received: {name}={value!r} of type {type(item).__name__}")


def _optional_int(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
        raise TypeError(f"`{name}` must be an int or None. Received: {name}={value!r}")


def _non_negative_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`{name}` must be an int. Received: {name}={value!r}")
    if value < 0:
        raise ValueError(f"`{name}` must be >= 0. Received: {name}={value!r}")


# One table for every configuration argument of every loss, used by both the
# per-sample functions (at trace time) and the loss classes (at construction).
_CONFIG_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "from_logits": _boolean,
    "apply_class_balancing": _boolean,
    "remove_diagonal": _boolean,
    "zero_infinity": _boolean,
    "label_smoothing": _unit_interval,
    "delta": _positive,
    "q": _open_unit_interval,
    "gamma": _non_negative,
    "margin": _finite,
    "alpha": _alpha,
    "beta": _finite,
    "axis": _axis,
    "ignore_class": _optional_int,
    "blank_index": _non_negative_int,
}


def check_config(**config: Any) -> None:
    """Validates loss configuration values by argument name (names not in the table pass)."""
    for name, value in config.items():
        check = _CONFIG_CHECKS.get(name)
        if check is not None:
            check(name, value)


def canonical_axis(axis: Any, ndim: int, *, arg: str = "axis") -> int:
    """Returns `axis` as a non-negative int for an array of rank `ndim`."""
    _axis(arg, axis)
    if axis is None or isinstance(axis, (list, tuple)):
        raise ValueError(f"`{arg}` must be a single int here. Received: {arg}={axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"`{arg}` is out of range for an input of rank {ndim}. Received: {arg}={axis}")
    return int(axis) % ndim


def check_rank(name: str, x: jnp.ndarray, expected: int | Sequence[int], what: str = "") -> None:
    ranks = (expected,) if isinstance(expected, int) else tuple(expected)
    if x.ndim not in ranks:
        want = " or ".join(str(r) for r in ranks)
        hint = f" {what}" if what else ""
        raise ValueError(f"`{name}` must have rank {want}{hint}. Received: {name}.shape={tuple(x.shape)}")


def check_min_rank(name: str, x: jnp.ndarray, minimum: int, what: str = "") -> None:
    if x.ndim < minimum:
        hint = f" {what}" if what else ""
        raise ValueError(f"`{name}` must have rank >= {minimum}{hint}. Received: {name}.shape={tuple(x.shape)}")


def check_same_shape(y_true: jnp.ndarray, y_pred: jnp.ndarray) -> None:
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "`y_true` and `y_pred` must have the same shape (after matching a trailing "
            f"dimension of size 1). Received: y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )


def check_integer_labels(name: str, labels: jnp.ndarray) -> None:
    if not (jnp.issubdtype(labels.dtype, jnp.integer) or labels.dtype == jnp.bool_):
        raise TypeError(
            f"`{name}` must hold integer class ids. Received: {name}.dtype={labels.dtype}. "
            f"Cast it with `{name}.astype(jnp.int32)` if the values are whole numbers."
        )


def check_numeric(name: str, x: jnp.ndarray) -> None:
    if not (jnp.issubdtype(x.dtype, jnp.number) or x.dtype == jnp.bool_):
        raise TypeError(f"`{name}` must be numeric. Received: {name}.dtype={x.dtype}")
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise TypeError(f"`{name}` must be real, not complex. Received: {name}.dtype={x.dtype}")
