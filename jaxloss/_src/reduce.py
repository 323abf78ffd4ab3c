"""The `reduce` combinator: per-sample loss -> weighted, masked, reduced loss.

A per-sample function is pure: `fn(y_true, y_pred, **cfg) -> values`. A loss
that also decides which of its values are valid (sparse crossentropy with
`ignore_class`, Circle) is written as a pure function returning
`LossWithMask(values, mask)` and published with `@returns_mask`: the public
function returns only the values, exactly as Keras's does, and exposes the
pair as `fn.with_mask`, which `reduce` uses. Nothing is stored on arrays and
no state is kept.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._checks import Reduction
from jaxloss._src._numerics import as_array, compute_dtype, safe_divide, squeeze_or_expand_to_same_rank, times


class LossWithMask(NamedTuple):
    """Per-sample values and the boolean mask of the valid ones (or None)."""

    values: jax.Array
    mask: jax.Array | None


def returns_mask(fn_with_mask: Callable[..., LossWithMask]) -> Callable[..., jax.Array]:
    """Publishes a `(values, mask)` per-sample function as a plain per-sample loss.

    The returned function gives only the values; `reduce` calls
    `fn.with_mask` instead, so the mask takes part in the reduction the way
    Keras's `_keras_mask` does (masked means divide by the valid count).

    Example:
        >>> import jax.numpy as jnp
        >>> import jaxloss
        >>> @jaxloss.returns_mask
        ... def positive_part(y_true, y_pred):
        ...     values = jnp.maximum(y_pred - y_true, 0.0)
        ...     return jaxloss.LossWithMask(values, values > 0)
        >>> mean = jaxloss.reduce(positive_part)
        >>> print(mean(jnp.zeros(4), jnp.array([1.0, 3.0, -1.0, -2.0])))
        2.0
    """

    @functools.wraps(fn_with_mask)
    def values_only(*args: Any, **kwargs: Any) -> jax.Array:
        return fn_with_mask(*args, **kwargs).values

    values_only.with_mask = fn_with_mask  # type: ignore[attr-defined]
    return values_only


def _call_with_mask(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> LossWithMask:
    with_mask = getattr(fn, "with_mask", None)
    if with_mask is not None:
        return LossWithMask(*with_mask(*args, **kwargs))
    return LossWithMask(jnp.asarray(fn(*args, **kwargs)), None)


def _align(name: str, weight: jax.Array, values: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Keras's rank matching, then leading-axis alignment, then a broadcast check.

    Used alike for sample weights and masks, so a `(B,)` weight and a
    `(B, T)` mask both line up with `(B, T)` values from the batch axis.
    """
    values, weight = squeeze_or_expand_to_same_rank(values, weight)
    if 0 < weight.ndim < values.ndim:
        # A (batch,) weight scales whole samples: align it to the leading axes.
        weight = weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim))
    try:
        broadcast = jnp.broadcast_shapes(values.shape, weight.shape)
    except ValueError:
        broadcast = None
    # The weight broadcasts *to* the loss, never the loss to the weight: a (B, 1, 1) weight on (B,) values
    # would give (B, 1, B) (Keras's silent mean(w) mean(loss)). A loss that is one value for the whole
    # batch (Dice with axis=None) takes any weight, as in Keras.
    if broadcast is None or (values.ndim and broadcast != values.shape):
        raise ValueError(
            f"`{name}` cannot be broadcast to the per-sample loss. Expected a shape that "
            f"broadcasts to {tuple(values.shape)} from the leading axes. Received: "
            f"{name}.shape={tuple(weight.shape)}"
        )
    return values, weight


def _check_mask(mask: ArrayLike) -> jax.Array:
    mask = as_array("mask", mask, numeric="boolean (True = keep)")
    if mask.dtype != jnp.bool_:
        raise TypeError(f"`mask` must be boolean (True = keep). Received: mask.dtype={mask.dtype}")
    return mask


def reduce_weighted(
    values: jax.Array,
    sample_weight: ArrayLike | None = None,
    mask: ArrayLike | None = None,
    reduction: Reduction = "sum_over_batch_size",
    *,
    axis_name: Any = None,
) -> jax.Array:
    """Keras's `reduce_weighted_values`, written as numerator / denominator.

    Splitting the mean into a sum and a count is what lets `axis_name` reduce
    across devices exactly: both are `psum`-ed before the division.
    """
    _checks.check_reduction(reduction)
    dtype = values.dtype
    weight = None
    if sample_weight is not None:
        weight_array = as_array("sample_weight", sample_weight, numeric="a numeric array of real weights")
        values, weight = _align("sample_weight", weight_array.astype(dtype), values)
    mask_count = None
    if mask is not None:
        mask = _check_mask(mask)
        values, float_mask = _align("mask", mask.astype(dtype), values)
        # Keras weights valid entries by total/valid; as a divisor that is valid * size/total.
        mask_count = (jnp.sum(float_mask), mask.size)
        weight = float_mask if weight is None else weight * float_mask
    if weight is not None:
        # A zero weight excludes its value: an inf there (e.g. infeasible CTC) gives 0, not NaN.
        values = times(weight, values)

    if reduction in (None, "none") or values.shape == ():
        return values
    total = jnp.sum(values)
    if reduction == "sum":
        return jax.lax.psum(total, axis_name) if axis_name is not None else total

    if reduction == "mean_with_sample_weight" and weight is not None:
        divisor = jnp.sum(weight)  # Keras divides by the weights as passed, not broadcast.
    elif mask_count is not None:
        valid, mask_size = mask_count
        divisor = valid * (values.size / max(mask_size, 1))
    else:
        divisor = jnp.asarray(values.size, dtype)
    if axis_name is not None:
        total, divisor = jax.lax.psum((total, divisor), axis_name)
    return safe_divide(total, divisor)


def reduce(
    fn: Callable[..., jax.Array],
    reduction: Reduction = "sum_over_batch_size",
    *,
    axis_name: Any = None,
    dtype: Any = None,
) -> Callable[..., jax.Array]:
    """Turns a per-sample loss into a reduced loss with Keras's semantics.

    .. math::
        \\mathrm{sum} = \\sum_i w_i \\ell_i, \\quad
        \\mathrm{mean} = \\frac{\\sum_i w_i m_i \\ell_i}{\\#\\{i : m_i\\}}, \\quad
        \\mathrm{mean\\_with\\_sample\\_weight} = \\frac{\\sum_i w_i m_i \\ell_i}{\\sum_i w_i m_i}

    Args:
        fn: per-sample loss `fn(y_true, y_pred, **cfg) -> values`. If it has a
            `with_mask` attribute (see `returns_mask`), its mask is merged into
            the reduction.
        reduction: `"sum_over_batch_size"` (= `"mean"`), `"sum"`,
            `"mean_with_sample_weight"`, or `None`/`"none"` for the weighted
            per-sample values.
        axis_name: a mapped axis name (`shard_map`, `pmap`, `vmap`): the sum and
            the divisor are `psum`-ed over it, giving the global mean.
        dtype: result dtype. Half-precision dtypes still compute in float32
            and only the result is cast; float inputs are cast to
            float64 first if `dtype` is float64.

    Returns:
        `f(y_true, y_pred, sample_weight=None, *, mask=None, **cfg)`. The
        sample weight is matched to the per-sample values as Keras does (a
        trailing 1 is squeezed), then aligned to the leading axes: a `(B,)`
        weight scales each sample. `mask` is boolean, True = keep; an
        all-masked batch gives 0 with zero gradients.

    Raises:
        TypeError: `fn` is not callable (a name: use `jaxloss.get(name)`).
        ValueError: unknown `reduction`, a `dtype` that is not floating, or a
            `sample_weight`/`mask` that does not broadcast to the per-sample values.

    Example:
        >>> import jax.numpy as jnp
        >>> import jaxloss
        >>> mse = jaxloss.reduce(jaxloss.mean_squared_error)
        >>> y_true = jnp.array([[0.0, 1.0], [0.0, 0.0]])
        >>> y_pred = jnp.array([[1.0, 1.0], [1.0, 0.0]])
        >>> print(mse(y_true, y_pred))
        0.5
        >>> print(mse(y_true, y_pred, sample_weight=jnp.array([1.0, 0.0])))
        0.25
        >>> print(mse(y_true, y_pred, mask=jnp.array([True, False])))
        0.5
    """
    if not callable(fn):
        hint = f" For a registered loss, pass `jaxloss.get({fn!r})`." if isinstance(fn, str) else ""
        raise TypeError(f"`fn` must be a per-sample loss function.{hint} Received: fn={fn!r}")
    _checks.check_reduction(reduction)
    out_dtype = None if dtype is None else jnp.dtype(_checks.canonical_dtype(dtype))

    @functools.wraps(fn)
    def reduced(
        y_true: ArrayLike | None,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        mask: ArrayLike | None = None,
        **config: Any,
    ) -> jax.Array:
        if out_dtype is not None:
            y_true, y_pred = (_to_compute(x, out_dtype) for x in (y_true, y_pred))
        values, fn_mask = _call_with_mask(fn, y_true, y_pred, **config)
        if mask is not None and fn_mask is not None:
            fn_mask, user_mask = _align("mask", _check_mask(mask), fn_mask)
            mask = fn_mask & user_mask
        elif fn_mask is not None:
            mask = fn_mask
        loss = reduce_weighted(values, sample_weight, mask, reduction, axis_name=axis_name)
        return loss if out_dtype is None else loss.astype(out_dtype)

    return reduced


def _to_compute(x: ArrayLike | None, dtype: jnp.dtype) -> Any:
    """Casts float inputs to the compute dtype of `dtype`; integer labels (and a None `y_true`) are left alone."""
    if x is None:
        return None
    arr = jnp.asarray(x)
    return arr.astype(compute_dtype(dtype)) if jnp.issubdtype(arr.dtype, jnp.floating) else arr


__all__ = ["LossWithMask", "reduce", "reduce_weighted", "returns_mask"]
