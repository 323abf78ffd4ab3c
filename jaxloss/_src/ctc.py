"""Connectionist temporal classification (Graves et al., 2006).

The forward (alpha) recursion runs in log space as a `lax.scan` over time on
the extended label sequence `blank, l1, blank, l2, ..., lN, blank` (S = 2L+1
states), rescaled every frame, with each log-probability carried as a
double-float so that float32 keeps its precision over long inputs. Emission
log-probabilities are gathered from the logits with indexing, O(B*T*S), rather
than optax's one-hot einsum, O(B*T*L*C), and no [B, T, C] log-softmax is
stored. The derivative is the forward-backward one, given as a `custom_jvp`:
a reverse `lax.scan` carries the scaled beta, and the posterior state
occupancies (softmax over states of alpha + beta) are the derivative of
log P with respect to each emission. Forward mode (`jvp`, `jacfwd`) uses them
directly; reverse mode transposes the linear map, storing only the occupancies.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._checks import ClassId, Flag, validates_config
from jaxloss._src._numerics import as_float, as_labels, softmax_terms
from jaxloss._src._value_checks import check_all, within
from jaxloss._src.classes import Loss

# Stands in for log(0): finite, so the scans never compute -inf - -inf (NaN) in value or gradient.
_LOG_ZERO = -1e30

__all__ = [
    "ctc",
    "ctc_alignment",
    "CTC",
]


def _two_sum(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(s, e) with s = fl(a + b) and a + b = s + e exactly (Knuth's TwoSum; no fast-math reassociation on XLA)."""
    s = a + b
    b_part = s - a
    return s, (a - (s - b_part)) + (b - b_part)


def _neighbours(x: jax.Array, fill: float, *, before: bool) -> tuple[jax.Array, jax.Array]:
    """The states one and two before (or after) each state, `fill` past the ends.

    One concatenation serves both shifts: cheaper per scan step than two.
    """
    edge = jnp.full_like(x[:, :1], fill)  # like x (not from its shape): it keeps the batch's sharding
    pad = jnp.concatenate([edge, edge], axis=1)
    if before:
        padded = jnp.concatenate([pad, x], axis=1)
        return padded[:, 1:-1], padded[:, :-2]
    padded = jnp.concatenate([x, pad], axis=1)
    return padded[:, 1:-1], padded[:, 2:]


# The recursions carry each log-probability as an unevaluated sum hi + lo of two
# float32 numbers (a double-float). A plain float32 log-probability of magnitude
# |x| is rounded by eps * |x| at every frame; the pair keeps the rounding at eps
# times the per-frame increment instead, so long inputs keep float32 precision.
Pair = tuple[jax.Array, jax.Array]


def _merge(x: Pair, skip: jax.Array, *, before: bool) -> Pair:
    """log(e^x[s] + e^x[s -/+ 1] + e^(x[s -/+ 2] + skip)) for every state s, as a pair (top hi, the rest)."""
    hi, lo = x
    # A state at log(0) has a meaningless lo (it absorbed increments): 0 keeps the exponents below bounded.
    lo = jnp.where(hi > _LOG_ZERO / 2, lo, 0.0)
    hi1, hi2 = _neighbours(hi, _LOG_ZERO, before=before)
    lo1, lo2 = _neighbours(lo, 0.0, before=before)
    hi2 = hi2 + skip
    top = jnp.maximum(jnp.maximum(hi, hi1), hi2)
    # hi - top is exact for the terms that matter (Sterbenz), so each lo enters at its own small magnitude.
    spread = jnp.exp((hi - top) + lo) + jnp.exp((hi1 - top) + lo1) + jnp.exp((hi2 - top) + lo2)
    return top, jnp.log(spread)


def _plus(x: Pair, y: jax.Array) -> Pair:
    hi, err = _two_sum(x[0], y)
    return hi, x[1] + err


def _rescaled(x: Pair) -> tuple[Pair, jax.Array]:
    """x - max over states (exactly, as a pair), and that max: Rabiner's scaling in log space.

    lo stays small without renormalizing: `_merge` folds it into a fresh lo at every frame.
    """
    peak = jnp.max(x[0], axis=1)
    hi, lo = _plus(x, -peak[:, None])
    return _two_sum(hi, lo), peak


def _alphas(emissions, can_skip, active, keep_all):
    """Scaled forward recursion over [T, B, S] emissions.

    Returns the log-normalizer (the sum of the per-frame scales, [B]) and the
    scaled alphas as (hi, lo) pairs: all of them [T, B, S], or the last [B, S].
    Each frame is rescaled to a maximum of 0 (Rabiner's scaling, in log space),
    so alpha + beta keeps float32 precision for long inputs.
    """
    skip_penalty = jnp.where(can_skip, 0.0, _LOG_ZERO).astype(emissions.dtype)

    def step(carry, inputs):
        log_alpha, log_scale = carry
        emit, is_active = inputs  # [B, S], [B]
        merged, peak = _rescaled(_plus(_merge(log_alpha, skip_penalty, before=True), emit))
        # Frames past logit_length carry the state unchanged.
        log_alpha = tuple(jnp.where(is_active[:, None], new, old) for new, old in zip(merged, log_alpha, strict=False))
        log_scale = _plus(log_scale, jnp.where(is_active, peak, 0.0))
        return (log_alpha, log_scale), (log_alpha if keep_all else None)

    # Start one step before t=0 in a virtual state whose only successors are states 0 and 1.
    zeros = jnp.zeros_like(emissions[0])  # [B, S], from the data: sharded like the batch
    init = (zeros.at[:, 1:].set(_LOG_ZERO), zeros)
    (last, log_scale), every = jax.lax.scan(step, (init, (zeros[:, 0], zeros[:, 0])), (emissions, active))
    return log_scale, (every if keep_all else last)


def _log_likelihood_from(log_scale: Pair, last: Pair, final: jax.Array) -> jax.Array:
    end = jax.nn.logsumexp(jnp.where(final, last[0] + last[1], _LOG_ZERO), axis=1)
    return log_scale[0] + (log_scale[1] + end)


def _log_likelihood_autodiff(emissions, can_skip, active, final):
    """log P(label | input) per sample; differentiable by plain autodiff (the reference)."""
    log_scale, last = _alphas(emissions, can_skip, active, keep_all=False)
    return _log_likelihood_from(log_scale, last, final)


def _occupancy(emissions, can_skip, active, final, alphas):
    """Posterior state occupancy [T, B, S] from a scaled backward (beta) recursion.

    Alpha and beta are each scaled per frame, so their product is normalized
    over the states of each frame; that is exact, since sum_s alpha_t(s) beta_t(s) = P
    for every frame, and it makes each frame's occupancies sum to 1 in float32.
    """
    zeros = jnp.zeros_like(final, emissions.dtype)
    last_beta = (jnp.where(final, 0.0, _LOG_ZERO).astype(emissions.dtype), zeros)
    skip_into = _neighbours(jnp.where(can_skip, 0.0, _LOG_ZERO).astype(emissions.dtype), _LOG_ZERO, before=False)[1]

    def step(beta, inputs):
        # beta: scaled log-probability of finishing from each state after frame t (emission at t excluded).
        emit, is_active = inputs  # frame t
        before, _ = _rescaled(_merge(_plus(beta, emit), skip_into, before=False))
        # If frame t is past logit_length, frame t - 1 (if active) is the last one.
        return tuple(
            jnp.where(is_active[:, None], new, last) for new, last in zip(before, last_beta, strict=False)
        ), beta

    _, betas = jax.lax.scan(step, last_beta, (emissions, active), reverse=True)
    # One vectorized softmax over all frames, outside the scan: cheaper than one per step.
    both, err = _two_sum(alphas[0], betas[0])
    # Subtract the largest hi before adding the lo parts: the pairs' digits reach the softmax.
    exponent = (both - jnp.max(both, axis=2, keepdims=True)) + (err + alphas[1] + betas[1])
    return jnp.where(active[:, :, None], jax.nn.softmax(exponent, axis=2), 0.0)


@jax.custom_jvp
def _log_likelihood(emissions, can_skip, active, final):
    """`_log_likelihood_autodiff` with the forward-backward derivative (forward and reverse mode)."""
    return _log_likelihood_autodiff(emissions, can_skip, active, final)


@_log_likelihood.defjvp
def _log_likelihood_jvp(primals, tangents):
    emissions, can_skip, active, final = primals
    log_scale, alphas = _alphas(emissions, can_skip, active, keep_all=True)  # [B] and [T, B, S] pairs
    log_likelihood = _log_likelihood_from(log_scale, (alphas[0][-1], alphas[1][-1]), final)
    # d log P / d emission(t, s) is the occupancy of (t, s); linear in the tangent, so reverse mode transposes it.
    occupancy = _occupancy(emissions, can_skip, active, final, alphas)
    return log_likelihood, jnp.einsum("tbs,tbs->b", occupancy, tangents[0])


def _interleave(blanks: jax.Array, labels: jax.Array) -> jax.Array:
    """[b0, l0, b1, l1, ..., lL-1, bL] from (B, L+1) blank and (B, L) label columns.

    Built with stack and reshape, not a strided scatter: fewer kernels to compile.
    """
    batch, max_label = labels.shape
    pairs = jnp.stack([blanks[:, :max_label], labels], axis=2).reshape(batch, 2 * max_label)
    return jnp.concatenate([pairs, blanks[:, max_label:]], axis=1)


def _one_more_column(columns: jax.Array, value: Any) -> jax.Array:
    """(B, L) -> (B, L + 1), the new column all `value`; built from `columns`, so it keeps their sharding."""
    return jnp.concatenate([columns, _batch_constant(columns, value)[:, None]], axis=1)


def _batch_constant(columns: jax.Array, value: Any) -> jax.Array:
    """A (B,) array of `value` in `columns`' dtype, derived from (B, L) `columns` (L may be 0)."""
    return jnp.sum(jnp.zeros_like(columns), axis=1) + jnp.asarray(value, columns.dtype)


def _lengths(name: str, value: ArrayLike | None, default: jax.Array, batch: int) -> jax.Array:
    if value is None:
        return default
    lengths = as_labels(name, value)
    if lengths.shape != (batch,):
        raise ValueError(
            f"`{name}` must have shape (batch,) = ({batch},). Received: {name}.shape={tuple(lengths.shape)}"
        )
    return lengths


@validates_config
def ctc(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    label_length: ArrayLike | None = None,
    logit_length: ArrayLike | None = None,
    blank_index: ClassId = 0,
    zero_infinity: Flag = False,
) -> jax.Array:
    """CTC negative log-likelihood per sample.

    .. math:: \\ell = -\\log \\sum_{\\pi \\in \\mathcal{B}^{-1}(y)} \\prod_{t < T_b} p_t(\\pi_t)

    With the defaults this is `keras.losses.ctc`: blank 0, every frame used,
    and the label length is the count of non-blank entries, read by position
    (the first `label_length` entries are the label). Unlike Keras and
    optax, an impossible alignment (too few frames, or every path through a
    `-inf` logit) gives `inf` (or 0 with `zero_infinity`) with a zero
    gradient, and the loss is never negative. A sample whose logits are all
    `-inf` is impossible; masked or weighted 0, it gives 0 and a zero gradient.

    Args:
        y_true: integer labels, shape `(B, L)`, padded on the right.
        y_pred: unnormalized logits, shape `(B, T, C)`; `log_softmax` is
            applied inside, in float32 for half-precision input.
        label_length: `(B,)` label lengths; default: count of labels != blank.
        logit_length: `(B,)` frame counts; frames past it are ignored. Default `T`.
        blank_index: the blank class, in `[0, C)`.
        zero_infinity: give 0 instead of `inf` for impossible alignments.

    Returns:
        shape `(B,)`.

    Raises:
        ValueError: bad ranks, `blank_index` outside `[0, C)`, or length
            arrays not of shape `(B,)`.

    Example:
        >>> import jax.numpy as jnp
        >>> import jaxloss
        >>> logits = (jnp.arange(24.0).reshape(2, 4, 3) - 12) / 100
        >>> print(jaxloss.ctc(jnp.array([[1, 2, 1, 0], [1, 2, 0, 2]]), logits))
        [2.4429 2.4544]
    """
    labels, logits, label_length, logit_length = _checked_inputs(
        y_true, y_pred, label_length, logit_length, blank_index
    )
    return _ctc_loss(labels, logits, label_length, logit_length, blank_index=blank_index, zero_infinity=zero_infinity)


def _checked_inputs(
    y_true: ArrayLike, y_pred: ArrayLike, label_length: Any, logit_length: Any, blank_index: int
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Labels, logits and the two length arrays, with their ranks, shapes and blank id checked."""
    labels = as_labels("y_true", y_true)
    logits = as_float("y_pred", y_pred)
    _checks.check_rank("y_true", labels, 2, "(batch, max_label_length) of integer labels")
    _checks.check_rank("y_pred", logits, 3, "(batch, max_time, num_classes) of logits")
    batch, max_time, num_classes = logits.shape
    if labels.shape[0] != batch:
        raise ValueError(
            f"`y_true` and `y_pred` must have the same batch size. Received: "
            f"y_true.shape={tuple(labels.shape)}, y_pred.shape={tuple(logits.shape)}"
        )
    _checks.check_nonempty("y_pred", logits, (2,))  # no classes, not even the blank
    if not blank_index < num_classes:
        raise ValueError(
            f"`blank_index` must be in [0, {num_classes}) for y_pred with {num_classes} classes. Received: blank_index={blank_index}"
        )
    label_length = _lengths("label_length", label_length, jnp.sum(labels != blank_index, axis=1), batch)
    logit_length = _lengths("logit_length", logit_length, _batch_constant(labels, max_time), batch)
    return labels, logits, label_length, logit_length


def _lattice(labels, logits, label_length, logit_length, blank_index):
    """The recursions' inputs: time-major emissions [T, B, S], can_skip and final [B, S], active [T, B],
    and whether each sample has a feasible alignment [B]."""
    max_time, num_classes = logits.shape[1:]
    max_label = labels.shape[1]
    label_length = jnp.clip(label_length, 0, max_label)
    logit_length = jnp.clip(logit_length, 0, max_time)

    active = jnp.arange(max_time)[:, None] < logit_length[None, :]  # [T, B]
    # Frames past logit_length are never read: zeroing them keeps a NaN or inf there out of the gradient.
    logits = jnp.where(jnp.swapaxes(active, 0, 1)[:, :, None], logits, 0.0)
    # [B, T, 1]; finite for a frame of -inf logits only (a masked sample), whose emissions are then log(0).
    top, _, _, total = softmax_terms(logits)
    log_normalizer = top + jnp.log(total)
    num_states = 2 * max_label + 1
    # Extended labels: even states are blanks, odd state 2k+1 is label k.
    # Batch-shaped constants are built from the labels, so they carry the batch's sharding (explicit meshes).
    blanks = _one_more_column(jnp.full_like(labels, blank_index), blank_index)
    states = _interleave(blanks, jnp.clip(labels, 0, num_classes - 1))
    # log_softmax at the S states only: gathering from the logits never materializes a [B, T, C] copy.
    if logits.size:
        gathered = jnp.take_along_axis(logits, states[:, None, :], axis=2)  # [B, T, S], no one-hot
    else:  # no samples or no frames (JAX 0.4's gather rejects an empty batch)
        gathered = jnp.zeros(logits.shape[:2] + states.shape[1:], logits.dtype)
    emissions = gathered - log_normalizer
    # A -inf logit becomes log(0) = _LOG_ZERO: finite, so no -inf - -inf in the recursions.
    emissions = jnp.maximum(emissions, _LOG_ZERO)
    # A label state may skip the blank before it unless it repeats the previous label.
    label_pos = jnp.arange(max_label)
    differs = jnp.concatenate([jnp.zeros_like(labels[:, :1], bool), labels[:, 1:] != labels[:, :-1]], axis=1)
    can_skip = _interleave(_one_more_column(jnp.zeros_like(labels, bool), False), differs & (label_pos > 0))  # [B, S]
    # The path ends in the last blank (state 2L) or the last label (state 2L - 1).
    state_pos = jnp.arange(num_states)[None, :]
    final = (state_pos == 2 * label_length[:, None]) | (
        (state_pos == 2 * label_length[:, None] - 1) & (label_length[:, None] > 0)
    )
    # Feasible iff there are enough frames: one per label plus one blank between repeats.
    in_label = label_pos[None, :] < label_length[:, None]
    repeats = jnp.sum((~differs) & (label_pos > 0) & in_label, axis=1)
    feasible = logit_length >= label_length + repeats
    return jnp.swapaxes(emissions, 0, 1), can_skip, active, final, feasible


# One compiled program per shape: eager calls skip op-by-op dispatch; inside a user's jit it is inlined.
@functools.partial(jax.jit, static_argnames=("blank_index", "zero_infinity"))
def _ctc_loss(labels, logits, label_length, logit_length, *, blank_index, zero_infinity):
    emissions, can_skip, active, final, feasible = _lattice(labels, logits, label_length, logit_length, blank_index)
    if logits.shape[1]:
        log_likelihood = _log_likelihood(emissions, can_skip, active, final)
    else:  # No frames: only the empty label has probability 1.
        log_likelihood = jnp.where(jnp.clip(label_length, 0) == 0, 0.0, _LOG_ZERO).astype(logits.dtype)
    # Rounding can push a near-certain alignment just below 0; the clamp keeps the loss >= 0.
    nll = jnp.maximum(-log_likelihood, 0.0)
    fallback = 0.0 if zero_infinity else jnp.inf
    # Every alignment through a -inf logit (log(0) per such frame) has probability 0: impossible too.
    possible = feasible & (log_likelihood > _LOG_ZERO / 2)
    return jnp.where(possible, nll, fallback)


@validates_config
def ctc_alignment(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    label_length: ArrayLike | None = None,
    logit_length: ArrayLike | None = None,
    blank_index: ClassId = 0,
) -> jax.Array:
    """Per-frame posteriors of the CTC states, for alignment plots (the forward-backward occupancies).

    .. math:: \\gamma_t(s) = P(\\pi_t = s \\mid y, x) = \\frac{\\alpha_t(s) \\, \\beta_t(s)}{P(y \\mid x)}

    The states are the extended label `blank, l1, blank, l2, ..., lL, blank`:
    state `2k + 1` is label `k`, even states are blanks. Each frame within
    `logit_length` sums to 1 over the states; frames past it, and samples
    without a feasible alignment, are 0. What optax's
    `ctc_loss_with_forward_probs` gives as forward probabilities, completed
    with the backward pass: summed over the states of each class they are
    `softmax(y_pred) - d ctc / d y_pred`. Not differentiated (a stopped gradient).

    Args:
        y_true: integer labels, shape `(B, L)`, padded on the right.
        y_pred: unnormalized logits, shape `(B, T, C)`.
        label_length: `(B,)` label lengths; default: count of labels != blank.
        logit_length: `(B,)` frame counts. Default `T`.
        blank_index: the blank class, in `[0, C)`.

    Returns:
        shape `(B, T, 2L + 1)`.

    Example:
        >>> import jax.numpy as jnp
        >>> import jaxloss
        >>> logits = jnp.log(jnp.array([[[0.1, 0.9], [0.8, 0.2], [0.1, 0.9]]]))
        >>> print(jaxloss.ctc_alignment(jnp.array([[1, 1]]), logits)[0])
        [[0. 1. 0. 0. 0.]
         [0. 0. 1. 0. 0.]
         [0. 0. 0. 1. 0.]]
    """
    labels, logits, label_length, logit_length = _checked_inputs(
        y_true, y_pred, label_length, logit_length, blank_index
    )
    return _alignment(labels, jax.lax.stop_gradient(logits), label_length, logit_length, blank_index=blank_index)


@functools.partial(jax.jit, static_argnames=("blank_index",))
def _alignment(labels, logits, label_length, logit_length, *, blank_index):
    emissions, can_skip, active, final, feasible = _lattice(labels, logits, label_length, logit_length, blank_index)
    if not logits.shape[1]:
        return jnp.zeros((logits.shape[0], 0, emissions.shape[2]), logits.dtype)
    _, alphas = _alphas(emissions, can_skip, active, keep_all=True)
    occupancy = _occupancy(emissions, can_skip, active, final, alphas)  # [T, B, S]
    return jnp.where(feasible[:, None, None], jnp.swapaxes(occupancy, 0, 1), 0.0)


def _labels_and_lengths(
    cfg: dict[str, Any], y_true: Any, y_pred: Any, label_length: Any = None, logit_length: Any = None, **_: Any
) -> None:
    _, max_time, num_classes = jnp.shape(y_pred)
    labels = as_labels("y_true", y_true)
    blank = cfg.get("blank_index", 0)
    if label_length is None:  # Keras's form: the label is the first count_nonzero(labels != blank) entries.
        lengths = jnp.sum(labels != blank, axis=1)
    else:
        within("label_length", label_length, 0, labels.shape[1], "at most the padded label length")
        lengths = as_labels("label_length", label_length)
    # Only the entries within label_length are read: padding beyond it (e.g. -1) is fine.
    in_label = jnp.arange(labels.shape[1])[None, :] < lengths[:, None]
    outside = in_label & ((labels < 0) | (labels >= num_classes))
    check_all(outside, labels, f"`y_true` has a class id outside [0, {num_classes}): {{value}}.")
    message = f"`y_true` has the blank id {blank} within label_length; the loss reads it as a label: {{value}}."
    check_all(in_label & (labels == blank), labels, message)
    if logit_length is not None:
        within("logit_length", logit_length, 0, max_time, "at most the padded number of frames")


class CTC(Loss, fn=ctc, name="ctc", value_check=_labels_and_lengths, in_keras=True):
    """Pass `label_length=`/`logit_length=` at call time."""

    blank_index: ClassId = 0
    zero_infinity: Flag = False
