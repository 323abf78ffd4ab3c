"""Regression losses: MSE, MAE, MAPE, MSLE, cosine similarity, Huber, log-cosh (Keras); smooth L1 (torch).

Argument order is Keras's `(y_true, y_pred)`, the reverse of optax's
`(predictions, targets)`. Each function reduces only the feature axis and
returns shape `y_pred.shape[:-1]` (after Keras's rank matching).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src._checks import Axes, NonNegativeFloat, PositiveFloat, canonical_axes, check_nonempty, validates_config
from jaxloss._src._numerics import EPSILON, clip, cosine, pair
from jaxloss._src.classes import Loss

__all__ = [
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "cosine_similarity",
    "huber",
    "log_cosh",
    "smooth_l1",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "SmoothL1",
]


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Mean squared error over the last axis.

    .. math:: \\ell = \\operatorname{mean}_{-1} (y_{true} - y_{pred})^2

    Args:
        y_true: targets, shape `[..., d]`.
        y_pred: predictions, shape `[..., d]` (a trailing 1 on either side is matched).

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.mean_squared_error([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]))
        [0.5 0.5]
    """
    y_true, y_pred = pair(y_true, y_pred)
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Mean absolute error over the last axis.

    .. math:: \\ell = \\operatorname{mean}_{-1} |y_{true} - y_{pred}|

    Args:
        y_true: targets, shape `[..., d]`.
        y_pred: predictions, shape `[..., d]`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.mean_absolute_error([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]))
        [0.5 0.5]
    """
    y_true, y_pred = pair(y_true, y_pred)
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Mean absolute percentage error over the last axis.

    .. math:: \\ell = 100 \\operatorname{mean}_{-1} \\frac{|y_{true} - y_{pred}|}{\\max(|y_{true}|, \\epsilon)}

    Args:
        y_true: targets, shape `[..., d]`. Zeros are floored at eps = 1e-7 as in Keras.
        y_pred: predictions, shape `[..., d]`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]]))
        [37.5]
    """
    y_true, y_pred = pair(y_true, y_pred)
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), EPSILON))
    return 100.0 * jnp.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Mean squared logarithmic error over the last axis.

    .. math:: \\ell = \\operatorname{mean}_{-1} \\big(\\log(1 + \\max(y_{pred}, \\epsilon)) - \\log(1 + \\max(y_{true}, \\epsilon))\\big)^2

    Negative values are floored at eps = 1e-7, as in Keras. The difference
    of the logs is computed as `log1p(|p - t| / (1 + min(p, t)))`, where Keras
    writes `log(p + 1) - log(t + 1)`: equal to float32 rounding, and exact for
    close values and near 0, where Keras's cancels.

    Args:
        y_true: targets, shape `[..., d]`.
        y_pred: predictions, shape `[..., d]`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.mean_squared_logarithmic_error([[0.0, 1.0]], [[1.0, 1.0]]))
        [0.2402]
    """
    y_true, y_pred = pair(y_true, y_pred)
    pred, true = jnp.maximum(y_pred, EPSILON), jnp.maximum(y_true, EPSILON)
    # |log(1 + p) - log(1 + t)| as log1p(|p - t| / (1 + min(p, t))): the argument is >= 0, so neither close
    # values (the two logs cancel) nor far ones (1 + a ratio near -1 cancels) lose digits.
    ratio = jnp.abs(pred - true) / (1.0 + jnp.minimum(pred, true))
    return jnp.mean(jnp.square(jnp.log1p(ratio)), axis=-1)


@validates_config
def cosine_similarity(y_true: ArrayLike, y_pred: ArrayLike, *, axis: Axes = -1) -> jax.Array:
    """Negative cosine similarity along `axis`.

    .. math:: \\ell = -\\sum_{axis} \\hat y_{true} \\hat y_{pred}, \\quad \\hat x = x \\min(\\|x\\|^{-1}, 1/\\epsilon)

    A zero vector gives 0 with a finite gradient (optax gives NaN), and huge
    vectors do not overflow the norm.

    Args:
        y_true: targets, shape `[..., d]`.
        y_pred: predictions, shape `[..., d]`.
        axis: the axis (or axes) of the vectors.

    Returns:
        `y_pred`'s shape without `axis`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]))
        [ 0. -1.]
    """
    y_true, y_pred = pair(y_true, y_pred, last_axis_reduced=False)
    axis = canonical_axes(axis, y_pred.ndim)  # a tuple: static, so hashable
    check_nonempty("y_pred", y_pred, axis)
    return 0.0 - cosine(y_true, y_pred, axis)  # 0 - x: no -0.0


@validates_config
def huber(y_true: ArrayLike, y_pred: ArrayLike, *, delta: PositiveFloat = 1.0) -> jax.Array:
    """Huber loss, quadratic within `delta` and linear outside.

    .. math:: \\ell = \\operatorname{mean}_{-1} \\begin{cases} \\tfrac12 e^2 & |e| \\le \\delta \\\\ \\delta |e| - \\tfrac12 \\delta^2 & \\text{otherwise} \\end{cases}, \\quad e = y_{pred} - y_{true}

    Args:
        y_true: targets, shape `[..., d]`.
        y_pred: predictions, shape `[..., d]`.
        delta: the switch point, > 0.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.huber([[0.0, 0.0]], [[0.5, 3.0]]))
        [1.3125]
    """
    return _huber(*pair(y_true, y_pred), delta)


@jax.custom_jvp
def _huber(y_true: jax.Array, y_pred: jax.Array, delta: Any) -> jax.Array:
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    # One expression for both pieces, without a select (XLA's CPU fusions stop at selects): with
    # c = min(|e|, delta), 0.5 c^2 + delta (|e| - c) is 0.5 e^2 inside and delta |e| - 0.5 delta^2 outside.
    clipped = jnp.minimum(abs_error, delta)
    return jnp.mean(0.5 * jnp.square(clipped) + delta * (abs_error - clipped), axis=-1)


@_huber.defjvp
def _huber_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
    (y_true, y_pred, delta), (d_true, d_pred, d_delta) = primals, tangents
    # d/de = clip(e, -delta, delta) (= e at |e| == delta, as in Keras) and d/d delta = max(|e| - delta, 0).
    # e is formed as -(y_true - y_pred) (exactly e): as the value's y_pred - y_true, XLA would share it between
    # the two passes and write it to memory (static cost 50.3 MB against 41.9 at 4096x512).
    error = -(y_true - y_pred)
    slope = clip(error, -delta, delta)
    outside = jnp.maximum(jnp.abs(error) - delta, 0.0)
    d_out = slope * (d_pred - d_true) + outside * d_delta
    return _huber(y_true, y_pred, delta), jnp.mean(d_out, axis=-1)


def log_cosh(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Logarithm of the hyperbolic cosine of the error.

    .. math:: \\ell = \\operatorname{mean}_{-1} \\big(x + \\operatorname{softplus}(-2x) - \\log 2\\big), \\quad x = y_{pred} - y_{true}

    Computed as `|x| + log1p(expm1(-2|x|) / 2)`: no overflow, and for small
    errors more precise than Keras's `x + softplus(-2x) - log 2`, which
    cancels (relative error about 1e6 at x = 1e-3 in float32; here 0.2).

    Args:
        y_true: targets, shape `[..., d]`.
        y_pred: predictions, shape `[..., d]`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.log_cosh([[0.0, 0.0]], [[1.0, -1.0]]))
        [0.4338]
    """
    return jnp.mean(_log_cosh(*pair(y_true, y_pred)), axis=-1)


@jax.custom_jvp
def _log_cosh(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    x = y_pred - y_true
    # log(cosh(x)) = |x| + log((1 + exp(-2|x|)) / 2) = |x| + log1p(expm1(-2|x|) / 2) never overflows cosh,
    # and for small x it avoids the cancellation of Keras's x + softplus(-2x) - log 2 (relative error at
    # x = 1e-3: about 0.2 instead of about 1e6). Select-free, so XLA's CPU fusion reads both inputs once.
    magnitude = jnp.abs(x)
    return magnitude + jnp.log1p(0.5 * jnp.expm1(-2.0 * magnitude))


@_log_cosh.defjvp
def _log_cosh_jvp(primals: tuple[jax.Array, jax.Array], tangents: tuple[jax.Array, jax.Array]) -> Any:
    (y_true, y_pred), (d_true, d_pred) = primals, tangents
    # d/dx log cosh x = tanh x, from y_true - y_pred: XLA would share the value's x between the passes.
    slope = -jnp.tanh(y_true - y_pred)
    return _log_cosh(y_true, y_pred), slope * (d_pred - d_true)


@validates_config
def smooth_l1(y_true: ArrayLike, y_pred: ArrayLike, *, beta: NonNegativeFloat = 1.0) -> jax.Array:
    """Smooth L1 loss (torch's `smooth_l1_loss`), averaged over the last axis.

    .. math:: \\ell = \\operatorname{mean}_{-1} \\begin{cases} \\tfrac12 e^2 / \\beta & |e| < \\beta \\\\ |e| - \\tfrac12 \\beta & \\text{otherwise} \\end{cases}

    `huber(delta=beta) / beta`; `beta = 0` is the mean absolute error.

    Args:
        y_true: targets, shape `[..., d]`.
        y_pred: predictions, shape `[..., d]`.
        beta: the switch point, >= 0.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.smooth_l1([[0.0, 0.0]], [[0.5, 3.0]]))
        [1.3125]
    """
    y_true, y_pred = pair(y_true, y_pred)
    # huber(delta=beta) / beta, with Huber's exact slope clip(e, -beta, beta) (autodiff of
    # 0.5 c^2 / beta + (|e| - c) cancels: (1 + e / beta) - 1); beta = 0 is the mean absolute error.
    # Double where: a (traced) beta of 0 never reaches the division.
    positive = jnp.asarray(beta) > 0
    safe_beta = jnp.where(positive, beta, 1.0)
    return jnp.where(positive, _huber(y_true, y_pred, safe_beta) / safe_beta, jnp.mean(jnp.abs(y_pred - y_true), -1))


# The loss classes: config fields as in the functions above, with Keras's defaults and names.


class MeanSquaredError(Loss, fn=mean_squared_error, name="mean_squared_error", aliases=("mse", "MSE"), in_keras=True):
    pass


class MeanAbsoluteError(
    Loss, fn=mean_absolute_error, name="mean_absolute_error", aliases=("mae", "MAE"), in_keras=True
):
    pass


class MeanAbsolutePercentageError(
    Loss,
    fn=mean_absolute_percentage_error,
    name="mean_absolute_percentage_error",
    aliases=("mape", "MAPE"),
    in_keras=True,
):
    pass


class MeanSquaredLogarithmicError(
    Loss,
    fn=mean_squared_logarithmic_error,
    name="mean_squared_logarithmic_error",
    aliases=("msle", "MSLE"),
    in_keras=True,
):
    pass


class CosineSimilarity(Loss, fn=cosine_similarity, name="cosine_similarity", in_keras=True):
    axis: Axes = -1


class Huber(Loss, fn=huber, name="huber_loss", in_keras=True):
    delta: PositiveFloat = 1.0


class LogCosh(Loss, fn=log_cosh, name="log_cosh", in_keras=True):
    pass


class SmoothL1(Loss, fn=smooth_l1, name="smooth_l1", in_keras=False):
    beta: NonNegativeFloat = 1.0
