"""Embedding (metric) learning: Circle (Keras), the triplet margin loss (optax, torch), and the margin ranking
and cosine embedding losses (torch) on pairs of inputs."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._checks import FiniteFloat, Flag, NonNegativeFloat, NormDegree, validates_config
from jaxloss._src._labels import flat_labels
from jaxloss._src._numerics import as_float, cosine, masked_logsumexp, row_exponent, safe_power, scaled_down
from jaxloss._src._sharding import whole_batch
from jaxloss._src._value_checks import sign_labels, unit_rows
from jaxloss._src.classes import Loss
from jaxloss._src.reduce import LossWithMask, returns_mask

__all__ = [
    "circle",
    "triplet_margin",
    "margin_ranking",
    "cosine_embedding",
    "Circle",
    "TripletMargin",
    "MarginRanking",
    "CosineEmbedding",
]


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
    labels = flat_labels("y_true", y_true)
    # The default references are the whole batch: this device's rows start at `offset` in it.
    refs, offset = (
        whole_batch(y_pred, axis_name)
        if ref_embeddings is None
        else (as_float("ref_embeddings", ref_embeddings, y_pred.dtype), 0)
    )
    ref_ids = whole_batch(labels, axis_name)[0] if ref_labels is None else flat_labels("ref_labels", ref_labels)
    _checks.check_rank("ref_embeddings", refs, 2, "(num_refs, embedding_dim)")
    _checks.check_nonempty("y_pred", y_pred, (1,))
    _checks.check_rows("y_true", labels, "y_pred", y_pred)
    _checks.check_rows("ref_labels", ref_ids, "ref_embeddings", refs)
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
    pos_lse, has_pos = masked_logsumexp(pos_logits, positive)
    neg_lse, has_neg = masked_logsumexp(neg_logits, negative)
    loss = jnp.where(has_pos & has_neg, jax.nn.softplus(pos_lse + neg_lse), 0.0)
    return LossWithMask(loss, loss > 0)


def _p_norm(x: jax.Array, p: float) -> jax.Array:
    """(sum |x|^p)^(1/p) over the last axis, without overflow or underflow, with a 0 gradient at x = 0."""
    magnitude = jnp.abs(x)
    # The largest magnitude brought into [1, 2) by a power of two (the norm is 1-homogeneous), so |x|^p
    # neither overflows nor underflows; the row's sum is then >= 1 unless the row is 0.
    exponent = row_exponent(jax.lax.stop_gradient(magnitude), -1, only_large=False) - 1
    nonzero = jnp.max(magnitude, axis=-1, keepdims=True) > 0
    total = jnp.sum(safe_power(scaled_down(magnitude, exponent), p), axis=-1, keepdims=True)
    root = jnp.where(nonzero, jnp.where(nonzero, total, 1.0) ** (1.0 / p), 0.0)  # double where: no 0^(1/p) slope
    return scaled_down(root, -exponent)[..., 0]


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


def _unit_embeddings(cfg: dict[str, Any], y_true: Any, y_pred: Any, ref_embeddings: Any = None, **_: Any) -> None:
    unit_rows("y_pred", y_pred)
    if ref_embeddings is not None:
        unit_rows("ref_embeddings", ref_embeddings)


class Circle(Loss, fn=circle, name="circle", value_check=_unit_embeddings, in_keras=True):
    """Pass `ref_labels=`/`ref_embeddings=` at call time."""

    gamma: NonNegativeFloat = 80.0
    margin: FiniteFloat = 0.4
    remove_diagonal: Flag = True


class TripletMargin(Loss, fn=triplet_margin, name="triplet_margin", in_keras=False):
    """Call it as `loss(None, anchors, positive=..., negative=...)`."""

    margin: FiniteFloat = 1.0
    p: NormDegree = 2.0
    eps: NonNegativeFloat = 1e-6
    swap: Flag = False


class MarginRanking(Loss, fn=margin_ranking, name="margin_ranking", value_check=sign_labels, in_keras=False):
    """Pass `other=` (x2) at call time."""

    margin: FiniteFloat = 0.0


class CosineEmbedding(Loss, fn=cosine_embedding, name="cosine_embedding", value_check=sign_labels, in_keras=False):
    """Pass `other=` (x2) at call time."""

    margin: FiniteFloat = 0.0
