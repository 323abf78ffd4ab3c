"""Circle loss for embedding (metric) learning."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._checks import FiniteFloat, Flag, NonNegativeFloat, validates_config
from jaxloss._src._numerics import as_float, as_labels
from jaxloss._src.checked import unit_rows
from jaxloss._src.classes import Loss
from jaxloss._src.reduce import LossWithMask, returns_mask

__all__ = [
    "circle",
    "Circle",
]


def _flat_labels(name: str, labels: ArrayLike) -> jax.Array:
    labels = as_labels(name, labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    _checks.check_rank(name, labels, 1, "(one integer label per embedding, shape (N,) or (N, 1))")
    return labels


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
    refs = y_pred if ref_embeddings is None else as_float("ref_embeddings", ref_embeddings, y_pred.dtype)
    ref_ids = labels if ref_labels is None else _flat_labels("ref_labels", ref_labels)
    _checks.check_rank("ref_embeddings", refs, 2, "(num_refs, embedding_dim)")
    if labels.shape[0] != y_pred.shape[0] or ref_ids.shape[0] != refs.shape[0] or refs.shape[1] != y_pred.shape[1]:
        raise ValueError(
            "Expected y_true (B,), y_pred (B, D), ref_labels (R,), ref_embeddings (R, D). Received: "
            f"y_true {tuple(labels.shape)}, y_pred {tuple(y_pred.shape)}, "
            f"ref_labels {tuple(ref_ids.shape)}, ref_embeddings {tuple(refs.shape)}"
        )

    distances = jnp.maximum(1.0 - y_pred @ refs.T, 0.0)
    positive = labels[:, None] == ref_ids[None, :]
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~jnp.eye(labels.shape[0], ref_ids.shape[0], dtype=bool)
    pos_weights = jnp.maximum((margin + distances) * positive, 0.0)
    neg_weights = jnp.maximum((1.0 + margin - distances) * negative, 0.0)
    pos_logits = -gamma * pos_weights * (margin - distances)
    neg_logits = gamma * neg_weights * (1.0 - margin - distances)
    pos_lse, has_pos = _masked_logsumexp(pos_logits, positive)
    neg_lse, has_neg = _masked_logsumexp(neg_logits, negative)
    loss = jnp.where(has_pos & has_neg, jax.nn.softplus(pos_lse + neg_lse), 0.0)
    return LossWithMask(loss, loss > 0)


def _unit_embeddings(cfg: dict[str, Any], y_true: Any, y_pred: Any, ref_embeddings: Any = None, **_: Any) -> None:
    unit_rows("y_pred", y_pred)
    if ref_embeddings is not None:
        unit_rows("ref_embeddings", ref_embeddings)


class Circle(Loss, fn=circle, name="circle", value_check=_unit_embeddings):
    """Pass `ref_labels=`/`ref_embeddings=` at call time."""

    gamma: NonNegativeFloat = 80.0
    margin: FiniteFloat = 0.4
    remove_diagonal: Flag = True
