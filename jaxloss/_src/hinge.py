"""Hinge losses: for {-1, 1} (or {0, 1}) labels and one-hot categorical labels (Keras); the perceptron and the
multiclass (Crammer-Singer) hinge, on class ids or dense labels (optax)."""

from __future__ import annotations

import functools
from collections.abc import Hashable
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src._checks import FiniteFloat, validates_config
from jaxloss._src._labels import are_class_ids, check_class_axis, pick, sparse_labels
from jaxloss._src._numerics import as_float, maximum_slope, pair, times
from jaxloss._src._sharding import batch_max
from jaxloss._src._value_checks import class_ids_or, labels_within, sign_labels
from jaxloss._src.classes import Loss

__all__ = [
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "perceptron",
    "multiclass_hinge",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "Perceptron",
    "MulticlassHinge",
]


def _is_binary(y_true: jax.Array, axis_name: Hashable | None) -> jax.Array:
    """Keras's batch-wide test: is every label 0 or 1 (then they are mapped to -1/1)? Over every device of
    `axis_name`."""
    # t - t^2 is 0 exactly for 0 and 1 in floating point (NaN for NaN): a max over it is one select-free pass,
    # with no constant array that XLA would build in memory to share with the loss's pass. initial=0: an
    # empty batch is binary.
    return batch_max(jnp.max(jnp.abs(y_true - y_true * y_true), initial=0.0), axis_name) == 0


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3))
def _mean_hinge(y_true: jax.Array, y_pred: jax.Array, squared: bool, axis_name: Hashable | None) -> jax.Array:
    """mean(max(1 - s * y_pred, 0) [squared], -1), s = 2 y_true - 1 if every label is 0 or 1, else y_true."""

    def loss(signed: jax.Array) -> jax.Array:
        margin = jnp.maximum(1.0 - signed * y_pred, 0.0)
        return jnp.mean(margin * margin if squared else margin, axis=-1)

    # lax.cond keeps each branch one fused pass; a select on the batch-wide flag would stop XLA's CPU fusion.
    return jax.lax.cond(_is_binary(y_true, axis_name), lambda: loss(2.0 * y_true - 1.0), lambda: loss(y_true))


@_mean_hinge.defjvp
def _mean_hinge_jvp(
    squared: bool, axis_name: Hashable | None, primals: tuple[jax.Array, jax.Array], tangents: tuple[jax.Array, ...]
) -> Any:
    (y_true, y_pred), (d_true, d_pred) = primals, tangents
    binary = _is_binary(y_true, axis_name)
    signed = jnp.where(binary, 2.0 * y_true - 1.0, y_true)
    margin = 1.0 - signed * y_pred
    # The derivative's factors are read within max float: a masked row's zero cotangent at an infinite score
    # then gives 0, not 0 * inf = NaN.
    big = jnp.finfo(y_pred.dtype).max
    d_margin = -(signed * d_pred + jnp.where(binary, 2.0, 1.0) * d_true * jnp.clip(y_pred, -big, big))
    if squared:
        outer = jnp.minimum(2.0 * jnp.maximum(margin, 0.0), big)
    else:  # jnp.maximum's own derivative, 1/2 at the kink
        outer = maximum_slope(margin, 0.0)
    return _mean_hinge(y_true, y_pred, squared, axis_name), jnp.mean(outer * d_margin, axis=-1)


def hinge(y_true: ArrayLike, y_pred: ArrayLike, *, axis_name: Hashable | None = None) -> jax.Array:
    """Hinge loss.

    .. math:: \\ell = \\operatorname{mean}_{-1} \\max(1 - y_{true} \\, y_{pred}, 0)

    Labels are expected in {-1, 1}. As in Keras, if *every* label of the
    whole `y_true` array is 0 or 1, all are mapped to -1/1 (a batch-wide
    decision that also works under `jit`).

    Args:
        y_true: labels, shape `[..., d]`.
        y_pred: scores, shape `[..., d]`.
        axis_name: inside `shard_map`/`pmap`, the mapped axis the batch is
            split over: the label test covers the whole batch.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.hinge([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]))
        [1.1 1.5]
    """
    return _mean_hinge(*pair(y_true, y_pred), False, axis_name)


def squared_hinge(y_true: ArrayLike, y_pred: ArrayLike, *, axis_name: Hashable | None = None) -> jax.Array:
    """Squared hinge loss.

    .. math:: \\ell = \\operatorname{mean}_{-1} \\max(1 - y_{true} \\, y_{pred}, 0)^2

    Labels are converted as in `hinge`.

    Args:
        y_true: labels, shape `[..., d]`.
        y_pred: scores, shape `[..., d]`.
        axis_name: as in `hinge`: the label test covers the whole batch.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.squared_hinge([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]))
        [1.46 2.26]
    """
    return _mean_hinge(*pair(y_true, y_pred), True, axis_name)


def categorical_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Categorical hinge loss for one-hot labels.

    .. math:: \\ell = \\max\\big(\\max_k (1 - y_{true,k}) y_{pred,k} - \\sum_k y_{true,k} y_{pred,k} + 1, 0\\big)

    As in Keras, the true class contributes 0 (not its score) to the max.

    Args:
        y_true: one-hot labels, shape `[..., K]`.
        y_pred: scores, shape `[..., K]`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.categorical_hinge([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]))
        [1.2 1.6]
    """
    y_true, y_pred = pair(y_true, y_pred)
    # times(): a zero label on an infinite score gives 0, not 0 * inf, with finite derivatives.
    pos = jnp.sum(times(y_true, y_pred), axis=-1)
    neg = jnp.max(times(1.0 - y_true, y_pred), axis=-1)
    return jnp.maximum(neg - pos + 1.0, 0.0)


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
        check_class_axis(y_pred)
        picked, in_range = pick(y_pred, sparse_labels(y_true, y_pred))
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
    check_class_axis(y_pred)
    if are_class_ids(y_true, y_pred):
        labels = sparse_labels(y_true, y_pred)
        picked, in_range = pick(y_pred, labels)
        others = y_pred + margin * (jnp.arange(y_pred.shape[-1]) != labels[..., None])
        return jnp.where(in_range, jnp.max(others, axis=-1) - picked, 0.0)
    y_true, y_pred = pair(y_true, y_pred, scalar_as_feature=False)
    # times(): a zero label on an infinite score gives 0, not 0 * inf, with finite derivatives.
    return jnp.max(y_pred + margin * (1.0 - y_true), axis=-1) - jnp.sum(times(y_true, y_pred), axis=-1)


class Hinge(Loss, fn=hinge, name="hinge", in_keras=True):
    pass


class SquaredHinge(Loss, fn=squared_hinge, name="squared_hinge", in_keras=True):
    pass


class CategoricalHinge(Loss, fn=categorical_hinge, name="categorical_hinge", in_keras=True):
    pass


class Perceptron(Loss, fn=perceptron, name="perceptron", value_check=class_ids_or(sign_labels), in_keras=False):
    pass


class MulticlassHinge(
    Loss,
    fn=multiclass_hinge,
    name="multiclass_hinge",
    value_check=class_ids_or(labels_within(0.0, 1.0, "one-hot labels")),
    in_keras=False,
):
    margin: FiniteFloat = 1.0
