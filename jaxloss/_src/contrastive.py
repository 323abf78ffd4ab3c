"""Contrastive losses over a batch of embeddings: NT-Xent (SimCLR).

Their values couple the samples of a batch: each function takes `axis_name`
and gathers the batch over it inside `shard_map`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._checks import PositiveFloat, validates_config
from jaxloss._src._labels import flat_labels
from jaxloss._src._numerics import as_float, masked_logsumexp, normalize, safe_divide
from jaxloss._src._sharding import batch_sum, whole_batch
from jaxloss._src._value_checks import class_ids
from jaxloss._src.classes import Loss

__all__ = [
    "ntxent",
    "NTXent",
]


@validates_config
def ntxent(
    y_true: ArrayLike, y_pred: ArrayLike, *, temperature: PositiveFloat = 0.07, axis_name: Hashable | None = None
) -> jax.Array:
    """NT-Xent, the normalized temperature-scaled crossentropy (Chen et al., 2020; optax's `ntxent`).

    .. math:: \\ell_i = \\frac{B}{M} \\sum_{j \\in P_i} \\operatorname{softplus}\\Big(\\operatorname{LSE}_{k \\in N_i} s_{ik} - s_{ij}\\Big), \\quad s_{ij} = \\cos(x_i, x_j) / T

    Each positive pair `(i, j)` (same label, `j != i`) is scored by a softmax
    over `j` and the negatives `N_i` of anchor `i` (the other labels), as in
    optax. `M` is the number of positive pairs in the batch, so the mean of
    the per-anchor values is optax's loss: the values couple the samples of a
    batch (a masked sample still serves as a negative). An anchor without a
    positive gives 0, one without a negative 0 per pair; a batch without any
    positive pair gives 0 (optax: NaN). Zero embeddings have cosine 0.

    Args:
        y_true: integer labels naming the positive groups, shape `(B,)` or `(B, 1)`.
        y_pred: embeddings, shape `(B, D)` (normalized here).
        temperature: `T`, > 0.
        axis_name: inside `shard_map`/`pmap`, the mapped axis the batch is split
            over: the embeddings and labels are gathered over it and `M` is the
            global count, so each device's values are those of the whole batch.

    Returns:
        shape `(B,)`.

    Example:
        >>> import jaxloss
        >>> emb = [[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]]
        >>> print(jaxloss.ntxent([0, 0, 1, 1], emb, temperature=0.5))
        [0.2333 0.6271 0.6271 0.2333]
    """
    y_pred = as_float("y_pred", y_pred)
    _checks.check_rank("y_pred", y_pred, 2, "(batch, embedding_dim)")
    _checks.check_nonempty("y_pred", y_pred, (1,))
    labels = flat_labels("y_true", y_true)
    _checks.check_rows("y_true", labels, "y_pred", y_pred)
    unit = normalize(y_pred, -1)
    # The whole batch (gathered over `axis_name`): this device's rows start at `offset` in it.
    every_unit, offset = whole_batch(unit, axis_name)
    every_label = whole_batch(labels, axis_name)[0]
    similarity = (unit @ every_unit.T) / temperature
    same = labels[:, None] == every_label[None, :]
    positive = same & (offset + jnp.arange(labels.shape[0])[:, None] != jnp.arange(every_label.shape[0])[None, :])
    negatives, has_negative = masked_logsumexp(similarity, ~same)
    # -log(e^s / (e^s + sum_neg e^s')) = softplus(LSE_neg - s); no negative at all gives 0.
    pair_loss = jnp.where(positive & has_negative[:, None], jax.nn.softplus(negatives[:, None] - similarity), 0.0)
    pairs = batch_sum(jnp.sum(positive.astype(y_pred.dtype)), axis_name)
    return jnp.sum(pair_loss, axis=1) * safe_divide(jnp.asarray(every_label.shape[0], y_pred.dtype), pairs)


def _labels_only(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    class_ids("y_true", y_true, jnp.iinfo(jnp.int32).max)  # any non-negative id names a group


class NTXent(Loss, fn=ntxent, name="ntxent", value_check=_labels_only, in_keras=False):
    temperature: PositiveFloat = 0.07
