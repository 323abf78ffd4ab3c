"""Beyond Keras: losses JAX users reach for in torch and optax, with jaxloss's conventions.

`(y_true, y_pred)` order, keyword-only config, extra arrays as keyword inputs
(passed at call time to the classes), and per-sample output: elementwise
losses are averaged over the last axis, as `mean_squared_error` is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._checks import FiniteFloat, Flag, NonNegativeFloat, PositiveFloat, validates_config
from jaxloss._src._numerics import as_float, clip, cosine, pair, take_last, times
from jaxloss._src.categorical import _pick, _sparse_labels, are_class_ids
from jaxloss._src.checked import check_all, class_ids, within
from jaxloss._src.classes import Loss
from jaxloss._src.probabilistic import binary_crossentropy
from jaxloss._src.regression import _huber

__all__ = [
    "smooth_l1",
    "gaussian_nll",
    "poisson_nll",
    "margin_ranking",
    "cosine_embedding",
    "multilabel_soft_margin",
    "perceptron",
    "multiclass_hinge",
    "sparsemax_loss",
    "make_fenchel_young_loss",
    "SmoothL1",
    "GaussianNLL",
    "PoissonNLL",
    "MarginRanking",
    "CosineEmbedding",
    "MultilabelSoftMargin",
    "Perceptron",
    "MulticlassHinge",
    "SparsemaxLoss",
]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


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


def _other_like(other: ArrayLike | None, y_pred: jax.Array, loss: str) -> jax.Array:
    """The second input `other` (x2), in `y_pred`'s compute dtype and of its shape."""
    if other is None:
        raise TypeError(f"`{loss}` needs the second input: pass `other=` (x2), an array shaped like `y_pred`.")
    x2 = as_float("other", other, y_pred.dtype)
    if x2.shape != y_pred.shape:
        raise ValueError(
            f"`other` must have the shape of `y_pred`. Received: other.shape={tuple(x2.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )
    return x2


@validates_config
def margin_ranking(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    other: ArrayLike | None = None,
    margin: FiniteFloat = 0.0,
) -> jax.Array:
    """Margin ranking loss (torch's `margin_ranking_loss`), averaged over the last axis.

    .. math:: \\ell = \\operatorname{mean}_{-1} \\max\\big(0, -y (x_1 - x_2) + m\\big)

    `y = 1` says `x1` should rank above `x2`, `y = -1` below.

    Args:
        y_true: `y` in {-1, 1}, shape `[..., d]`.
        y_pred: `x1`, shape `[..., d]`.
        other: `x2` (an input), shape `[..., d]`.
        margin: `m`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.margin_ranking([[1.0, -1.0]], [[0.2, 0.8]], other=[[0.5, 0.1]], margin=0.1))
        [0.6]
    """
    y_pred = as_float("y_pred", y_pred)
    x2 = _other_like(other, y_pred, "margin_ranking")
    if y_pred.ndim == 0:  # scalars: one feature, as `pair` makes them
        y_pred, x2 = y_pred[None], x2[None]
    y_true = as_float("y_true", y_true, y_pred.dtype)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:  # Keras's rank matching, on y_true only
        y_true = y_true[..., 0]
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    _checks.check_same_shape(y_true, y_pred)
    return jnp.mean(jnp.maximum(0.0, -y_true * (y_pred - x2) + margin), axis=-1)


@validates_config
def cosine_embedding(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    other: ArrayLike | None = None,
    margin: FiniteFloat = 0.0,
) -> jax.Array:
    """Cosine embedding loss (torch's `cosine_embedding_loss`), one value per pair of rows.

    .. math:: \\ell = \\begin{cases} 1 - \\cos(x_1, x_2) & y = 1 \\\\ \\max(0, \\cos(x_1, x_2) - m) & y = -1 \\end{cases}

    The cosine is taken over the last axis with the overflow-safe L2
    normalization of `cosine_similarity`: exact for huge vectors, 0 for zero
    vectors (torch adds 1e-12 to the squared norms instead, and overflows).

    Args:
        y_true: `y` in {-1, 1}, shape `[...]`.
        y_pred: `x1`, shape `[..., D]`.
        other: `x2` (an input), shape `[..., D]`.
        margin: `m`, in [-1, 1] in practice.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.cosine_embedding([1.0, -1.0], [[1.0, 0.0], [1.0, 1.0]], other=[[0.0, 1.0], [1.0, 0.0]]))
        [1.     0.7071]
    """
    y_pred = as_float("y_pred", y_pred)
    _checks.check_min_rank("y_pred", y_pred, 1, "(it needs a feature axis)")
    x2 = _other_like(other, y_pred, "cosine_embedding")
    y_true = as_float("y_true", y_true, y_pred.dtype)
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(
            "`y_true` must have one label per row: shape `y_pred.shape[:-1]`. "
            f"Received: y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )
    cos = cosine(y_pred, x2, -1)
    return jnp.where(y_true == 1, 1.0 - cos, 0.0) + jnp.where(y_true == -1, jnp.maximum(0.0, cos - margin), 0.0)


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


def perceptron(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Perceptron loss (optax's `perceptron_loss` and `multiclass_perceptron_loss`).

    .. math:: \\ell_{binary} = \\operatorname{mean}_{-1} \\max(0, -y \\, s), \\qquad \\ell_{multiclass} = \\max_k s_k - s_{y}

    Integer `y_true` with one axis less than `y_pred` are class ids
    (multiclass); otherwise `y_true` holds {-1, 1} labels of `y_pred`'s shape.

    Args:
        y_true: {-1, 1} labels `[..., d]`, or integer class ids `[...]`.
        y_pred: scores `[..., d]`, or `[..., K]` for class ids.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.perceptron([[1.0, -1.0]], [[0.5, 0.5]]))
        [0.25]
        >>> print(jaxloss.perceptron([0, 2], [[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]]))
        [1. 0.]
    """
    y_pred = as_float("y_pred", y_pred)
    if are_class_ids(y_true, y_pred):
        _checks.check_min_rank("y_pred", y_pred, 1, "(it needs a class axis)")
        picked, in_range = _pick(y_pred, _sparse_labels(y_true, y_pred))
        return jnp.where(in_range, jnp.max(y_pred, axis=-1) - picked, 0.0)
    y_true, y_pred = pair(y_true, y_pred)
    return jnp.mean(jnp.maximum(0.0, -times(y_true, y_pred)), axis=-1)  # finite derivatives at infinite scores


@validates_config
def multiclass_hinge(y_true: ArrayLike, y_pred: ArrayLike, *, margin: FiniteFloat = 1.0) -> jax.Array:
    """Multiclass (Crammer-Singer) hinge loss (optax's `multiclass_hinge_loss`).

    .. math:: \\ell = \\max_k \\big(s_k + m [k \\ne y]\\big) - s_y = \\max\\big(0, m + \\max_{k \\ne y} s_k - s_y\\big)

    Integer `y_true` with one axis less than `y_pred` are class ids (a label
    outside `[0, K)` gives 0); otherwise `y_true` holds one-hot labels. Keras's
    `categorical_hinge` differs where every other score is negative: it floors
    `max_{k != y} s_k` at 0. `margin=0` is the multiclass perceptron loss.

    Args:
        y_true: integer class ids `[...]`, or one-hot labels `[..., K]`.
        y_pred: scores, shape `[..., K]`.
        margin: `m`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.multiclass_hinge([0, 2], [[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]]))
        [2. 0.]
    """
    y_pred = as_float("y_pred", y_pred)
    _checks.check_min_rank("y_pred", y_pred, 1, "(it needs a class axis)")
    if are_class_ids(y_true, y_pred):
        labels = _sparse_labels(y_true, y_pred)
        picked, in_range = _pick(y_pred, labels)
        others = y_pred + margin * (jnp.arange(y_pred.shape[-1]) != labels[..., None])
        return jnp.where(in_range, jnp.max(others, axis=-1) - picked, 0.0)
    y_true, y_pred = pair(y_true, y_pred, scalar_as_feature=False)
    # times(): a zero label on an infinite score gives 0, not 0 * inf, with finite derivatives.
    return jnp.max(y_pred + margin * (1.0 - y_true), axis=-1) - jnp.sum(times(y_true, y_pred), axis=-1)


def _sparsemax(scores: jax.Array) -> jax.Array:
    """The Euclidean projection of `scores` onto the simplex, over the last axis (Martins & Astudillo, 2016)."""
    ranked = jnp.flip(jnp.sort(scores, axis=-1), axis=-1)
    rank = jnp.arange(1, scores.shape[-1] + 1, dtype=scores.dtype)
    cumulative = jnp.cumsum(ranked, axis=-1) - 1.0
    support = jnp.sum((ranked * rank > cumulative).astype(jnp.int32), axis=-1, keepdims=True)  # >= 1
    threshold = take_last(cumulative, support[..., 0] - 1)[..., None] / support.astype(scores.dtype)
    return jnp.maximum(scores - threshold, 0.0)


def _shifted_scores(scores: jax.Array) -> jax.Array:
    """Scores minus their max (sparsemax and its loss are shift-invariant), within [-max float, 0].

    Floored at -max float before and after the shift, so that 0 * score stays 0 and a row of -inf only
    (a masked row) becomes all zeros, uniform, not NaN.
    """
    lowest = -jnp.finfo(scores.dtype).max
    floored = jnp.maximum(scores, lowest)
    return jnp.maximum(floored - jnp.max(floored, axis=-1, keepdims=True), lowest)


@jax.custom_jvp
def _multiclass_sparsemax(labels: jax.Array, scores: jax.Array) -> jax.Array:
    scores = _shifted_scores(scores)
    probs = _sparsemax(scores)
    picked = take_last(scores, labels)
    return jnp.sum(probs * scores, axis=-1) - picked + 0.5 * (1.0 - jnp.sum(jnp.square(probs), axis=-1))


@_multiclass_sparsemax.defjvp
def _multiclass_sparsemax_jvp(primals: tuple[jax.Array, jax.Array], tangents: tuple[Any, jax.Array]) -> Any:
    (labels, scores), (_, tangent) = primals, tangents
    # A Fenchel-Young loss: its gradient is sparsemax(scores) - one_hot(label).
    at_label = take_last(tangent, labels)
    probs = _sparsemax(_shifted_scores(scores))
    return _multiclass_sparsemax(labels, scores), jnp.sum(probs * tangent, axis=-1) - at_label


def sparsemax_loss(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Sparsemax loss (optax's `multiclass_sparsemax_loss` and binary `sparsemax_loss`).

    .. math:: \\ell_{multiclass} = \\langle p, s \\rangle - s_y + \\tfrac12 (1 - \\lVert p \\rVert^2), \\; p = \\operatorname{sparsemax}(s), \\qquad \\ell_{binary} = \\operatorname{mean}_{-1} \\big(\\operatorname{sparse\\_plus}(s) - t s - t (1 - t)\\big)

    The Fenchel-Young loss of sparsemax (Martins & Astudillo, 2016; Blondel et
    al., 2020): 0 exactly when `sparsemax(s)` is the one-hot label, with
    gradient `sparsemax(s) - one_hot(y)`. Integer `y_true` with one axis less
    than `y_pred` are class ids (multiclass; a label outside `[0, K)` gives
    0); otherwise `y_true` holds {0, 1} labels of `y_pred`'s shape (binary:
    `sparse_plus(-s)` for label 1, `sparse_plus(s)` for 0, optax's). The binary
    form is written `sparse_plus(s) - t s - t (1 - t)`, the same at 0 and 1 and
    the Fenchel-Young loss of soft labels `t` in between (0 when
    `sparse_sigmoid(s) = t`), so it is differentiable in `y_true`.

    Args:
        y_true: integer class ids `[...]`, or {0, 1} labels `[..., d]`.
        y_pred: scores `[..., K]`, or `[..., d]` for binary labels.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.sparsemax_loss([0, 1], [[2.0, 0.0, 0.0], [0.2, 0.4, 0.0]]))
        [0.     0.1733]
        >>> print(jaxloss.sparsemax_loss([[1.0, 0.0]], [[0.5, -2.0]]))
        [0.0312]
    """
    y_pred = as_float("y_pred", y_pred)
    if are_class_ids(y_true, y_pred):
        _checks.check_min_rank("y_pred", y_pred, 1, "(it needs a class axis)")
        labels = _sparse_labels(y_true, y_pred)
        in_range = (labels >= 0) & (labels < y_pred.shape[-1])
        return jnp.where(in_range, _multiclass_sparsemax(jnp.where(in_range, labels, 0), y_pred), 0.0)
    y_true, y_pred = pair(y_true, y_pred)
    # The Fenchel-Young form, sparse_plus(s) - t s - t (1 - t): optax's at t in {0, 1}, continuous in t;
    # times(): a zero label on a -inf score (masked) gives 0, not 0 * inf.
    return jnp.mean(_sparse_plus(y_pred) - times(y_true, y_pred) - y_true * (1.0 - y_true), axis=-1)


def _sparse_plus(x: jax.Array) -> jax.Array:
    """jax.nn.sparse_plus, (c + 1)^2 / 4 + max(x - 1, 0) with c = clip(x, -1, 1): its derivative is finite at
    -inf too (jax.nn's gives 0 * inf = NaN there), and, the function being C1, exact at the kinks."""
    return 0.25 * jnp.square(clip(x, -1.0, 1.0) + 1.0) + jnp.maximum(x - 1.0, 0.0)


def make_fenchel_young_loss(max_fun: Callable[..., ArrayLike]) -> Callable[..., jax.Array]:
    """Builds the Fenchel-Young loss of a max function (Blondel et al., 2020; optax's `make_fenchel_young_loss`).

    .. math:: \\ell(t, s) = \\Omega^*(s) - \\langle t, s \\rangle

    `max_fun` maps scores `[K]` to a scalar, the convex conjugate `Omega*` of a
    regularizer (`logsumexp` gives the softmax crossentropy, `max` the
    perceptron); it is applied over the last axis. The loss's gradient in the
    scores is `grad(max_fun)(s) - t`. The result is a per-sample function in
    jaxloss's order, `(y_true, y_pred, *args, **kwargs)`, with extra arguments
    passed on to `max_fun`; `jaxloss.reduce` turns it into a reduced loss.
    (Add `Omega(t)` for a loss that is 0 at its minimum; the gradient in the
    scores is the same.)

    Args:
        max_fun: `scores [K] -> scalar`, convex.

    Returns:
        `fenchel_young_loss(y_true [..., K], y_pred [..., K], *args, **kwargs) -> [...]`.

    Example:
        >>> import jax
        >>> import jaxloss
        >>> fy = jaxloss.make_fenchel_young_loss(jax.nn.logsumexp)
        >>> print(fy([[0.0, 1.0]], [[0.0, 0.0]]))  # the crossentropy of a uniform prediction
        [0.6931]
    """
    if not callable(max_fun):
        raise TypeError(f"`max_fun` must be a function of the scores. Received: {max_fun!r}")
    max_over_last_axis = jnp.vectorize(max_fun, signature="(n)->()")

    def fenchel_young_loss(y_true: ArrayLike, y_pred: ArrayLike, *args: Any, **kwargs: Any) -> jax.Array:
        y_true, y_pred = pair(y_true, y_pred, scalar_as_feature=False)
        _checks.check_min_rank("y_pred", y_pred, 1, "(the scores need a last axis)")
        # A row of -inf scores only (masked) is handed to max_fun as zeros, and its conjugate is left out:
        # it gives -<t, s>, 0 for zero labels (+inf for positive ones) with a zero gradient, not NaN.
        masked = jnp.all(y_pred == -jnp.inf, axis=-1)
        conjugate = max_over_last_axis(jnp.where(masked[..., None], 0.0, y_pred), *args, **kwargs)
        # times(): a zero label on a -inf score gives 0, not 0 * inf.
        return jnp.where(masked, 0.0, conjugate) - jnp.sum(times(y_true, y_pred), axis=-1)

    fenchel_young_loss.__name__ = f"fenchel_young_loss_of_{getattr(max_fun, '__name__', 'max_fun')}"
    return fenchel_young_loss


# ---- checked mode ----------------------------------------------------------------------------------


def _signs_check(name: str, values: Any) -> None:
    values = jnp.asarray(values)
    check_all((values != 1) & (values != -1), values, f"`{name}` must be -1 or 1; found {{value}}.")


def _nonnegative_variance(cfg: dict[str, Any], y_true: Any, y_pred: Any, variance: Any = None, **_: Any) -> None:
    if variance is not None:
        within("variance", variance, 0.0, None, "variances")


def _counts(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    within("y_true", y_true, 0.0, None, "Poisson counts")
    if not cfg.get("log_input", True):
        within("y_pred", y_pred, 0.0, None, "Poisson rates")


def _sign_labels(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    _signs_check("y_true", y_true)


def _binary_labels(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    within("y_true", y_true, 0.0, 1.0, "multi-label targets")


def _zero_one(cfg: dict[str, Any], y_true: Any, y_pred: Any) -> None:
    within("y_true", y_true, 0.0, 1.0, "binary labels")
    values = jnp.asarray(y_true)
    check_all((values != 0) & (values != 1), values, "`y_true` must be 0 or 1; found {value}.")


def _one_hot(cfg: dict[str, Any], y_true: Any, y_pred: Any) -> None:
    within("y_true", y_true, 0.0, 1.0, "one-hot labels")


def _class_ids_or(other: Callable[..., None]) -> Callable[..., None]:
    """The value check of a loss taking class ids (one axis less than `y_pred`) or `other` labels."""

    def check(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
        if are_class_ids(y_true, y_pred):
            class_ids("y_true", y_true, jnp.shape(y_pred)[-1])
        else:
            other(cfg, y_true, y_pred)

    return check


class SmoothL1(Loss, fn=smooth_l1, name="smooth_l1", in_keras=False):
    beta: NonNegativeFloat = 1.0


class GaussianNLL(Loss, fn=gaussian_nll, name="gaussian_nll", value_check=_nonnegative_variance, in_keras=False):
    """Pass `variance=` at call time."""

    full: Flag = False
    eps: PositiveFloat = 1e-6


class PoissonNLL(Loss, fn=poisson_nll, name="poisson_nll", value_check=_counts, in_keras=False):
    log_input: Flag = True
    full: Flag = False
    eps: PositiveFloat = 1e-8


class MarginRanking(Loss, fn=margin_ranking, name="margin_ranking", value_check=_sign_labels, in_keras=False):
    """Pass `other=` (x2) at call time."""

    margin: FiniteFloat = 0.0


class CosineEmbedding(Loss, fn=cosine_embedding, name="cosine_embedding", value_check=_sign_labels, in_keras=False):
    """Pass `other=` (x2) at call time."""

    margin: FiniteFloat = 0.0


class MultilabelSoftMargin(
    Loss, fn=multilabel_soft_margin, name="multilabel_soft_margin", value_check=_binary_labels, in_keras=False
):
    pass


class Perceptron(Loss, fn=perceptron, name="perceptron", value_check=_class_ids_or(_sign_labels), in_keras=False):
    pass


class SparsemaxLoss(
    Loss, fn=sparsemax_loss, name="sparsemax_loss", value_check=_class_ids_or(_zero_one), in_keras=False
):
    pass


class MulticlassHinge(
    Loss, fn=multiclass_hinge, name="multiclass_hinge", value_check=_class_ids_or(_one_hot), in_keras=False
):
    margin: FiniteFloat = 1.0
