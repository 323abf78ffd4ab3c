"""Static validation: config values, ranks, shapes and dtypes.

Every check here runs at construction or trace time and raises `ValueError`
or `TypeError` with a message naming the argument, what was expected and what
was received. Values that are not concrete Python objects (tracers) skip the
value checks: they cannot be inspected without a device round-trip.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import typing
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

# The reductions, declared once: the type users annotate with, and the values checked at run time.
ReductionName = Literal["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"]
Reduction = ReductionName | None
REDUCTIONS: tuple[str | None, ...] = (*typing.get_args(ReductionName), None)


def check_reduction(reduction: Any) -> None:
    if not isinstance(reduction, (str, type(None))) or reduction not in REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{list(REDUCTIONS)}. Received: reduction={reduction!r}"
        )


def canonical_dtype(dtype: Any) -> str | None:
    """A floating dtype (or Keras policy name) as a hashable name: 'mixed_float16' -> 'float16'."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        dtype = dtype[len("mixed_") :]
    try:
        canonical = jnp.dtype(dtype)
    except TypeError:
        raise ValueError(
            f"`dtype` must be a floating dtype name such as 'float32' or 'bfloat16'. Received: dtype={dtype!r}"
        ) from None
    if not jnp.issubdtype(canonical, jnp.floating):
        raise ValueError(f"`dtype` must be a floating dtype. Received: dtype={dtype!r}")
    return canonical.name


def canonical_axis_name(axis_name: Any) -> Any:
    """A mapped axis name (a string, or any hashable name), or a tuple of them; a list becomes a tuple."""
    if axis_name is None:
        return None
    for name in tuple(axis_name) if isinstance(axis_name, (list, tuple)) else (axis_name,):
        if name is None or isinstance(name, (list, tuple, dict, set)) or not isinstance(name, typing.Hashable):
            raise TypeError(
                "`axis_name` must be a mapped axis name (a string), a tuple of names, or None. "
                f"Received: axis_name={axis_name!r}"
            )
    return tuple(axis_name) if isinstance(axis_name, list) else axis_name


# Config fields. The rule for every field: a value of the wrong type raises
# TypeError, a value of the right type outside its range raises ValueError.
# Values that are not concrete (tracers) skip the range checks.


def _received(name: str, value: Any) -> str:
    return f"Received: {name}={value!r} of type {type(value).__name__}"


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _real(name: str, value: Any) -> float | None:
    """Returns `value` as a float if it is a concrete real number, else None (a tracer)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a number, not a bool. {_received(name, value)}")
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:  # an int beyond the float range (10**400)
            raise ValueError(f"`{name}` is too large for a float. {_received(name, value)}") from None
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0 and np.issubdtype(value.dtype, np.number):
        return float(value)
    if isinstance(value, jax.core.Tracer) and jnp.ndim(value) == 0:
        return None  # Traced: used as is, range unchecked.
    if isinstance(value, jax.Array) and jnp.ndim(value) == 0 and jnp.issubdtype(value.dtype, jnp.number):
        return float(value)
    raise TypeError(f"`{name}` must be a number. {_received(name, value)}")


def _boolean(name: str, value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a bool. {_received(name, value)}")


def _in_range(test: Callable[[float], bool], expected: str) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        v = _real(name, value)
        if v is not None and not test(v):
            raise ValueError(f"`{name}` must be {expected}. Received: {name}={value!r}")

    return check


# Every range is finite: an infinite setting (Huber's delta, a smoothing term, a soft cap) gives inf * 0.
_unit_interval = _in_range(lambda v: 0.0 <= v <= 1.0, "in [0, 1]")
_open_unit_interval = _in_range(lambda v: 0.0 < v < 1.0, "in the open interval (0, 1)")
_positive = _in_range(lambda v: 0.0 < v < np.inf, "> 0 and finite")
_non_negative = _in_range(lambda v: 0.0 <= v < np.inf, ">= 0 and finite")
_finite = _in_range(np.isfinite, "finite")
_at_least_one = _in_range(lambda v: 1.0 <= v < np.inf, ">= 1 and finite")


def _sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple)) or (isinstance(value, (np.ndarray, jax.Array)) and np.ndim(value) > 0)


def _class_weights(name: str, value: Any) -> None:
    """A scalar weight, or one weight per class (a list, tuple or 1-D array)."""
    if not _sequence(value):
        _finite(name, value)
        return
    if isinstance(value, jax.core.Tracer):
        return
    items = np.asarray(value).tolist() if not isinstance(value, (list, tuple)) else value
    if np.ndim(items) != 1 or not len(items):
        raise ValueError(f"`{name}` must be a number or a non-empty 1-D list of numbers. Received: {name}={value!r}")
    for item in items:
        _finite(name, item)


def _optional_class_weights(name: str, value: Any) -> None:
    if value is not None:
        _class_weights(name, value)


def _axes(name: str, value: Any) -> None:
    """An int axis, a sequence of int axes, or None."""
    if value is None:
        return
    items = np.asarray(value).tolist() if isinstance(value, np.ndarray) else value
    for item in items if isinstance(items, (list, tuple)) else (items,):
        if not _is_int(item):
            raise TypeError(f"`{name}` must be an int, a tuple of ints or None. {_received(name, value)}")


def _axis(name: str, value: Any) -> None:
    if not _is_int(value):
        raise TypeError(f"`{name}` must be of type `int`. {_received(name, value)}")


_INT32 = np.iinfo(np.int32)


def _class_id(name: str, value: Any, low: int) -> None:
    """An int in [low, int32 max]: labels are int32, so a larger id could never match one."""
    if not _is_int(value):
        raise TypeError(f"`{name}` must be an int. {_received(name, value)}")
    if not low <= value <= _INT32.max:
        raise ValueError(f"`{name}` must be in [{low}, {_INT32.max}] (an int32). Received: {name}={value!r}")


def _optional_class_id(name: str, value: Any) -> None:
    if value is None:
        return
    if not _is_int(value):
        raise TypeError(f"`{name}` must be an int or None. {_received(name, value)}")
    _class_id(name, value, _INT32.min)


def _int_at_least(low: int) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if not _is_int(value):
            raise TypeError(f"`{name}` must be an int. {_received(name, value)}")
        if value < low:
            raise ValueError(f"`{name}` must be >= {low}. Received: {name}={value!r}")

    return check


_positive_int = _int_at_least(1)


def _optional_positive(name: str, value: Any) -> None:
    if value is not None:
        _positive(name, value)


def _block_size(name: str, value: Any) -> None:
    """None (automatic), a positive int, or a pair of positive ints."""
    if value is None:
        return
    if _is_int(value):
        _positive_int(name, value)
        return
    items = np.asarray(value).tolist() if isinstance(value, np.ndarray) else value
    if not isinstance(items, (list, tuple)) or len(items) != 2 or not all(_is_int(v) for v in items):
        raise TypeError(f"`{name}` must be None, an int or a pair of ints. {_received(name, value)}")
    for item in items:
        _positive_int(name, item)


def _to_tuple(value: Any) -> Any:
    """Lists and arrays become tuples of Python numbers, so that loss instances stay hashable."""
    if _sequence(value):
        return tuple(np.asarray(value).tolist())
    if isinstance(value, (np.generic, jax.Array)):
        return value.item()
    return value


@dataclasses.dataclass(frozen=True)
class Spec:
    """How a config field is checked, how a loss class stores it (`convert`), and what it reads as in the docs."""

    check: Callable[[str, Any], None]
    reads: str
    convert: Callable[[Any], Any] = _to_tuple


# The config field types. A per-sample function annotates its config with them
# and a loss class its fields, so that both validate the same way, by field.
Flag = Annotated[bool, Spec(_boolean, "bool")]
Fraction = Annotated[float, Spec(_unit_interval, "float in [0, 1]")]
OpenFraction = Annotated[float, Spec(_open_unit_interval, "float in (0, 1)")]
PositiveFloat = Annotated[float, Spec(_positive, "float > 0")]
NonNegativeFloat = Annotated[float, Spec(_non_negative, "float >= 0")]
FiniteFloat = Annotated[float, Spec(_finite, "float")]
NormDegree = Annotated[float, Spec(_at_least_one, "float >= 1")]
OptionalPositiveFloat = Annotated[float | None, Spec(_optional_positive, "float > 0 or None")]
BlockSize = Annotated[int | tuple[int, int] | None, Spec(_block_size, "int, (int, int) or None")]
ClassWeights = Annotated[float | Sequence[float], Spec(_class_weights, "float or one float per class")]
OptionalClassWeights = Annotated[
    float | Sequence[float] | None, Spec(_optional_class_weights, "float, one float per class, or None")
]
Axis = Annotated[int, Spec(_axis, "int (an axis)")]
Axes = Annotated[int | Sequence[int] | None, Spec(_axes, "int, sequence of ints, or None (axes)")]
ClassId = Annotated[int, Spec(lambda name, value: _class_id(name, value, 0), "int >= 0 (a class id)")]
OptionalClassId = Annotated[int | None, Spec(_optional_class_id, "int (a class id) or None")]


def specs(obj: Any) -> dict[str, Spec]:
    """The config fields of a per-sample function or loss class: name -> Spec, from its annotations."""
    try:
        hints = typing.get_type_hints(obj, include_extras=True)
    except (NameError, TypeError):  # A user class annotated with names it cannot resolve here: no field types.
        return {}
    found = {}
    for name, hint in hints.items():
        for meta in getattr(hint, "__metadata__", ()):
            if isinstance(meta, Spec):
                found[name] = meta
    return found


_F = TypeVar("_F", bound=Callable[..., Any])


def validates_config(fn: _F) -> _F:
    """Makes a per-sample function check its config fields (annotated with the types above) at every call."""
    field_specs = specs(fn)

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        for name, value in kwargs.items():
            spec = field_specs.get(name)
            if spec is not None:
                spec.check(name, value)
        return fn(*args, **kwargs)

    return typing.cast(_F, checked)


def canonical_axis(axis: Any, ndim: int, *, arg: str = "axis") -> int:
    """Returns `axis` as a non-negative int for an array of rank `ndim`."""
    _axis(arg, axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"`{arg}` is out of range for an input of rank {ndim}. Received: {arg}={axis}")
    return int(axis) % ndim


def canonical_axes(axis: Any, ndim: int, *, arg: str = "axis") -> tuple[int, ...] | None:
    """`axis` (None, an int or a sequence of ints) as a tuple of distinct non-negative axes, or None (all)."""
    if axis is None:
        return None
    items = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    axes = tuple(canonical_axis(item, ndim, arg=arg) for item in items)
    if len(set(axes)) != len(axes):
        raise ValueError(f"`{arg}` names an axis twice. Received: {arg}={axis!r} for an input of rank {ndim}")
    return axes


def check_rank(name: str, x: jnp.ndarray, expected: int | Sequence[int], what: str = "") -> None:
    ranks = (expected,) if isinstance(expected, int) else tuple(expected)
    if x.ndim not in ranks:
        want = " or ".join(str(r) for r in ranks)
        hint = f" {what}" if what else ""
        raise ValueError(f"`{name}` must have rank {want}{hint}. Received: {name}.shape={tuple(x.shape)}")


def check_min_rank(name: str, x: jnp.ndarray, minimum: int, what: str = "", *, nonempty_last: bool = True) -> None:
    """Rank at least `minimum`, and (unless `nonempty_last=False`) a last, class or feature, axis that is not
    empty."""
    if x.ndim < minimum:
        hint = f" {what}" if what else ""
        raise ValueError(f"`{name}` must have rank >= {minimum}{hint}. Received: {name}.shape={tuple(x.shape)}")
    if nonempty_last:
        check_nonempty(name, x, (-1,))


def nonempty_axis(name: str, x: jnp.ndarray, axis: Any) -> int:
    """`axis` of `x` as a non-negative int (see `canonical_axis`), checked not to be empty: an axis a loss
    reduces over (classes, features)."""
    axis = canonical_axis(axis, x.ndim)
    check_nonempty(name, x, (axis,))
    return axis


def check_nonempty(name: str, x: jnp.ndarray, axes: Sequence[int] | None) -> None:
    """The axes a loss reduces over (class, feature, time axes; None: all but the batch axis 0) are not empty.

    The batch axis may be empty (an empty batch gives 0); a loss over no classes or features is not defined.
    """
    for axis in range(1, x.ndim) if axes is None else axes:
        if x.shape[axis] == 0:
            raise ValueError(
                f"`{name}` has an empty axis {axis % x.ndim} (its classes or features): the loss is not defined "
                f"over none. Received: {name}.shape={tuple(x.shape)}"
            )


def check_rows(label_name: str, labels: jax.Array, name: str, embeddings: jax.Array) -> None:
    """`labels` has one entry per row of `embeddings`."""
    if labels.shape[0] != embeddings.shape[0]:
        raise ValueError(
            f"`{label_name}` must have one label per row of `{name}`. Received: "
            f"{label_name}.shape={tuple(labels.shape)}, {name}.shape={tuple(embeddings.shape)}"
        )


def check_same_shape(y_true: jnp.ndarray, y_pred: jnp.ndarray) -> None:
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "`y_true` and `y_pred` must have the same shape (after matching a trailing "
            f"dimension of size 1). Received: y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )


def check_numeric(name: str, x: jnp.ndarray) -> None:
    if not (jnp.issubdtype(x.dtype, jnp.number) or x.dtype == jnp.bool_):
        raise TypeError(f"`{name}` must be a numeric array. Received: {name}.dtype={x.dtype}")
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise TypeError(
            f"`{name}` must be a numeric array of real numbers, not complex. Received: {name}.dtype={x.dtype}"
        )
