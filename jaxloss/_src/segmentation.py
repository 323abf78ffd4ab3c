"""Overlap losses for segmentation: Dice and Tversky."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src._checks import Axes, FiniteFloat, validates_config
from jaxloss._src._numerics import EPSILON, pair
from jaxloss._src.classes import Loss

__all__ = [
    "dice",
    "tversky",
    "Dice",
    "Tversky",
]


def _axes(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


@validates_config
def dice(y_true: ArrayLike, y_pred: ArrayLike, *, axis: Axes = None) -> jax.Array:
    """Dice loss.

    .. math:: \\ell = 1 - \\frac{2 \\sum y_{true} y_{pred}}{\\sum y_{true} + \\sum y_{pred} + \\epsilon}

    Args:
        y_true: targets, shape `[B, ...]`.
        y_pred: predictions, same shape.
        axis: the axes summed over. `None` (Keras's default) sums everything
            and gives one scalar for the batch; `(1, 2, 3)` gives shape `(B,)`.

    Returns:
        `y_pred`'s shape without `axis`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.dice([[1, 2], [1, 2]], [[4, 1], [6, 1]]))
        -0.5556
    """
    y_true, y_pred = pair(y_true, y_pred)
    axis = _axes(axis)
    intersection = jnp.sum(y_true * y_pred, axis=axis)
    denominator = jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis) + EPSILON
    return 1.0 - 2.0 * intersection / denominator


@validates_config
def tversky(
    y_true: ArrayLike, y_pred: ArrayLike, *, alpha: FiniteFloat = 0.5, beta: FiniteFloat = 0.5, axis: Axes = None
) -> jax.Array:
    """Tversky loss (Salehi et al., 2017).

    .. math:: \\ell = 1 - \\frac{TP}{TP + \\alpha FP + \\beta FN + \\epsilon}, \\quad TP = \\sum y_{true} y_{pred}, \\; FP = \\sum (1 - y_{true}) y_{pred}, \\; FN = \\sum y_{true} (1 - y_{pred})

    `alpha` weights the false positives and `beta` the false negatives, as
    documented and as Keras computes since its fix #23333 (Keras 3.15.1 had
    them swapped). `alpha = beta = 0.5` gives the Dice loss.

    Args:
        y_true: targets, shape `[B, ...]`.
        y_pred: predictions, same shape.
        alpha: weight of the false positives.
        beta: weight of the false negatives.
        axis: the axes summed over; `None` gives one scalar for the batch.

    Returns:
        `y_pred`'s shape without `axis`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.tversky([[1, 2], [1, 2]], [[4, 1], [6, 1]], alpha=0.2, beta=0.8))
        -0.9444
    """
    y_true, y_pred = pair(y_true, y_pred)
    axis = _axes(axis)
    true_pos = jnp.sum(y_true * y_pred, axis=axis)
    false_pos = jnp.sum((1.0 - y_true) * y_pred, axis=axis)
    false_neg = jnp.sum(y_true * (1.0 - y_pred), axis=axis)
    return 1.0 - true_pos / (true_pos + alpha * false_pos + beta * false_neg + EPSILON)


class Dice(Loss, fn=dice, name="dice"):
    """A list `axis` is stored as a tuple."""

    axis: Axes = None


class Tversky(Loss, fn=tversky, name="tversky"):
    alpha: FiniteFloat = 0.5
    beta: FiniteFloat = 0.5
    axis: Axes = None
