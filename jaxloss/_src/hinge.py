"""Hinge losses for {-1, 1} (or {0, 1}) labels and one-hot categorical labels."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src._numerics import pair
from jaxloss._src.classes import Loss

__all__ = [
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
]


def _signed_labels(y_true: jax.Array) -> jax.Array:
    """Keras's conversion: if every label in the batch is 0 or 1, map them to -1/1."""
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Hinge loss.

    .. math:: \\ell = \\operatorname{mean}_{-1} \\max(1 - y_{true} \\, y_{pred}, 0)

    Labels are expected in {-1, 1}. As in Keras, if *every* label of the
    whole `y_true` array is 0 or 1, all are mapped to -1/1 (a batch-wide
    decision that also works under `jit`).

    Args:
        y_true: labels, shape `[..., d]`.
        y_pred: scores, shape `[..., d]`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.hinge([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]))
        [1.1 1.5]
    """
    y_true, y_pred = pair(y_true, y_pred)
    y_true = _signed_labels(y_true)
    return jnp.mean(jnp.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Squared hinge loss.

    .. math:: \\ell = \\operatorname{mean}_{-1} \\max(1 - y_{true} \\, y_{pred}, 0)^2

    Labels are converted as in `hinge`.

    Args:
        y_true: labels, shape `[..., d]`.
        y_pred: scores, shape `[..., d]`.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.squared_hinge([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]))
        [1.46 2.26]
    """
    y_true, y_pred = pair(y_true, y_pred)
    y_true = _signed_labels(y_true)
    return jnp.mean(jnp.square(jnp.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


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
    pos = jnp.sum(y_true * y_pred, axis=-1)
    neg = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(neg - pos + 1.0, 0.0)


class Hinge(Loss, fn=hinge, name="hinge"):
    pass


class SquaredHinge(Loss, fn=squared_hinge, name="squared_hinge"):
    pass


class CategoricalHinge(Loss, fn=categorical_hinge, name="categorical_hinge"):
    pass
