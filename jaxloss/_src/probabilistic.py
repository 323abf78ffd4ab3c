"""Likelihood losses: KL divergence, Poisson and the binary crossentropies, plain and focal (Keras); the
generalized KL divergence (optax); the Gaussian and Poisson NLL and the multi-label soft margin (torch)."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._checks import (
    Axis,
    FiniteFloat,
    Flag,
    Fraction,
    NonNegativeFloat,
    OptionalClassWeights,
    PositiveFloat,
    validates_config,
)
from jaxloss._src._labels import smooth_binary
from jaxloss._src._numerics import (
    EPSILON,
    as_float,
    clip,
    clip_probs,
    log_softmax,
    maximum_slope,
    opaque,
    pair,
    safe_power,
    times,
    times_nonnegative,
)
from jaxloss._src._value_checks import labels_within, probabilities, within
from jaxloss._src.classes import Loss

__all__ = [
    "kl_divergence",
    "generalized_kl_divergence",
    "convex_kl_divergence",
    "poisson",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "gaussian_nll",
    "poisson_nll",
    "multilabel_soft_margin",
    "KLDivergence",
    "GeneralizedKLDivergence",
    "Poisson",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "GaussianNLL",
    "PoissonNLL",
    "MultilabelSoftMargin",
]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@validates_config
def kl_divergence(
    y_true: ArrayLike, y_pred: ArrayLike, *, from_logits: Flag = False, log_target: Flag = False
) -> jax.Array:
    """Kullback-Leibler divergence KL(y_true || y_pred) over the last axis.

    .. math:: \\ell = \\sum_{-1} t (\\log t - \\log p), \\quad t = \\operatorname{clip}(y_{true}, \\epsilon, 1), \\; p = \\operatorname{clip}(y_{pred}, \\epsilon, 1)

    By default both sides are clipped to [eps, 1] as in Keras, so zero
    targets give finite values and gradients. The two options (not in Keras;
    their defaults keep Keras's numbers) read the inputs in log space, exactly:

    - `from_logits=True`: `log p = log_softmax(y_pred)`, and `t` unclipped
      with `0 log 0 = 0` (optax's `kl_divergence` on `log_softmax(y_pred)`);
    - `log_target=True`: `y_true` holds `log t`, unclipped; `t = exp(y_true)`,
      and a `-inf` log-target contributes 0 (torch's `kl_div(log_target=True)`,
      optax's `kl_divergence_with_log_targets`).

    Args:
        y_true: target distribution (or its log with `log_target`), shape `[..., K]`.
        y_pred: predicted distribution (or logits with `from_logits`), shape `[..., K]`.
        from_logits: whether `y_pred` holds logits.
        log_target: whether `y_true` holds log-probabilities.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.kl_divergence([[0.5, 0.5]], [[0.25, 0.75]]))
        [0.1438]
        >>> print(jaxloss.kl_divergence([[0.5, 0.5]], [[0.0, 1.0986]], from_logits=True))
        [0.1438]
    """
    y_true, y_pred = pair(y_true, y_pred)
    if not (from_logits or log_target):
        return _clipped_kl_divergence(y_true, y_pred)
    log_p = log_softmax(y_pred, -1) if from_logits else jnp.log(clip(y_pred, EPSILON, 1.0))
    if log_target:
        # times(): a -inf log-target (t = 0) gives 0, not 0 * inf.
        return jnp.sum(times(jnp.exp(y_true), y_true - log_p), axis=-1)
    # Exact, as optax and torch: t unclipped, 0 log 0 = 0, and times() keeps 0 * (-inf log p) at 0.
    return jnp.sum(_x_log_x(y_true) - times(y_true, log_p), axis=-1)


@jax.custom_jvp
def _clipped_kl_divergence(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """sum t (log t - log p) over the last axis, t and p clipped to [eps, 1] (Keras's)."""
    t = clip(y_true, EPSILON, 1.0)
    return jnp.sum(t * (jnp.log(t) - jnp.log(clip(y_pred, EPSILON, 1.0))), axis=-1)


@_clipped_kl_divergence.defjvp
def _clipped_kl_divergence_jvp(primals: tuple[jax.Array, jax.Array], tangents: tuple[jax.Array, jax.Array]) -> Any:
    (y_true, y_pred), (d_true, d_pred) = primals, tangents
    # The clips' derivatives (jnp.clip's: 1 inside, 1/2 at a bound), written apart from the value's clips:
    # XLA would otherwise share the clipped arrays (or the broadcast eps) between the two passes and write
    # them to memory.
    eps = opaque(EPSILON, y_pred.dtype)
    t, p = jnp.clip(y_true, eps, 1.0), jnp.clip(y_pred, eps, 1.0)
    d_t = (jnp.log(t) + 1.0 - jnp.log(p)) * _clip_slope(y_true) * d_true
    return _clipped_kl_divergence(y_true, y_pred), jnp.sum(d_t - (t / p) * _clip_slope(y_pred) * d_pred, axis=-1)


def _clip_slope(x: jax.Array) -> jax.Array:
    """d clip(x, eps, 1) / dx as jnp.clip's, min(max(x, eps), 1): 1 inside, 1/2 at either bound, 0 outside."""
    return maximum_slope(x, EPSILON) * maximum_slope(-x, -1.0)


def _x_log_x(x: jax.Array) -> jax.Array:
    """x log x with 0 log 0 = 0; at 0 its derivative (-inf, one-sided) is taken as 0."""
    positive = x > 0
    # Double where: log only sees positive values, so no NaN reaches the gradient.
    return jnp.where(positive, x * jnp.log(jnp.where(positive, x, 1.0)), 0.0)


def generalized_kl_divergence(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Generalized KL divergence between unnormalized measures (optax's `generalized_kl_divergence`).

    .. math:: \\ell = \\sum_{-1} \\big(t \\log t - t \\, y_{pred} + e^{y_{pred}} - t\\big)

    The Bregman divergence of `x log x - x`: `y_pred` holds the log of the
    predicted measure (as optax's `log_predictions`), `y_true` the target
    measure, >= 0, with `0 log 0 = 0`. It is the KL divergence plus
    `sum(exp(y_pred) - t)`, so it equals `kl_divergence(..., from_logits=True)`
    when both measures sum to 1. `convex_kl_divergence` is optax's older name.

    Args:
        y_true: target measure, >= 0, shape `[..., K]`.
        y_pred: log of the predicted measure, shape `[..., K]`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.generalized_kl_divergence([[1.0, 2.0]], [[0.0, 0.0]]))
        [0.3863]
    """
    y_true, y_pred = pair(y_true, y_pred)
    return jnp.sum(_x_log_x(y_true) - y_true * y_pred + jnp.exp(y_pred) - y_true, axis=-1)


convex_kl_divergence = generalized_kl_divergence  # optax's older (deprecated) name


def poisson(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Poisson negative log-likelihood (without the constant log y!).

    .. math:: \\ell = \\operatorname{mean}_{-1} \\big(y_{pred} - y_{true} \\log(y_{pred} + \\epsilon)\\big)

    A negative rate (invalid) is floored at 0 inside the log, so the result
    stays finite where Keras returns NaN.

    Args:
        y_true: observed counts, shape `[..., d]`.
        y_pred: predicted rates, shape `[..., d]`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.poisson([[1.0, 2.0]], [[1.0, 2.0]]))
        [0.8069]
    """
    return _poisson(*pair(y_true, y_pred))


def _log_rate(y_pred: jax.Array) -> jax.Array:
    """log(max(y_pred, 0) + eps), at most the largest float: finite, so 0 * log rate is 0."""
    # Invalid negative rates are floored at 0 inside the log; min() keeps 0 * log(inf) from giving NaN.
    return jnp.minimum(jnp.log(jnp.maximum(y_pred, 0.0) + EPSILON), jnp.finfo(y_pred.dtype).max)


@jax.custom_jvp
def _poisson(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    # Select-free (XLA's CPU fusions stop at selects); the derivative is given below.
    return jnp.mean(y_pred - y_true * _log_rate(y_pred), axis=-1)


@_poisson.defjvp
def _poisson_jvp(primals: tuple[jax.Array, jax.Array], tangents: tuple[jax.Array, jax.Array]) -> Any:
    (y_true, y_pred), (d_true, d_pred) = primals, tangents
    # d/dy_pred = 1 - y_true / (y_pred + eps) from a rate of 0 up (Keras's slope at 0), 1 below it.
    zero, eps = opaque(0.0, y_pred.dtype), opaque(EPSILON, y_pred.dtype)
    at_or_above_zero = 1.0 - jnp.sign(jnp.maximum(-y_pred, zero))
    slope = 1.0 - at_or_above_zero * y_true / (jnp.maximum(y_pred, zero) + eps)
    return _poisson(y_true, y_pred), jnp.mean(slope * d_pred - _log_rate(y_pred) * d_true, axis=-1)


def _sign_and_magnitude(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """sign(x) and |x| read at most max float (finite, so no 0 * inf)."""
    return jnp.sign(x), jnp.minimum(jnp.abs(x), jnp.finfo(x.dtype).max)


@jax.custom_jvp
def _binary_from_logits(y_true: jax.Array, y_pred: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Elementwise BCE, t softplus(-x) + (1 - t) softplus(x), and the focal base 1 - p_t, in one fused pass.

    softplus(+-x) = relu(+-x) + log1p(e) and sigmoid(+-|x|) = (1 or e) / (1 + e), with e = exp(-|x|):
    one exp and one log1p, no cancellation and no select. An infinite logit whose label agrees with it
    gives 0 (not 0 * inf), a disagreeing label +inf. The derivatives are given below, with sigmoids, exact
    at x = 0 to any order.
    """
    sign, magnitude = jnp.sign(y_pred), jnp.abs(y_pred)
    small = jnp.exp(-magnitude)
    # The weight of the side that grows with |x|: 1 - t for x > 0, t for x < 0, 1/2 (both) at 0.
    weight = 0.5 * ((1.0 - y_true) * (1.0 + sign) + y_true * (1.0 - sign))
    bce = times_nonnegative(weight, magnitude) + jnp.log1p(small)
    # 1 - p_t = t sigmoid(-x) + (1 - t) sigmoid(x): the growing side's weight on sigmoid(|x|), the rest on e / (1 + e).
    return bce, (weight + (1.0 - weight) * small) / (1.0 + small)


@_binary_from_logits.defjvp
def _binary_from_logits_jvp(primals: tuple[jax.Array, jax.Array], tangents: tuple[jax.Array, jax.Array]) -> Any:
    (y_true, y_pred), (d_true, d_pred) = primals, tangents
    # dBCE/dx = sigmoid(x) - t; dBCE/dt = softplus(-x) - softplus(x) = -x, read at most max float (finite
    # times a 0 tangent). d(1 - p_t)/dx = (1 - 2t) sigmoid(x) sigmoid(-x); d(1 - p_t)/dt = -tanh(x / 2).
    sign, magnitude = _sign_and_magnitude(y_pred)
    clipped = sign * magnitude
    up, down = jax.nn.sigmoid(y_pred), jax.nn.sigmoid(-y_pred)
    # sigmoid(x) - t as (1 - t) sigmoid(x) - t sigmoid(-x): no cancellation for confident logits (1 - 1 = 0
    # where the exact -sigmoid(-x) is tiny).
    d_bce = ((1.0 - y_true) * up - y_true * down) * d_pred - clipped * d_true
    d_base = (1.0 - 2.0 * y_true) * up * down * d_pred - jnp.tanh(0.5 * y_pred) * d_true
    return _binary_from_logits(y_true, y_pred), (d_bce, d_base)


def _bce_parts(y_true: jax.Array, y_pred: jax.Array, from_logits: bool) -> tuple[jax.Array, jax.Array]:
    """The elementwise BCE's two terms, `-t log p` and `-(1 - t) log(1 - p)`."""
    if from_logits:
        # -log(sigmoid(x)) = softplus(-x); times() makes 0 * inf = 0 for saturated logits.
        return times(y_true, jax.nn.softplus(-y_pred)), times(1.0 - y_true, jax.nn.softplus(y_pred))
    p = clip_probs(y_pred)
    # log1p(-p): Keras's log(1 - p), without the rounding of 1 - p (1.19e-7 for p = 1e-7, not 1.0e-7).
    return -(y_true * jnp.log(p)), -((1.0 - y_true) * jnp.log1p(-p))


def _binary_terms(y_true: jax.Array, y_pred: jax.Array, from_logits: bool) -> tuple[jax.Array, jax.Array]:
    """Elementwise BCE and the focal base 1 - p_t."""
    if from_logits:
        # 1 - p_t without cancellation, where 1 - sigmoid(x) would round to 0.
        return _binary_from_logits(y_true, y_pred)
    positive, negative = _bce_parts(y_true, y_pred, from_logits)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)  # Keras uses the unclipped y_pred here.
    return positive + negative, 1.0 - p_t


@validates_config
def binary_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: Flag = False,
    label_smoothing: Fraction = 0.0,
    axis: Axis = -1,
    pos_weight: OptionalClassWeights = None,
) -> jax.Array:
    """Binary crossentropy, averaged over `axis`.

    .. math:: \\ell = \\operatorname{mean}_{axis} -\\big(w_+ t \\log p + (1 - t) \\log(1 - p)\\big), \\quad t = y_{true}(1 - s) + s/2

    With probabilities, `p` is clipped to [eps, 1 - eps] exactly as Keras
    does. With logits, the log-sigmoid form is used and an infinite logit
    whose label agrees with it gives 0, not NaN. `pos_weight` (`w_+`) is
    torch's `binary_cross_entropy_with_logits(pos_weight=)`, for logits and
    probabilities alike; Keras has no such option, and its default (None,
    `w_+ = 1`) keeps Keras's numbers.

    Args:
        y_true: labels in [0, 1], shape `[..., d]`.
        y_pred: probabilities or logits, shape `[..., d]`.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: `s` in [0, 1]; squeezes labels towards 0.5.
        axis: the axis averaged over.
        pos_weight: weight of the positive term: one number, or one per
            class (a list of `d`, laid along the last axis, as torch
            broadcasts it), or None.

    Returns:
        `y_pred`'s shape without `axis`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]))
        [0.9163 0.7136]
        >>> print(jaxloss.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], pos_weight=3.0))
        [1.8326 0.7136]
    """
    y_true, y_pred = pair(y_true, y_pred, last_axis_reduced=False)
    axis = _checks.nonempty_axis("y_pred", y_pred, axis)
    y_true = smooth_binary(y_true, label_smoothing)
    if pos_weight is None:
        bce, _ = _binary_terms(y_true, y_pred, from_logits)
        return jnp.mean(bce, axis=axis)
    positive, negative = _bce_parts(y_true, y_pred, from_logits)
    return jnp.mean(_positive_weights(pos_weight, y_pred) * positive + negative, axis=axis)


def _positive_weights(pos_weight: Any, y_pred: jax.Array) -> Any:
    """A scalar as is; a list of per-class weights laid along the last axis (torch's broadcasting)."""
    if not isinstance(pos_weight, (list, tuple)) and jnp.ndim(pos_weight) == 0:
        return pos_weight
    weights = jnp.asarray(pos_weight, y_pred.dtype)
    if y_pred.ndim == 0 or weights.shape[0] != y_pred.shape[-1]:
        raise ValueError(
            "`pos_weight` must be a number or have one weight per class of the last axis: expected length "
            f"{y_pred.shape[-1] if y_pred.ndim else 1}. Received: pos_weight of length {weights.shape[0]}, "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )
    return weights


@validates_config
def binary_focal_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    apply_class_balancing: Flag = False,
    alpha: FiniteFloat = 0.25,
    gamma: NonNegativeFloat = 2.0,
    from_logits: Flag = False,
    label_smoothing: Fraction = 0.0,
    axis: Axis = -1,
) -> jax.Array:
    """Binary focal crossentropy (Lin et al., 2018), averaged over `axis`.

    .. math:: \\ell = \\operatorname{mean}_{axis} \\; w \\, (1 - p_t)^\\gamma \\, \\mathrm{BCE}, \\quad p_t = t p + (1 - t)(1 - p), \\quad w = t \\alpha + (1 - t)(1 - \\alpha)

    `w` applies only with `apply_class_balancing`. With `from_logits=True`
    everything is computed from the logits in log space: Keras applies a
    sigmoid and its probability clip first, so |logit| = 100 gives 16.03
    there and 100 here.

    Args:
        y_true: labels in [0, 1], shape `[..., d]`.
        y_pred: probabilities or logits, shape `[..., d]`.
        apply_class_balancing: whether to weight classes by `alpha`.
        alpha: weight of class 1; class 0 gets `1 - alpha`.
        gamma: focusing parameter, >= 0; 0 gives plain BCE.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in [0, 1]; squeezes labels towards 0.5.
        axis: the axis averaged over.

    Returns:
        `y_pred`'s shape without `axis`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.binary_focal_crossentropy([[0, 1]], [[-100.0, -100.0]], from_logits=True))
        [50.]
    """
    y_true, y_pred = pair(y_true, y_pred, last_axis_reduced=False)
    axis = _checks.nonempty_axis("y_pred", y_pred, axis)
    y_true = smooth_binary(y_true, label_smoothing)
    bce, one_minus_pt = _binary_terms(y_true, y_pred, from_logits)
    focal_bce = safe_power(one_minus_pt, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal_bce
    return jnp.mean(focal_bce, axis=axis)


def _variance_like(variance: ArrayLike | None, y_pred: jax.Array) -> jax.Array:
    """torch's shapes: as `y_pred`, or without its last axis (one variance per sample), or broadcastable."""
    if variance is None:
        raise TypeError("`gaussian_nll` needs the predicted variance: pass `variance=` (an array of variances).")
    variance = as_float("variance", variance, y_pred.dtype)
    if variance.ndim == y_pred.ndim - 1 and variance.shape == y_pred.shape[:-1]:
        variance = variance[..., None]
    try:
        return jnp.broadcast_to(variance, y_pred.shape)
    except ValueError:
        raise ValueError(
            "`variance` must have the shape of `y_pred`, or that shape without its last axis, or broadcast to it. "
            f"Received: variance.shape={tuple(variance.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        ) from None


@validates_config
def gaussian_nll(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    variance: ArrayLike | None = None,
    full: Flag = False,
    eps: PositiveFloat = 1e-6,
) -> jax.Array:
    """Gaussian negative log-likelihood (torch's `gaussian_nll_loss`), averaged over the last axis.

    .. math:: \\ell = \\operatorname{mean}_{-1} \\tfrac12 \\big(\\log v + (y_{pred} - y_{true})^2 / v\\big) \\; [+ \\tfrac12 \\log 2\\pi], \\quad v = \\max(\\mathrm{variance}, \\epsilon)

    As in torch, the variance is clamped at `eps` for the value while its
    gradient is taken as if unclamped (so a tiny variance still learns).

    Args:
        y_true: targets, shape `[..., d]`.
        y_pred: predicted means, shape `[..., d]`.
        variance: predicted variances (an input, not config): shape `[..., d]`,
            `[...]` (one per sample) or broadcastable. Must be >= 0
            (`jaxloss.checked` reports negative ones).
        full: add the constant `0.5 log(2 pi)`.
        eps: the clamp, > 0.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.gaussian_nll([[0.0, 1.0]], [[0.5, 1.0]], variance=[[1.0, 0.25]]))
        [-0.2841]
    """
    y_true, y_pred = pair(y_true, y_pred)
    var = _variance_like(variance, y_pred)
    # torch clamps in place under no_grad: the clamped value, the unclamped gradient.
    var = var + jax.lax.stop_gradient(jnp.maximum(var, eps) - var)
    loss = 0.5 * (jnp.log(var) + jnp.square(y_pred - y_true) / var)
    if full:
        loss = loss + _HALF_LOG_2PI
    return jnp.mean(loss, axis=-1)


@validates_config
def poisson_nll(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    log_input: Flag = True,
    full: Flag = False,
    eps: PositiveFloat = 1e-8,
) -> jax.Array:
    """Poisson negative log-likelihood (torch's `poisson_nll_loss`), averaged over the last axis.

    .. math:: \\ell = \\operatorname{mean}_{-1} \\begin{cases} e^{x} - t x & \\text{log\\_input} \\\\ x - t \\log(x + \\epsilon) & \\text{otherwise} \\end{cases} \\; [+ t \\log t - t + \\tfrac12 \\log(2 \\pi t)]_{t > 1}

    With `full`, Stirling's approximation of `log(t!)` is added where `t > 1`,
    as in torch. With `log_input=False`, a zero count times `log(0 + eps)` is 0.

    Args:
        y_true: observed counts `t`, shape `[..., d]`.
        y_pred: `x`, log-rates (`log_input=True`) or rates, shape `[..., d]`.
        log_input: whether `y_pred` holds log-rates.
        full: add the Stirling term.
        eps: added to the rate inside the log when `log_input=False`, > 0.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.poisson_nll([[1.0, 3.0]], [[0.0, 1.0]]))
        [0.3591]
    """
    y_true, y_pred = pair(y_true, y_pred)
    if log_input:
        loss = jnp.exp(y_pred) - y_true * y_pred
    else:
        loss = y_pred - y_true * jnp.log(y_pred + eps)
    if full:
        above_one = y_true > 1
        counts = jnp.where(above_one, y_true, 2.0)  # double where: no log of counts <= 0 in the gradient
        stirling = counts * jnp.log(counts) - counts + 0.5 * jnp.log(2.0 * math.pi * counts)
        loss = loss + jnp.where(above_one, stirling, 0.0)
    return jnp.mean(loss, axis=-1)


def multilabel_soft_margin(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Multi-label soft margin loss (torch's `multilabel_soft_margin_loss`).

    .. math:: \\ell = -\\operatorname{mean}_{-1} \\big(t \\log \\sigma(x) + (1 - t) \\log \\sigma(-x)\\big)

    The per-sample binary crossentropy from logits: exact and finite for
    saturated logits (see `binary_crossentropy`).

    Args:
        y_true: labels in {0, 1}, shape `[..., C]`.
        y_pred: logits, shape `[..., C]`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.multilabel_soft_margin([[1.0, 0.0]], [[2.0, -1.0]]))
        [0.2201]
    """
    return binary_crossentropy(y_true, y_pred, from_logits=True)


def _distributions(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    if cfg.get("log_target", False):
        within("y_true", y_true, -jnp.inf, 0.0, "log-probabilities, since log_target=True")
    else:
        within("y_true", y_true, 0.0, 1.0, "a probability distribution")
    if not cfg.get("from_logits", False):
        within("y_pred", y_pred, 0.0, 1.0, "a probability distribution")


def _nonnegative_targets(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    within("y_true", y_true, 0.0, None, "a measure")


def _counts_and_rates(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    within("y_true", y_true, 0.0, None, "Poisson counts")
    if not cfg.get("log_input", False):  # log-rates (poisson_nll's default) may be negative
        within("y_pred", y_pred, 0.0, None, "Poisson rates")


def _nonnegative_variance(cfg: dict[str, Any], y_true: Any, y_pred: Any, variance: Any = None, **_: Any) -> None:
    if variance is not None:
        within("variance", variance, 0.0, None, "variances")


def _binary_labels(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    within("y_true", y_true, 0.0, 1.0, "binary labels")
    probabilities(cfg, y_true, y_pred)


class KLDivergence(
    Loss, fn=kl_divergence, name="kl_divergence", aliases=("kld", "KLD"), value_check=_distributions, in_keras=True
):
    from_logits: Flag = False
    log_target: Flag = False


class GeneralizedKLDivergence(
    Loss,
    fn=generalized_kl_divergence,
    name="generalized_kl_divergence",
    aliases=("convex_kl_divergence",),
    value_check=_nonnegative_targets,
    in_keras=False,
):
    pass


class Poisson(Loss, fn=poisson, name="poisson", value_check=_counts_and_rates, in_keras=True):
    pass


class BinaryCrossentropy(
    Loss,
    fn=binary_crossentropy,
    name="binary_crossentropy",
    aliases=("bce", "BCE"),
    value_check=_binary_labels,
    in_keras=True,
):
    """>>> import jaxloss
    >>> bce = jaxloss.BinaryCrossentropy(from_logits=True)
    >>> print(bce([[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]], sample_weight=[0.8, 0.2]))
    0.2436
    """

    from_logits: Flag = False
    label_smoothing: Fraction = 0.0
    axis: Axis = -1
    pos_weight: OptionalClassWeights = None


class BinaryFocalCrossentropy(
    Loss, fn=binary_focal_crossentropy, name="binary_focal_crossentropy", value_check=_binary_labels, in_keras=True
):
    apply_class_balancing: Flag = False
    alpha: FiniteFloat = 0.25
    gamma: NonNegativeFloat = 2.0
    from_logits: Flag = False
    label_smoothing: Fraction = 0.0
    axis: Axis = -1


class GaussianNLL(Loss, fn=gaussian_nll, name="gaussian_nll", value_check=_nonnegative_variance, in_keras=False):
    """Pass `variance=` at call time."""

    full: Flag = False
    eps: PositiveFloat = 1e-6


class PoissonNLL(Loss, fn=poisson_nll, name="poisson_nll", value_check=_counts_and_rates, in_keras=False):
    log_input: Flag = True
    full: Flag = False
    eps: PositiveFloat = 1e-8


class MultilabelSoftMargin(
    Loss,
    fn=multilabel_soft_margin,
    name="multilabel_soft_margin",
    value_check=labels_within(0.0, 1.0, "multi-label targets"),
    in_keras=False,
):
    pass
