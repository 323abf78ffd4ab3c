"""Overlap losses for segmentation: Dice and Tversky (Keras), and the generalized Dice loss (optax)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._checks import Axes, FiniteFloat, Flag, NonNegativeFloat, validates_config
from jaxloss._src._numerics import EPSILON, pair, softmax
from jaxloss._src._sharding import batch_sum
from jaxloss._src._value_checks import probabilities, within
from jaxloss._src.classes import Loss

__all__ = [
    "dice",
    "tversky",
    "generalized_dice",
    "Dice",
    "Tversky",
    "GeneralizedDice",
]


def _overlap_axes(y_pred: jax.Array, axis: Any) -> tuple[int, ...] | None:
    """The summed axes, checked: in range, and not empty but for the batch axis."""
    axes = _checks.canonical_axes(axis, y_pred.ndim)
    _checks.check_nonempty("y_pred", y_pred, None if axes is None else [a for a in axes if a != 0])
    return axes


def _empty_batch_gives_zero(value: jax.Array, y_pred: jax.Array, axes: tuple[int, ...] | None) -> jax.Array:
    """0 for a sum over an empty batch (nothing to score), as the means of an empty batch are."""
    summed_batch = y_pred.ndim and (axes is None or 0 in axes)
    return jnp.zeros_like(value) if summed_batch and y_pred.shape[0] == 0 else value


def _batch_sums(sums: tuple[jax.Array, ...], axes: tuple[int, ...] | None, ndim: int, axis_name: Any) -> Any:
    """Sums over `axes` of this device's shard, summed over `axis_name` if `axes` include the batch axis 0.

    With the batch axis and other axes left, every device would hold the same per-position values, which
    `reduce` would count once per device: refused.
    """
    if axis_name is None or (axes is not None and 0 not in axes):
        return sums
    if axes is not None and len(axes) < ndim:
        raise ValueError(
            "With `axis_name`, `axis` must be None (one value for the whole batch) or leave out the batch "
            f"axis 0 (one value per sample): the values are then the whole batch's. Received: axis={axes}, "
            f"axis_name={axis_name!r}, for inputs of rank {ndim}"
        )
    return batch_sum(sums, axis_name)


@validates_config
def dice(y_true: ArrayLike, y_pred: ArrayLike, *, axis: Axes = None, axis_name: Hashable | None = None) -> jax.Array:
    """Dice loss.

    .. math:: \\ell = 1 - \\frac{2 \\sum y_{true} y_{pred}}{\\sum y_{true} + \\sum y_{pred} + \\epsilon}

    Args:
        y_true: targets, shape `[B, ...]`.
        y_pred: predictions, same shape.
        axis: the axes summed over. `None` (Keras's default) sums everything
            and gives one scalar for the batch; `(1, 2, 3)` gives shape `(B,)`.
        axis_name: inside `shard_map`/`pmap`, the mapped axis the batch is
            split over: sums over the batch axis are `psum`-ed over it, so the
            value is the whole batch's on every device.

    Returns:
        `y_pred`'s shape without `axis`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.dice([[1, 2], [1, 2]], [[4, 1], [6, 1]]))
        -0.5556
    """
    y_true, y_pred = pair(y_true, y_pred, last_axis_reduced=False)
    axis = _overlap_axes(y_pred, axis)
    sums = (jnp.sum(y_true * y_pred, axis=axis), jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis))
    intersection, size = _batch_sums(sums, axis, y_pred.ndim, axis_name)
    return _empty_batch_gives_zero(1.0 - 2.0 * intersection / (size + EPSILON), y_pred, axis)


@validates_config
def tversky(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    alpha: FiniteFloat = 0.5,
    beta: FiniteFloat = 0.5,
    axis: Axes = None,
    axis_name: Hashable | None = None,
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
        axis_name: as in `dice`: sums over the batch axis are `psum`-ed over it.

    Returns:
        `y_pred`'s shape without `axis`.

    Example:
        >>> import jaxloss
        >>> print(jaxloss.tversky([[1, 2], [1, 2]], [[4, 1], [6, 1]], alpha=0.2, beta=0.8))
        -0.9444
    """
    y_true, y_pred = pair(y_true, y_pred, last_axis_reduced=False)
    axis = _overlap_axes(y_pred, axis)
    true_pos = jnp.sum(y_true * y_pred, axis=axis)
    false_pos = jnp.sum((1.0 - y_true) * y_pred, axis=axis)
    false_neg = jnp.sum(y_true * (1.0 - y_pred), axis=axis)
    true_pos, false_pos, false_neg = _batch_sums((true_pos, false_pos, false_neg), axis, y_pred.ndim, axis_name)
    value = 1.0 - true_pos / (true_pos + alpha * false_pos + beta * false_neg + EPSILON)
    return _empty_batch_gives_zero(value, y_pred, axis)


@validates_config
def generalized_dice(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    smooth: NonNegativeFloat = 1.0,
    from_logits: Flag = False,
    ignore_background: Flag = False,
    weighted: Flag = True,
    axis_name: Hashable | None = None,
) -> jax.Array:
    """Generalized Dice loss (Sudre et al., 2017), as optax's `multiclass_generalized_dice_loss`.

    .. math:: \\ell_b = \\operatorname{mean}_c \\, w_c \\Big(1 - \\frac{I_{bc} + s}{\\tfrac12 (P_{bc} + T_{bc}) + s}\\Big), \\quad w_c \\propto \\frac{1}{n_c^2 + 10^{-7}}, \\; \\sum_c w_c = C

    `I`, `P` and `T` are the sums of `p t`, `p` and `t` over each sample's
    spatial axes (all but the first and the last). The class weights come
    from the class counts `n_c` of the whole batch, as in optax, so the values
    couple the samples of a batch (a masked sample still counts). The mean of
    the per-sample values is optax's loss. With `weighted=False` every `w_c`
    is 1 and the samples are independent: optax's `dice_loss` (its default
    `alpha = beta = 0.5`, per sample) and, for `C = 1` from logits, its
    `binary_dice_loss`.

    Args:
        y_true: one-hot targets, shape `[B, ..., C]`.
        y_pred: probabilities, or logits with `from_logits` (softmax over the
            classes; a sigmoid when `C = 1`), shape `[B, ..., C]`.
        smooth: `s`, added to the numerator and denominator, >= 0.
        from_logits: whether `y_pred` holds logits (optax's `apply_softmax`).
        ignore_background: leave class 0 out of the mean over classes (its
            count still enters the weights, as in optax).
        weighted: use the class weights `1 / n_c^2`; False gives every class weight 1.
        axis_name: inside `shard_map`/`pmap`, the mapped axis the batch is
            split over: the class counts are `psum`-ed over it, so the weights
            are the whole batch's.

    Returns:
        shape `[B]`.

    Example:
        >>> import jaxloss
        >>> y_true = [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]]]
        >>> y_pred = [[[0.9, 0.1], [0.2, 0.8]], [[0.6, 0.4], [0.7, 0.3]]]
        >>> print(jaxloss.generalized_dice(y_true, y_pred))
        [0.0765 0.2465]
    """
    y_true, y_pred = pair(y_true, y_pred, scalar_as_feature=False)
    _checks.check_min_rank("y_pred", y_pred, 2, "(batch, ..., classes)")
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred) if y_pred.shape[-1] == 1 else softmax(y_pred, axis=-1)
    spatial = tuple(range(1, y_pred.ndim - 1))
    intersection = jnp.sum(y_pred * y_true, axis=spatial)
    half_sizes = 0.5 * (jnp.sum(y_pred, axis=spatial) + jnp.sum(y_true, axis=spatial))
    dice_loss = 1.0 - (intersection + smooth) / (half_sizes + smooth)  # [B, C]
    if weighted:
        counts = batch_sum(jnp.sum(y_true, axis=tuple(range(y_true.ndim - 1))), axis_name)
        weights = 1.0 / (jnp.square(counts) + 1e-7)  # optax's epsilon: an absent class gets a huge weight
        dice_loss = dice_loss * (weights * (weights.shape[0] / jnp.sum(weights)))
    if ignore_background and dice_loss.shape[-1] > 1:
        dice_loss = dice_loss[:, 1:]
    return jnp.mean(dice_loss, axis=-1)


class Dice(Loss, fn=dice, name="dice", in_keras=True):
    """A list `axis` is stored as a tuple."""

    axis: Axes = None


class Tversky(Loss, fn=tversky, name="tversky", in_keras=True):
    alpha: FiniteFloat = 0.5
    beta: FiniteFloat = 0.5
    axis: Axes = None


def _one_hot_targets(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    within("y_true", y_true, 0.0, 1.0, "one-hot targets")
    probabilities(cfg, y_true, y_pred)


class GeneralizedDice(Loss, fn=generalized_dice, name="generalized_dice", value_check=_one_hot_targets, in_keras=False):
    smooth: NonNegativeFloat = 1.0
    from_logits: Flag = False
    ignore_background: Flag = False
    weighted: Flag = True
