"""Dtype policy, rank matching and NaN-safe primitives shared by every loss."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src import _checks

# Keras's `backend.epsilon()`. It stays 1e-7 in float64, as in Keras with floatx="float64".
EPSILON = 1e-7


def compute_dtype(dtype: Any) -> jnp.dtype:
    """float64 for float64 inputs (x64 on), float32 for everything else, half precision included."""
    return jnp.dtype(jnp.float64) if jnp.dtype(dtype) == jnp.float64 else jnp.dtype(jnp.float32)


def _as_array(name: str, x: ArrayLike) -> jax.Array:
    try:
        x = jnp.asarray(x)
    except TypeError as err:
        raise TypeError(f"`{name}` must be a numeric array. Received a value JAX cannot convert: {err}") from None
    _checks.check_numeric(name, x)
    return x


def as_float(name: str, x: ArrayLike, dtype: Any = None) -> jax.Array:
    """Converts `x` to the compute dtype (of `dtype`, or of `x` itself)."""
    x = _as_array(name, x)
    return x.astype(compute_dtype(x.dtype if dtype is None else dtype))


def as_labels(name: str, x: ArrayLike) -> jax.Array:
    """Converts integer class ids to int32, without ever passing through a float dtype."""
    x = _as_array(name, x)
    _checks.check_integer_labels(name, x)
    return x.astype(jnp.int32)


def squeeze_or_expand_to_same_rank(x1: jax.Array, x2: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Keras's rank matching: acts only when ranks differ by one and the larger ends in 1."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        return (x1, x2[..., None]) if x2.ndim == 1 else (x1[..., 0], x2)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        return (x1[..., None], x2) if x1.ndim == 1 else (x1, x2[..., 0])
    return x1, x2


def pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """Float y_true and y_pred of one shape, in the compute dtype of y_pred."""
    y_pred = as_float("y_pred", y_pred)
    y_true = as_float("y_true", y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _checks.check_same_shape(y_true, y_pred)
    return y_true, y_pred


def clip_probs(p: jax.Array) -> jax.Array:
    """Keras's clip of probabilities to [eps, 1 - eps]."""
    return jnp.clip(p, EPSILON, 1.0 - EPSILON)


def times(a: jax.Array, b: jax.Array) -> jax.Array:
    """a * b, with 0 * anything = 0 in value and gradient (0 * -inf, 0 * inf)."""
    # Inner where keeps the unselected inf out of the product's gradient.
    return a * jnp.where(a == 0, 0.0, b)


def safe_divide(num: jax.Array, den: jax.Array) -> jax.Array:
    """num / den, and 0 where den == 0 (Keras's divide_no_nan), with finite gradients."""
    nonzero = den != 0
    # Double where: the divisor is never 0, so the unselected branch has no inf gradient.
    return jnp.where(nonzero, num / jnp.where(nonzero, den, 1.0), 0.0)


def safe_power(base: jax.Array, exponent: Any) -> jax.Array:
    """max(base, 0) ** exponent with 0 ** 0 = 1 and a finite gradient at 0."""
    positive = base > 0
    # Double where: the power is only evaluated at positive bases.
    powered = jnp.where(positive, jnp.where(positive, base, 1.0) ** exponent, 0.0)
    return jnp.where(jnp.asarray(exponent) == 0, 1.0, powered)


def normalize(x: jax.Array, axis: Any) -> jax.Array:
    """Keras's L2 normalize, x * min(rsqrt(sum x^2), 1/eps), overflow-safe and NaN-free."""
    # Scale by the largest magnitude first so sum(x^2) cannot overflow for huge x.
    scale = jax.lax.stop_gradient(jnp.max(jnp.abs(x), axis=axis, keepdims=True))
    scale = jnp.where((scale > 1.0) & jnp.isfinite(scale), scale, 1.0)
    xs = x / scale
    square_sum = jnp.sum(jnp.square(xs), axis=axis, keepdims=True)
    # min(rsqrt(s), 1/eps) == rsqrt(max(s, eps^2)); the max keeps rsqrt off 0.
    return xs * jax.lax.rsqrt(jnp.maximum(square_sum, (EPSILON / scale) ** 2))


def log_softmax(logits: jax.Array, axis: int) -> jax.Array:
    """`jax.nn.log_softmax` that also takes +inf logits: they share the mass, the rest get -inf."""
    is_posinf = logits == jnp.inf
    has_posinf = jnp.any(is_posinf, axis=axis, keepdims=True)
    # In a row with a +inf, replace the logits by 0 (the +infs) and -inf (the rest): no inf - inf.
    logits = jnp.where(has_posinf, jnp.where(is_posinf, 0.0, -jnp.inf), logits)
    return jax.nn.log_softmax(logits, axis=axis)
