"""Embedding (metric) learning: Circle (Keras), and NT-Xent and the triplet margin loss (optax, torch)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._checks import FiniteFloat, Flag, NonNegativeFloat, NormDegree, PositiveFloat, validates_config
from jaxloss._src._numerics import as_float, as_labels, normalize, safe_divide, safe_power
from jaxloss._src._sharding import batch_sum, whole_batch
from jaxloss._src.checked import class_ids, unit_rows
from jaxloss._src.classes import Loss
from jaxloss._src.reduce import LossWithMask, returns_mask

__all__ = [
    "circle",
    "ntxent",
    "triplet_margin",
    "Circle",
    "NTXent",
    "TripletMargin",
]


def _flat_labels(name: str, labels: ArrayLike) -> jax.Array:
    labels = as_labels(name, labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    _checks.check_rank(name, labels, 1, "(one integer label per embedding, shape (N,) or (N, 1))")
    return labels


def _check_rows(label_name: str, labels: jax.Array, name: str, embeddings: jax.Array) -> None:
    if labels.shape[0] != embeddings.shape[0]:
        raise ValueError(
            f"`{label_name}` must have one label per row of `{name}`. Received: "
            f"{label_name}.shape={tuple(labels.shape)}, {name}.shape={tuple(embeddings.shape)}"
        )


def _masked_logsumexp(x: jax.Array, mask: jax.Array) -> tuple[jax.Array, jax.Array]:
    """logsumexp over the True entries of each row, and whether the row had any."""
    any_valid = jnp.any(mask, axis=1)
    # Rows with no valid entry use 0s, so neither value nor gradient sees an all -inf row.
    x = jnp.where(any_valid[:, None], jnp.where(mask, x, -jnp.inf), 0.0)
    return jax.nn.logsumexp(x, axis=1), any_valid


@returns_mask
@validates_config
def circle(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    ref_labels: ArrayLike | None = None,
    ref_embeddings: ArrayLike | None = None,
    *,
    remove_diagonal: Flag = True,
    gamma: NonNegativeFloat = 80.0,
    margin: FiniteFloat = 0.4,
    axis_name: Hashable | None = None,
) -> LossWithMask:
    """Circle loss (Sun et al., 2020) on L2-normalized embeddings.

    .. math:: \\ell_i = \\operatorname{softplus}\\Big(\\operatorname{LSE}_{j \\in P_i} -\\gamma\\,\\alpha^p_{ij}(s_{ij} - \\Delta_p) + \\operatorname{LSE}_{j \\in N_i} \\gamma\\,\\alpha^n_{ij}(s_{ij} - \\Delta_n)\\Big)

    with `d = max(1 - y_pred @ ref.T, 0)`, `alpha_p = max(m + d, 0)`,
    `alpha_n = max(1 + m - d, 0)`. A row with no positive or no negative
    gives 0, and (as in Keras) rows with a loss of 0 are left out of the
    mean's denominator by `reduce` and the `Circle` class.

    Args:
        y_true: integer labels, shape `(B,)` or `(B, 1)`.
        y_pred: L2-normalized embeddings, shape `(B, D)` (not normalized here).
        ref_labels: reference labels, shape `(R,)`; defaults to `y_true`.
        ref_embeddings: reference embeddings, shape `(R, D)`; defaults to `y_pred`.
        remove_diagonal: exclude each sample from its own positives.
        gamma: scale, >= 0.
        margin: relaxation margin `m`.
        axis_name: inside `shard_map`/`pmap`, the mapped axis the batch is split
            over: the default references (the batch itself) are gathered over it,
            so each device's values are those of the whole batch.

    Returns:
        shape `(B,)`.

    Example:
        >>> import jax.numpy as jnp
        >>> import jaxloss
        >>> emb = jnp.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
        >>> print(jaxloss.circle([0, 0, 1], emb))
        [0.     6.4017 0.    ]
    """
    y_pred = as_float("y_pred", y_pred)
    _checks.check_rank("y_pred", y_pred, 2, "(batch, embedding_dim)")
    labels = _flat_labels("y_true", y_true)
    # The default references are the whole batch: this device's rows start at `offset` in it.
    refs, offset = (
        whole_batch(y_pred, axis_name)
        if ref_embeddings is None
        else (as_float("ref_embeddings", ref_embeddings, y_pred.dtype), 0)
    )
    ref_ids = whole_batch(labels, axis_name)[0] if ref_labels is None else _flat_labels("ref_labels", ref_labels)
    _checks.check_rank("ref_embeddings", refs, 2, "(num_refs, embedding_dim)")
    _checks.check_nonempty("y_pred", y_pred, (1,))
    _check_rows("y_true", labels, "y_pred", y_pred)
    _check_rows("ref_labels", ref_ids, "ref_embeddings", refs)
    if refs.shape[1] != y_pred.shape[1]:
        raise ValueError(
            "`ref_embeddings` must have the embedding size of `y_pred`. Received: "
            f"ref_embeddings.shape={tuple(refs.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )

    distances = jnp.maximum(1.0 - y_pred @ refs.T, 0.0)
    positive = labels[:, None] == ref_ids[None, :]
    negative = ~positive
    if remove_diagonal:
        positive = positive & (offset + jnp.arange(labels.shape[0])[:, None] != jnp.arange(ref_ids.shape[0])[None, :])
    pos_weights = jnp.maximum((margin + distances) * positive, 0.0)
    neg_weights = jnp.maximum((1.0 + margin - distances) * negative, 0.0)
    pos_logits = -gamma * pos_weights * (margin - distances)
    neg_logits = gamma * neg_weights * (1.0 - margin - distances)
    pos_lse, has_pos = _masked_logsumexp(pos_logits, positive)
    neg_lse, has_neg = _masked_logsumexp(neg_logits, negative)
    loss = jnp.where(has_pos & has_neg, jax.nn.softplus(pos_lse + neg_lse), 0.0)
    return LossWithMask(loss, loss > 0)


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
    labels = _flat_labels("y_true", y_true)
    _check_rows("y_true", labels, "y_pred", y_pred)
    unit = normalize(y_pred, -1)
    # The whole batch (gathered over `axis_name`): this device's rows start at `offset` in it.
    every_unit, offset = whole_batch(unit, axis_name)
    every_label = whole_batch(labels, axis_name)[0]
    similarity = (unit @ every_unit.T) / temperature
    same = labels[:, None] == every_label[None, :]
    positive = same & (offset + jnp.arange(labels.shape[0])[:, None] != jnp.arange(every_label.shape[0])[None, :])
    negatives, has_negative = _masked_logsumexp(similarity, ~same)
    # -log(e^s / (e^s + sum_neg e^s')) = softplus(LSE_neg - s); no negative at all gives 0.
    pair_loss = jnp.where(positive & has_negative[:, None], jax.nn.softplus(negatives[:, None] - similarity), 0.0)
    pairs = batch_sum(jnp.sum(positive.astype(y_pred.dtype)), axis_name)
    return jnp.sum(pair_loss, axis=1) * safe_divide(jnp.asarray(every_label.shape[0], y_pred.dtype), pairs)


def _p_norm(x: jax.Array, p: float) -> jax.Array:
    """(sum |x|^p)^(1/p) over the last axis, without overflow or underflow, with a 0 gradient at x = 0."""
    magnitude = jnp.abs(x)
    largest = jax.lax.stop_gradient(jnp.max(magnitude, axis=-1, keepdims=True))
    # Scaled by 2^-exponent, the largest magnitude brought into [1, 2) (the norm is 1-homogeneous), so |x|^p
    # neither overflows nor underflows; two exact power-of-two factors, as 2^-exponent alone may not be
    # representable. 2^exponent itself is (at most 2^127), so the gradient's scaling does not overflow.
    exponent = jnp.where((largest > 0) & jnp.isfinite(largest), jnp.frexp(largest)[1] - 1, 0)
    half = exponent // 2
    one = jnp.ones_like(largest)
    scaled = magnitude * jnp.ldexp(one, -half) * jnp.ldexp(one, half - exponent)
    nonzero = largest > 0
    total = jnp.sum(safe_power(scaled, p), axis=-1, keepdims=True)  # >= 1 where nonzero
    root = jnp.where(nonzero, jnp.where(nonzero, total, 1.0) ** (1.0 / p), 0.0)  # double where: no 0^(1/p) slope
    return (root * jnp.ldexp(one, half) * jnp.ldexp(one, exponent - half))[..., 0]


@validates_config
def triplet_margin(
    y_true: ArrayLike | None,
    y_pred: ArrayLike,
    *,
    positive: ArrayLike | None = None,
    negative: ArrayLike | None = None,
    margin: FiniteFloat = 1.0,
    p: NormDegree = 2.0,
    eps: NonNegativeFloat = 1e-6,
    swap: Flag = False,
) -> jax.Array:
    """Triplet margin loss (torch's `triplet_margin_loss`; optax's `triplet_margin_loss`).

    .. math:: \\ell = \\max\\big(d(a, p) - d(a, n) + m, 0\\big), \\quad d(x, y) = \\lVert x - y + \\epsilon \\rVert_p

    The distance is torch's `pairwise_distance` (eps added to the difference);
    optax adds eps inside the sum instead (`(sum |x - y|^p + eps)^(1/p)`): the
    two agree for eps = 0. With `swap`, `d(a, n)` is replaced by
    `min(d(a, n), d(p, n))` (Balntas et al., 2016). The norm neither overflows
    nor underflows, and its gradient at a zero difference is 0.

    Args:
        y_true: unused; pass None (a triplet loss has no targets).
        y_pred: anchors `a`, shape `[..., D]`.
        positive: positives `p` (an input), shape `[..., D]`.
        negative: negatives `n` (an input), shape `[..., D]`.
        margin: `m`.
        p: the norm degree, >= 1.
        eps: added to each difference, >= 0.
        swap: use the distance swap.

    Returns:
        shape `[...]`.

    Example:
        >>> import jaxloss
        >>> anchors = [[0.0, 0.0], [1.0, 1.0]]
        >>> positives = [[0.1, 0.1], [1.1, 1.1]]
        >>> negatives = [[1.0, 0.0], [0.0, 1.0]]
        >>> print(jaxloss.triplet_margin(None, anchors, positive=positives, negative=negatives, eps=0.0))
        [0.1414 0.1414]
    """
    if y_true is not None:
        raise TypeError(
            "`triplet_margin` has no targets: pass None as `y_true`, the anchors as `y_pred`, and "
            f"`positive=` and `negative=`. Received: y_true of type {type(y_true).__name__}"
        )
    if positive is None or negative is None:
        raise TypeError("`triplet_margin` needs `positive=` and `negative=` (arrays shaped like the anchors).")
    anchors = as_float("y_pred", y_pred)
    _checks.check_min_rank("y_pred", anchors, 1, "(it needs a feature axis)")
    others = {}
    for name, value in (("positive", positive), ("negative", negative)):
        others[name] = as_float(name, value, anchors.dtype)
        if others[name].shape != anchors.shape:
            raise ValueError(
                f"`{name}` must have the anchors' shape. Received: {name}.shape={tuple(others[name].shape)}, "
                f"y_pred.shape={tuple(anchors.shape)}"
            )
    pos, neg = others["positive"], others["negative"]
    to_positive = _p_norm(anchors - pos + eps, p)
    to_negative = _p_norm(anchors - neg + eps, p)
    if swap:
        to_negative = jnp.minimum(to_negative, _p_norm(pos - neg + eps, p))
    return jnp.maximum(to_positive - to_negative + margin, 0.0)


def _unit_embeddings(cfg: dict[str, Any], y_true: Any, y_pred: Any, ref_embeddings: Any = None, **_: Any) -> None:
    unit_rows("y_pred", y_pred)
    if ref_embeddings is not None:
        unit_rows("ref_embeddings", ref_embeddings)


class Circle(Loss, fn=circle, name="circle", value_check=_unit_embeddings):
    """Pass `ref_labels=`/`ref_embeddings=` at call time."""

    gamma: NonNegativeFloat = 80.0
    margin: FiniteFloat = 0.4
    remove_diagonal: Flag = True


def _labels_only(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    class_ids("y_true", y_true, jnp.iinfo(jnp.int32).max)  # any non-negative id names a group


class NTXent(Loss, fn=ntxent, name="ntxent", value_check=_labels_only, in_keras=False):
    temperature: PositiveFloat = 0.07


class TripletMargin(Loss, fn=triplet_margin, name="triplet_margin", in_keras=False):
    """Call it as `loss(None, anchors, positive=..., negative=...)`."""

    margin: FiniteFloat = 1.0
    p: NormDegree = 2.0
    eps: NonNegativeFloat = 1e-6
    swap: Flag = False
