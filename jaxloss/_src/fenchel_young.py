"""Fenchel-Young losses (Blondel et al., 2020): the sparsemax loss, and the factory for any max function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._labels import are_class_ids, check_class_axis, sparse_labels
from jaxloss._src._numerics import as_float, clip, pair, take_last, times
from jaxloss._src._value_checks import class_ids_or, zero_one_labels
from jaxloss._src.classes import Loss

__all__ = [
    "sparsemax_loss",
    "make_fenchel_young_loss",
    "SparsemaxLoss",
]


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
        check_class_axis(y_pred)
        labels = sparse_labels(y_true, y_pred)
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


class SparsemaxLoss(
    Loss, fn=sparsemax_loss, name="sparsemax_loss", value_check=class_ids_or(zero_one_labels), in_keras=False
):
    pass
