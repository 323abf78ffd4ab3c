"""Categorical crossentropies: one-hot (plain and focal), sparse, and generalized."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src._checks import (
    Axis,
    ClassWeights,
    FiniteFloat,
    Flag,
    Fraction,
    NonNegativeFloat,
    OpenFraction,
    OptionalClassId,
    validates_config,
)
from jaxloss._src._labels import are_class_ids, check_class_axis, clamped, pick, smooth_categorical, sparse_labels
from jaxloss._src._numerics import (
    as_array,
    as_float,
    clip_probs,
    is_zero,
    log_softmax,
    pair,
    safe_divide,
    safe_power,
    softmax_terms,
    take_last,
    times,
    times_nonnegative,
)
from jaxloss._src._value_checks import (
    all_of,
    class_ids,
    class_ids_in_range,
    class_ids_or,
    labels_within,
    probabilities,
    within,
)
from jaxloss._src.classes import Loss
from jaxloss._src.reduce import LossWithMask, returns_mask

__all__ = [
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy",
    "categorical_generalized_cross_entropy",
    "poly1_crossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "Poly1Crossentropy",
]


def _warn_single_class(loss_name: str, y_pred: jax.Array, axis: int) -> None:
    """Keras's warning for a class axis of size 1, where the loss is identically 0."""
    if y_pred.shape[axis] == 1:
        warnings.warn(
            f"In loss {loss_name}, expected y_pred.shape to be (batch_size, num_classes) "
            f"with num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def _normalized_probs(y_pred: jax.Array, axis: int) -> jax.Array:
    """Keras's renormalization then clip; a row summing to 0 gives eps instead of NaN."""
    total = jnp.sum(y_pred, axis=axis, keepdims=True)
    # The zero-sum guard acts on the per-row factor, so no full-size select stops XLA's fusion.
    return clip_probs(y_pred * safe_divide(jnp.ones_like(total), total))


def _crossentropy_terms(y_true: jax.Array, logits: jax.Array, axis: int) -> tuple[jax.Array, ...]:
    """exp(x - max) and its sum over `axis`, -log p read at most max float, and the crossentropy."""
    _, shifted, exps, total = softmax_terms(logits, axis)
    minus_log_probs = jnp.log(total) - shifted  # +inf at a -inf logit
    # A zero label on a -inf logit gives 0, a nonzero one +inf: select-free, and one fused pass.
    value = jnp.sum(times_nonnegative(y_true, minus_log_probs), axis=axis)
    return exps, total, jnp.minimum(minus_log_probs, jnp.finfo(logits.dtype).max), value


@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def _crossentropy_from_logits(y_true: jax.Array, logits: jax.Array, axis: int) -> jax.Array:
    """-sum_axis t log softmax(logits), exact for -inf and +inf logits, without a select."""
    return _crossentropy_terms(y_true, logits, axis)[-1]


@_crossentropy_from_logits.defjvp
def _crossentropy_from_logits_jvp(axis: int, primals: Any, tangents: Any) -> Any:
    (y_true, logits), (d_true, d_logits) = primals, tangents
    exps, total, minus_log_probs, value = _crossentropy_terms(y_true, logits, axis)
    # d/dx = sum(t) softmax - t, from the stored exponentials (one exp per logit, as optax's);
    # d/dt = -log p, read at most max float as in the value.
    softmax_scale = jnp.sum(y_true, axis=axis, keepdims=True) / total
    d_value = jnp.sum((softmax_scale * exps - y_true) * d_logits + minus_log_probs * d_true, axis=axis)
    return value, d_value


@validates_config
def categorical_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: Flag = False,
    label_smoothing: Fraction = 0.0,
    axis: Axis = -1,
) -> jax.Array:
    """Categorical crossentropy for one-hot (or soft) labels.

    .. math:: \\ell = -\\sum_{axis} t \\log p, \\quad t = y_{true}(1 - s) + s / K

    With probabilities, `y_pred` is renormalized to sum to 1 along `axis`
    and clipped to [eps, 1 - eps], as in Keras. With logits, `log_softmax` is
    used and a `-inf` logit on a zero label contributes 0 (optax gives NaN).

    Args:
        y_true: one-hot or soft labels, shape `[..., K]`.
        y_pred: probabilities or logits, shape `[..., K]`.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: `s` in [0, 1]. `K` is the size of the class axis `axis`.
        axis: the class axis.

    Returns:
        `y_pred`'s shape without `axis`.

    Example:
        >>> import jaxloss
        >>> y_true = [[0, 1, 0], [0, 0, 1]]
        >>> y_pred = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
        >>> print(jaxloss.categorical_crossentropy(y_true, y_pred))
        [0.0513 2.3026]
    """
    y_true, y_pred = pair(y_true, y_pred, scalar_as_feature=False, last_axis_reduced=False)
    axis = check_class_axis(y_pred, axis)
    _warn_single_class("categorical_crossentropy", y_pred, axis)
    y_true = smooth_categorical(y_true, label_smoothing, y_pred.shape[axis])
    if from_logits:
        return _crossentropy_from_logits(y_true, y_pred, axis)
    log_probs = jnp.log(_normalized_probs(y_pred, axis))  # clipped: finite, so no 0 * inf to guard
    return jnp.sum(y_true * (0.0 - log_probs), axis=axis)  # 0 - x: no -0.0 for a certain prediction


def _class_weights(alpha: float | Sequence[float] | ArrayLike, y_pred: jax.Array, axis: int) -> jax.Array | float:
    """A scalar alpha as is; a list (or 1-D array) of per-class weights laid along the class axis."""
    if not isinstance(alpha, (list, tuple)) and jnp.ndim(alpha) == 0:
        return alpha
    num_classes = y_pred.shape[axis]
    if len(alpha) != num_classes:
        raise ValueError(
            f"`alpha` must have one weight per class: expected a list of length {num_classes} "
            f"(y_pred.shape[{axis}]). Received: alpha of length {len(alpha)}"
        )
    # Per-class weights broadcast along the class axis (Keras broadcasts them on the last axis).
    return jnp.asarray(alpha, y_pred.dtype).reshape((num_classes,) + (1,) * (y_pred.ndim - 1 - axis))


@validates_config
def categorical_focal_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    alpha: ClassWeights = 0.25,
    gamma: NonNegativeFloat = 2.0,
    from_logits: Flag = False,
    label_smoothing: Fraction = 0.0,
    axis: Axis = -1,
) -> jax.Array:
    """Alpha-balanced categorical focal crossentropy (Lin et al., 2018).

    .. math:: \\ell = -\\sum_{axis} \\alpha_k (1 - p_k)^\\gamma \\, t_k \\log p_k

    With probabilities, `p` is renormalized and clipped as in Keras. With
    logits, `log p = log_softmax` and `1 - p = -expm1(log p)` are exact where
    Keras's softmax-then-clip saturates.

    Args:
        y_true: one-hot or soft labels, shape `[..., K]`.
        y_pred: probabilities or logits, shape `[..., K]`.
        alpha: a weight for all classes, or `K` per-class weights (a list or 1-D
            array), laid along `axis`. Keras lays them along the last axis.
        gamma: focusing parameter, >= 0.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in [0, 1], as in `categorical_crossentropy`.
        axis: the class axis.

    Returns:
        `y_pred`'s shape without `axis`.

    Raises:
        ValueError: if `alpha` is a list whose length is not `K`.

    Example:
        >>> import jaxloss
        >>> y_true = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        >>> y_pred = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
        >>> print(jaxloss.categorical_focal_crossentropy(y_true, y_pred))
        [0.     0.4663]
    """
    y_true, y_pred = pair(y_true, y_pred, scalar_as_feature=False, last_axis_reduced=False)
    axis = check_class_axis(y_pred, axis)
    _warn_single_class("categorical_focal_crossentropy", y_pred, axis)
    weights = _class_weights(alpha, y_pred, axis)
    y_true = smooth_categorical(y_true, label_smoothing, y_pred.shape[axis])
    if from_logits:
        # log p floored at -max float, so a zero label (or weight) on a -inf logit gives 0 without a select;
        # the +inf a weighted label on one gives comes back through the indicator.
        lowest = -jnp.finfo(y_pred.dtype).max
        # exact_top: a confident row's 1 - p (the focal factor) is the sum below its top, not 0.
        log_probs = log_softmax(y_pred, axis, lowest, True)
        one_minus_p = -jnp.expm1(log_probs)  # 1 - softmax without cancellation.
        weighted = weights * y_true
        excess = lowest - jnp.minimum(y_pred, lowest)  # +inf at a -inf logit, else 0 (+inf included)
        lost = jax.lax.stop_gradient(times_nonnegative(weighted, excess))
        return jnp.sum(weighted * safe_power(one_minus_p, gamma) * (0.0 - log_probs) + lost, axis=axis)
    probs = _normalized_probs(y_pred, axis)
    log_probs = jnp.log(probs)
    focal = weights * safe_power(1.0 - probs, gamma) * times(y_true, 0.0 - log_probs)
    return jnp.sum(focal, axis=axis)


def _sparse_terms(labels: jax.Array, logits: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """exp(x - max) and its row sum, and -log softmax(logits)[label], the label's logit gathered."""
    top, _, exps, total = softmax_terms(logits)
    picked = take_last(logits, labels)
    return exps, total, jnp.log(total[..., 0]) - jnp.minimum(picked - top[..., 0], 0.0)


@jax.custom_jvp
def _sparse_crossentropy_from_logits(labels: jax.Array, logits: jax.Array) -> jax.Array:
    """-log softmax(logits)[label] for labels in range: the label's logit is gathered, nothing [..., K] is stored."""
    return _sparse_terms(labels, logits)[-1]


def _at_label(labels: jax.Array, tangent: jax.Array) -> jax.Array:
    """The label's tangent picked by a comparison, not a gather.

    Its transpose is then `softmax - one-hot` formed in one elementwise pass,
    where a gather's would scatter into a zeroed [..., K] array.
    """
    return jnp.where(jnp.arange(tangent.shape[-1]) == labels[..., None], tangent, 0.0)


@_sparse_crossentropy_from_logits.defjvp
def _sparse_crossentropy_from_logits_jvp(primals: tuple[jax.Array, jax.Array], tangents: tuple[Any, jax.Array]) -> Any:
    (labels, logits), (_, tangent) = primals, tangents
    exps, total, value = _sparse_terms(labels, logits)
    # The stored exponentials serve the normalizer and the softmax, as in optax: one exp per logit.
    probs = exps / total
    return value, jnp.sum(probs * tangent - _at_label(labels, tangent), -1)


@jax.custom_jvp
def _smoothed_sparse_crossentropy_from_logits(labels: jax.Array, logits: jax.Array, smoothing: jax.Array) -> jax.Array:
    """-sum_k t_k log softmax(logits)_k with t = (1 - s) one_hot(label) + s / K, without forming t."""
    _, shifted, _, total = softmax_terms(logits)
    log_normalizer = jnp.log(total)
    picked = take_last(shifted, labels)
    # sum_k t_k = 1, so the normalizer enters once; the uniform part needs only the row mean of the logits.
    mean_shifted = jnp.mean(shifted, axis=-1)
    return log_normalizer[..., 0] - (1.0 - smoothing) * picked - smoothing * mean_shifted


@_smoothed_sparse_crossentropy_from_logits.defjvp
def _smoothed_sparse_crossentropy_from_logits_jvp(primals: Any, tangents: Any) -> Any:
    (labels, logits, smoothing), (_, tangent, d_smoothing) = primals, tangents
    _, shifted, _, total = softmax_terms(logits)
    log_normalizer = jnp.log(total)
    probs = jnp.exp(shifted - log_normalizer)
    at_label = _at_label(labels, tangent)
    d_logits = jnp.sum(probs * tangent - (1.0 - smoothing) * at_label, -1) - smoothing * jnp.mean(tangent, -1)
    # d/ds = log p_label - mean_k log p_k.
    picked = take_last(shifted, labels)
    d_s = (picked - jnp.mean(shifted, axis=-1)) * d_smoothing
    return _smoothed_sparse_crossentropy_from_logits(labels, logits, smoothing), d_logits + d_s


@returns_mask
@validates_config
def sparse_categorical_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: Flag = False,
    ignore_class: OptionalClassId = None,
    axis: Axis = -1,
    label_smoothing: Fraction = 0.0,
) -> LossWithMask:
    """Categorical crossentropy for integer class ids.

    .. math:: \\ell = -(1 - s) \\log p_{y_{true}} - \\frac{s}{K} \\sum_k \\log p_k

    The label's log-probability is gathered, never one-hot encoded. With
    probabilities, `y_pred` is renormalized and clipped as in Keras. A label
    outside `[0, K)` gives 0, as Keras's one-hot does (see `jaxloss.checked`
    to catch it). Labels equal to `ignore_class` give 0 and are left out of
    the mean's denominator by `reduce` and the loss classes.

    `label_smoothing` is optax's `smooth_labels` on the one-hot labels
    (`(1 - s) one_hot + s / K`, as `categorical_crossentropy`'s), without
    forming them. Keras has no such option; its default 0 gives Keras's numbers.

    Args:
        y_true: class ids, shape `[...]` or `[..., 1]`: integers, or floats
            holding whole numbers (as Keras's `fit` passes them), cast as Keras
            casts them (`jaxloss.checked` reports values that are not whole).
        y_pred: probabilities or logits, shape `[..., K]`.
        from_logits: whether `y_pred` holds logits.
        ignore_class: a label value to ignore (e.g. -1 or 255), or None.
        axis: the class axis; must be the last one (as with Keras on JAX).
        label_smoothing: `s` in [0, 1]; works with `ignore_class`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> y_pred = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
        >>> print(jaxloss.sparse_categorical_crossentropy([1, 2], y_pred))
        [0.0513 2.3026]
        >>> print(jaxloss.sparse_categorical_crossentropy([1, -1], y_pred, ignore_class=-1))
        [0.0513 0.    ]
    """
    y_pred = as_float("y_pred", y_pred)
    class_axis = check_class_axis(y_pred, axis)
    labels = sparse_labels(y_true, y_pred)
    if class_axis != y_pred.ndim - 1:
        raise ValueError(
            "`axis` must be the last axis of `y_pred` (the class axis). Move the class axis "
            f"last with `jnp.moveaxis`. Received: axis={axis}, y_pred.shape={tuple(y_pred.shape)}"
        )
    valid = None if ignore_class is None else labels != ignore_class
    if valid is not None:
        labels = jnp.where(valid, labels, 0)
    if from_logits:
        labels, in_range = clamped(labels, y_pred.shape[-1])
        if is_zero(label_smoothing):
            loss = _sparse_crossentropy_from_logits(labels, y_pred)
        else:
            smoothing = jnp.asarray(label_smoothing, y_pred.dtype)
            loss = _smoothed_sparse_crossentropy_from_logits(labels, y_pred, smoothing)
    else:
        log_probs = jnp.log(_normalized_probs(y_pred, -1))
        picked, in_range = pick(log_probs, labels)
        loss = 0.0 - picked
        if not is_zero(label_smoothing):
            loss = (1.0 - label_smoothing) * loss - label_smoothing * jnp.mean(log_probs, axis=-1)
    keep = in_range if valid is None else in_range & valid
    return LossWithMask(jnp.where(keep, loss, 0.0), valid)


@validates_config
def categorical_generalized_cross_entropy(y_true: ArrayLike, y_pred: ArrayLike, *, q: OpenFraction) -> jax.Array:
    """Generalized crossentropy (Zhang & Sabuncu, 2018), robust to noisy labels.

    .. math:: \\ell = \\frac{1 - p_{y_{true}}^{\\,q}}{q}

    `y_pred` holds probabilities (no clipping, as in Keras). `(B, 1)` labels
    are squeezed: Keras broadcasts them to `(B, B)`. `p = 0` gives `1/q` with
    a finite gradient.

    Args:
        y_true: integer class ids, shape `[...]` or `[..., 1]`.
        y_pred: probabilities, shape `[..., K]`.
        q: in (0, 1); q -> 0 approaches crossentropy, q = 1 is MAE.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.categorical_generalized_cross_entropy([[0], [1]], [[0.7, 0.3], [0.2, 0.8]], q=0.5))
        [0.3267 0.2111]
    """
    y_pred = as_float("y_pred", y_pred)
    check_class_axis(y_pred)
    labels = sparse_labels(y_true, y_pred)
    picked, in_range = pick(y_pred, labels)
    p = jnp.where(in_range, picked, 0.0)
    return (1.0 - safe_power(p, q)) / q


@returns_mask
@validates_config
def poly1_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    epsilon: FiniteFloat = 2.0,
    from_logits: Flag = False,
    ignore_class: OptionalClassId = None,
) -> LossWithMask:
    """Poly-1 crossentropy (Leng et al., 2022; optax's `poly_loss_cross_entropy`).

    .. math:: \\ell = \\mathrm{CE} + \\epsilon \\sum_k t_k (1 - p_k)

    Integer `y_true` with one axis less than `y_pred` are class ids (the sparse
    crossentropy, with `ignore_class`); otherwise `y_true` holds one-hot or
    soft labels (the categorical crossentropy). Probabilities are renormalized
    and clipped as those losses do; from logits, `1 - p` is computed without
    cancellation.

    Args:
        y_true: integer class ids `[...]`, or one-hot/soft labels `[..., K]`.
        y_pred: probabilities or logits, shape `[..., K]`.
        epsilon: the coefficient of the first polynomial term (optax's default, 2).
        from_logits: whether `y_pred` holds logits.
        ignore_class: with class ids, a label value to ignore (0 loss, left out
            of the mean's denominator).

    Returns:
        shape `[...]`.

    Raises:
        ValueError: `ignore_class` with one-hot labels.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.poly1_crossentropy([1, 2], [[0.0, 2.0, 0.0], [1.0, 1.0, 1.0]], from_logits=True))
        [0.6656 2.4319]
    """
    y_pred = as_float("y_pred", y_pred)
    as_array("y_true", y_true)  # real numbers, before their form is read
    if are_class_ids(y_true, y_pred):
        ce, valid = sparse_categorical_crossentropy.with_mask(  # type: ignore[attr-defined]
            y_true, y_pred, from_logits=from_logits, ignore_class=ignore_class
        )
        # p_label = exp(-CE) exactly, and 1 - p_label = -expm1(-CE) without cancellation.
        return LossWithMask(ce - epsilon * jnp.expm1(-ce), valid)
    if ignore_class is not None:
        raise ValueError(
            "`ignore_class` applies to integer class ids, not to one-hot labels. Received: "
            f"ignore_class={ignore_class}, y_true of shape {jnp.shape(y_true)} and y_pred.shape={tuple(y_pred.shape)}"
        )
    ce = categorical_crossentropy(y_true, y_pred, from_logits=from_logits)
    y_true, y_pred = pair(y_true, y_pred, scalar_as_feature=False)
    if from_logits:
        one_minus_p = -jnp.expm1(log_softmax(y_pred, -1))  # 1 - softmax without cancellation
    else:
        one_minus_p = 1.0 - _normalized_probs(y_pred, -1)
    return LossWithMask(ce + epsilon * jnp.sum(y_true * one_minus_p, axis=-1), None)


_dense_labels = labels_within(0.0, 1.0, "one-hot or soft labels")
_soft_labels = all_of(_dense_labels, probabilities)


def _labels_and_probabilities(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    class_ids("y_true", y_true, jnp.shape(y_pred)[-1])
    within("y_pred", y_pred, 0.0, 1.0, "probabilities")


class CategoricalCrossentropy(
    Loss, fn=categorical_crossentropy, name="categorical_crossentropy", value_check=_soft_labels, in_keras=True
):
    from_logits: Flag = False
    label_smoothing: Fraction = 0.0
    axis: Axis = -1


class CategoricalFocalCrossentropy(
    Loss,
    fn=categorical_focal_crossentropy,
    name="categorical_focal_crossentropy",
    value_check=_soft_labels,
    in_keras=True,
):
    """A list (or array) `alpha` is stored as a tuple."""

    alpha: ClassWeights = 0.25
    gamma: NonNegativeFloat = 2.0
    from_logits: Flag = False
    label_smoothing: Fraction = 0.0
    axis: Axis = -1


class SparseCategoricalCrossentropy(
    Loss,
    fn=sparse_categorical_crossentropy,
    name="sparse_categorical_crossentropy",
    value_check=all_of(class_ids_in_range, probabilities),
    in_keras=True,
):
    """Ignored labels are left out of the mean's denominator:

    >>> import jaxloss
    >>> scce = jaxloss.SparseCategoricalCrossentropy(ignore_class=-1)
    >>> print(scce([1, -1], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]))
    0.0513
    """

    from_logits: Flag = False
    ignore_class: OptionalClassId = None
    axis: Axis = -1
    label_smoothing: Fraction = 0.0


class CategoricalGeneralizedCrossEntropy(
    Loss,
    fn=categorical_generalized_cross_entropy,
    name="categorical_generalized_cross_entropy",
    value_check=_labels_and_probabilities,
    in_keras=True,
):
    q: OpenFraction = 0.5


class Poly1Crossentropy(
    Loss,
    fn=poly1_crossentropy,
    name="poly1_crossentropy",
    value_check=all_of(class_ids_or(_dense_labels), probabilities),
    in_keras=False,
):
    epsilon: FiniteFloat = 2.0
    from_logits: Flag = False
    ignore_class: OptionalClassId = None
