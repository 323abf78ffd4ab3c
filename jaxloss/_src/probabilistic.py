"""KL divergence, Poisson, and the binary crossentropies (plain and focal)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src._checks import Axis, FiniteFloat, Flag, Fraction, NonNegativeFloat, validates_config
from jaxloss._src._numerics import EPSILON, clip_probs, is_zero, pair, safe_power, times
from jaxloss._src.checked import probabilities, within
from jaxloss._src.classes import Loss

__all__ = [
    "kl_divergence",
    "poisson",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "KLDivergence",
    "Poisson",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
]


def kl_divergence(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Kullback-Leibler divergence KL(y_true || y_pred) over the last axis.

    .. math:: \\ell = \\sum_{-1} t \\log(t / p), \\quad t = \\operatorname{clip}(y_{true}, \\epsilon, 1), \\; p = \\operatorname{clip}(y_{pred}, \\epsilon, 1)

    Both sides are clipped to [eps, 1] as in Keras, so zero targets give
    finite values and gradients.

    Args:
        y_true: target distribution, shape `[..., K]`.
        y_pred: predicted distribution, shape `[..., K]`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.kl_divergence([[0.5, 0.5]], [[0.25, 0.75]]))
        [0.1438]
    """
    y_true, y_pred = pair(y_true, y_pred)
    y_true = jnp.clip(y_true, EPSILON, 1.0)
    y_pred = jnp.clip(y_pred, EPSILON, 1.0)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


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
    at_or_above_zero = 1.0 - jnp.sign(jnp.maximum(-y_pred, 0.0))
    slope = 1.0 - at_or_above_zero * y_true / (jnp.maximum(y_pred, 0.0) + EPSILON)
    return _poisson(y_true, y_pred), jnp.mean(slope * d_pred - _log_rate(y_pred) * d_true, axis=-1)


def _smooth_binary(y_true: jax.Array, label_smoothing: float) -> jax.Array:
    if is_zero(label_smoothing):
        return y_true
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _binary_terms(y_true: jax.Array, y_pred: jax.Array, from_logits: bool) -> tuple[jax.Array, jax.Array]:
    """Elementwise BCE and the focal base 1 - p_t."""
    if from_logits:
        # -log(sigmoid(x)) = softplus(-x); times() makes 0 * inf = 0 for saturated logits.
        bce = times(y_true, jax.nn.softplus(-y_pred)) + times(1.0 - y_true, jax.nn.softplus(y_pred))
        # 1 - p_t from sigmoids directly: exact where 1 - sigmoid(x) would round to 0.
        one_minus_pt = y_true * jax.nn.sigmoid(-y_pred) + (1.0 - y_true) * jax.nn.sigmoid(y_pred)
        return bce, one_minus_pt
    p = clip_probs(y_pred)
    bce = -(y_true * jnp.log(p) + (1.0 - y_true) * jnp.log(1.0 - p))
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)  # Keras uses the unclipped y_pred here.
    return bce, 1.0 - p_t


@validates_config
def binary_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: Flag = False,
    label_smoothing: Fraction = 0.0,
    axis: Axis = -1,
) -> jax.Array:
    """Binary crossentropy, averaged over `axis`.

    .. math:: \\ell = \\operatorname{mean}_{axis} -\\big(t \\log p + (1 - t) \\log(1 - p)\\big), \\quad t = y_{true}(1 - s) + s/2

    With probabilities, `p` is clipped to [eps, 1 - eps] exactly as Keras
    does. With logits, the log-sigmoid form is used and an infinite logit
    whose label agrees with it gives 0, not NaN.

    Args:
        y_true: labels in [0, 1], shape `[..., d]`.
        y_pred: probabilities or logits, shape `[..., d]`.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: `s` in [0, 1]; squeezes labels towards 0.5.
        axis: the axis averaged over.

    Returns:
        `y_pred`'s shape without `axis`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]))
        [0.9163 0.7136]
    """
    y_true, y_pred = pair(y_true, y_pred)
    bce, _ = _binary_terms(_smooth_binary(y_true, label_smoothing), y_pred, from_logits)
    return jnp.mean(bce, axis=axis)


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
    y_true, y_pred = pair(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    bce, one_minus_pt = _binary_terms(y_true, y_pred, from_logits)
    focal_bce = safe_power(one_minus_pt, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal_bce
    return jnp.mean(focal_bce, axis=axis)


def _distributions(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    within("y_true", y_true, 0.0, 1.0, "a probability distribution")
    within("y_pred", y_pred, 0.0, 1.0, "a probability distribution")


def _counts_and_rates(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    within("y_true", y_true, 0.0, None, "Poisson counts")
    within("y_pred", y_pred, 0.0, None, "Poisson rates")


def _binary_labels(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    within("y_true", y_true, 0.0, 1.0, "binary labels")
    probabilities(cfg, y_pred)


class KLDivergence(Loss, fn=kl_divergence, name="kl_divergence", aliases=("kld", "KLD"), value_check=_distributions):
    pass


class Poisson(Loss, fn=poisson, name="poisson", value_check=_counts_and_rates):
    pass


class BinaryCrossentropy(
    Loss, fn=binary_crossentropy, name="binary_crossentropy", aliases=("bce", "BCE"), value_check=_binary_labels
):
    """>>> import jaxloss
    >>> bce = jaxloss.BinaryCrossentropy(from_logits=True)
    >>> print(bce([[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]], sample_weight=[0.8, 0.2]))
    0.2436
    """

    from_logits: Flag = False
    label_smoothing: Fraction = 0.0
    axis: Axis = -1


class BinaryFocalCrossentropy(
    Loss, fn=binary_focal_crossentropy, name="binary_focal_crossentropy", value_check=_binary_labels
):
    apply_class_balancing: Flag = False
    alpha: FiniteFloat = 0.25
    gamma: NonNegativeFloat = 2.0
    from_logits: Flag = False
    label_smoothing: Fraction = 0.0
    axis: Axis = -1
