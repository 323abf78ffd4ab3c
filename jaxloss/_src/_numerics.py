"""Dtype policy, rank matching and NaN-safe primitives shared by every loss.

The policy for the numerical forms the losses use, stated once:

- **Exact first.** A loss gives its exact value and derivatives wherever they are finite: at kinks
  (`jnp.maximum`'s 1/2 at a tie), at zeros (0 * log 0 = 0), on infinite inputs (a -inf logit of a masked
  class). A guard that avoids NaN must not zero a derivative that is finite in exact arithmetic.
- **Select-free where it is hot.** XLA's CPU fusions stop at selects (`jnp.where`) and at `clamp`, so on
  a loss's full-size `[..., K]` passes the guards are written as arithmetic: `clip` as two maxima,
  `maximum_slope` from a sign, `times_nonnegative` as a min. Each one equals its plain form (`jnp.clip`,
  `jnp.where`) in value and derivative; tests/test_textbook.py holds the plain forms as the specification.
  Per-row quantities (`[..., 1]`) may use `jnp.where` freely.
- **`opaque` constants.** A constant that XLA would fold or share between the value's and the gradient's
  pass (a shared broadcast is materialized) is passed through `opaque`.
- **Custom derivatives** (`jax.custom_jvp`) only where autodiff of the value is wrong (NaN, 0 * inf, a
  derivative lost to rounding) or stores what one pass can recompute; each states which, in one line,
  and is tested against autodiff of the plain form.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxloss._src import _checks

# Keras's `backend.epsilon()`. It stays 1e-7 in float64, as in Keras with floatx="float64".
EPSILON = 1e-7


def compute_dtype(dtype: Any) -> jnp.dtype:
    """float64 for float64 inputs (x64 on), float32 for everything else, half precision included."""
    return jnp.dtype(jnp.float64) if jnp.dtype(dtype) == jnp.float64 else jnp.dtype(jnp.float32)


def as_array(name: str, x: ArrayLike, numeric: str = "a numeric array") -> jax.Array:
    """`x` as a JAX array of real numbers or booleans; otherwise a TypeError naming `name` (`numeric`: what
    was expected)."""
    if isinstance(x, (str, bytes)) or (isinstance(x, (list, tuple)) and x and isinstance(x[0], (str, bytes))):
        raise TypeError(f"`{name}` must be {numeric}. Received text: {x!r}")
    if x is None:
        raise TypeError(f"`{name}` must be {numeric}. Received: None")
    try:
        x = jnp.asarray(x)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"`{name}` must be {numeric}. Received {type(x).__name__}, which JAX cannot convert: {err}"
        ) from None
    _checks.check_numeric(name, x)
    return x


def as_float(name: str, x: ArrayLike, dtype: Any = None) -> jax.Array:
    """Converts `x` to the compute dtype (of `dtype`, or of `x` itself)."""
    x = as_array(name, x)
    return x.astype(compute_dtype(x.dtype if dtype is None else dtype))


def as_floating(name: str, x: ArrayLike) -> jax.Array:
    """Converts `x` to a floating array, keeping a float dtype as it is (half precision included)."""
    x = as_array(name, x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(compute_dtype(x.dtype))


_INT32 = np.iinfo(np.int32)


def as_labels(name: str, x: ArrayLike) -> jax.Array:
    """Converts class ids to int32, saturating: integers never pass through a float dtype.

    Ids beyond the int32 range (an int64 `2**32 + 1`, a uint32 `4294967295`)
    saturate to the int32 bounds, so they stay out of range for any class
    count instead of wrapping around to a valid id (or to `ignore_class=-1`).
    Float labels holding class ids (Keras's `fit` hands a sparse loss float
    labels) are cast as Keras casts them, truncated toward zero; NaN becomes
    the int32 minimum, out of range (`jaxloss.checked` reports both).
    """
    if not isinstance(x, jax.Array):
        host = np.asarray(x)
        if host.dtype.kind in "iu" and host.size:
            # Clip on the host, before JAX canonicalizes int64/uint32 to int32 by wrapping; the bounds in the
            # labels' own type (NumPy 2 refuses a bound its type cannot hold).
            info = np.iinfo(host.dtype)
            low, high = host.dtype.type(max(info.min, _INT32.min)), host.dtype.type(min(info.max, _INT32.max))
            x = np.clip(host, low, high)
    x = as_array(name, x)
    if jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(compute_dtype(x.dtype))
        # Saturate below 2**31 (the float32 just under it) before the cast, which would overflow.
        x = jnp.where(jnp.isnan(x), _INT32.min, clip(x, float(_INT32.min), 2147483520.0))
    elif x.dtype != jnp.bool_ and (jnp.iinfo(x.dtype).max > _INT32.max or jnp.iinfo(x.dtype).min < _INT32.min):
        x = jnp.clip(x, max(jnp.iinfo(x.dtype).min, _INT32.min), _INT32.max)  # saturate, do not wrap
    return x.astype(jnp.int32)


def take_last(values: jax.Array, index: jax.Array) -> jax.Array:
    """values[..., index] along the last axis for in-range `index` (shape `values.shape[:-1]`), by a gather.

    An empty batch gives an empty result without gathering (JAX 0.4's gather rejects it).
    """
    if not values.size:
        return jnp.zeros(jnp.broadcast_shapes(values.shape[:-1], index.shape), values.dtype)
    return jnp.take_along_axis(values, index[..., None], axis=-1, mode="promise_in_bounds")[..., 0]


def squeeze_or_expand_to_same_rank(x1: jax.Array, x2: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Keras's rank matching: acts only when ranks differ by one and the larger ends in 1."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        return (x1, x2[..., None]) if x2.ndim == 1 else (x1[..., 0], x2)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        return (x1[..., None], x2) if x1.ndim == 1 else (x1, x2[..., 0])
    return x1, x2


def pair(
    y_true: ArrayLike, y_pred: ArrayLike, *, scalar_as_feature: bool = True, last_axis_reduced: bool = True
) -> tuple[jax.Array, jax.Array]:
    """Float y_true and y_pred of one shape, in the compute dtype of y_pred.

    Two scalars become one feature of shape (1,), so the losses that average
    over the last axis return a scalar (as optax's elementwise losses do).
    Losses over a class axis pass `scalar_as_feature=False`: a scalar has no classes.
    The last axis, which the loss reduces over, must not be empty; a loss that
    takes its reduced `axis` as config passes `last_axis_reduced=False` and
    checks that axis itself (`_checks.nonempty_axis`).
    """
    y_pred = as_float("y_pred", y_pred)
    y_true = as_float("y_true", y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _checks.check_same_shape(y_true, y_pred)
    if y_pred.ndim == 0 and scalar_as_feature:
        y_true, y_pred = y_true[None], y_pred[None]
    if y_pred.ndim and last_axis_reduced:
        _checks.check_nonempty("y_pred", y_pred, (-1,))  # no features or classes: no loss (mean of nothing)
    return y_true, y_pred


def is_zero(value: Any) -> bool:
    """True for a concrete 0 (a config left at its default); False for a traced value."""
    return isinstance(value, (int, float, np.number)) and value == 0


def clip(x: jax.Array, low: float, high: float) -> jax.Array:
    """jnp.clip(x, low, high) (the same values and derivatives, 1/2 at either bound), fused by XLA on the CPU."""
    # min(y, high) as -max(-y, -high), exactly: XLA turns min(max(x, low), high) into a `clamp`, which its
    # CPU fusions do not take, so the clipped array would be written to memory and read again.
    return -jnp.maximum(-jnp.maximum(x, low), -high)


def maximum_slope(x: jax.Array, floor: Any) -> jax.Array:
    """d max(x, floor) / dx as jnp.maximum's: 1 above the floor, 1/2 at a tie, 0 below (floor finite)."""
    # From the sign of x - floor, select-free: XLA fuses it into the gradient's pass, where two selects
    # (or a product of them) would write a [..., K] constant to memory.
    return 0.5 * (jnp.sign(x - floor) + 1.0)


def clip_probs(p: jax.Array) -> jax.Array:
    """Keras's clip of probabilities to [eps, 1 - eps]."""
    return clip(p, EPSILON, 1.0 - EPSILON)


def times(a: ArrayLike, b: ArrayLike) -> jax.Array:
    """a * b, with 0 * inf = 0; d/da = b read within [-max float, max float] (NaN as 0), d/db = a.

    The finite d/da keeps a zero cotangent zero: a masked row (a zero weight) whose value is infinite
    sends back 0, not 0 * inf = NaN, to what computed `a` (a label, a weight).
    """
    return _times(jnp.asarray(a), jnp.asarray(b))


@jax.custom_jvp
def _times(a: jax.Array, b: jax.Array) -> jax.Array:
    # Only a non-finite b facing a zero a is replaced, so learning from zero weights or labels still works.
    return a * jnp.where((a == 0) & ~jnp.isfinite(b), 0.0, b)


@_times.defjvp
def _times_jvp(primals: tuple[jax.Array, jax.Array], tangents: tuple[jax.Array, jax.Array]) -> Any:
    (a, b), (d_a, d_b) = primals, tangents
    return _times(a, b), jnp.nan_to_num(b) * d_a + a * d_b  # nan_to_num: NaN -> 0, +-inf -> +-max float


def safe_divide(num: jax.Array, den: jax.Array) -> jax.Array:
    """num / den, and 0 where den == 0 (Keras's divide_no_nan), with finite gradients."""
    nonzero = den != 0
    # Double where: the divisor is never 0, so the unselected branch has no inf gradient.
    return jnp.where(nonzero, num / jnp.where(nonzero, den, 1.0), 0.0)


def safe_power(base: jax.Array, exponent: Any) -> jax.Array:
    """max(base, 0) ** exponent for exponent >= 0, with 0 ** 0 = 1, exact derivatives and finite ones at 0.

    At base 0 the derivative in `base` is exponent * 0 ** (exponent - 1): 1 for
    exponent 1, 0 above; below 1 it is infinite and 0 is returned. The
    derivative in `exponent` is base ** exponent * log(base), 0 at base 0.
    The value is one select-free power (XLA's CPU fusions stop at selects); the
    guards live in the derivative only.
    """
    if isinstance(exponent, (int, float, np.number)):
        return _power_by_constant(base, float(exponent))
    return _power(base, jnp.asarray(exponent, base.dtype))


def _guarded_power(base: jax.Array, exponent: Any) -> jax.Array:
    """safe_power's value by selects, differentiated (to any order) by JAX for safe_power's derivatives."""
    positive = base > 0
    # Double where: the power (and its log-based exponent gradient) only sees positive bases.
    powered = jnp.where(positive, base, 1.0) ** exponent
    at_zero = jnp.where(exponent == 0, 1.0, jnp.where(exponent == 1, base, 0.0))  # value 0**e, slope 1 if e == 1
    return jnp.where(positive, powered, jnp.where(base == 0, at_zero, jnp.where(exponent == 0, 1.0, 0.0)))


@jax.custom_jvp
def _power(base: jax.Array, exponent: jax.Array) -> jax.Array:
    return jnp.power(jnp.maximum(base, 0.0), exponent)


@_power.defjvp
def _power_jvp(primals: tuple[jax.Array, jax.Array], tangents: tuple[jax.Array, jax.Array]) -> Any:
    return _power(*primals), jax.jvp(_guarded_power, primals, tangents)[1]


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _power_by_constant(base: jax.Array, exponent: float) -> jax.Array:
    return jnp.power(jnp.maximum(base, 0.0), exponent)


@_power_by_constant.defjvp
def _power_by_constant_jvp(exponent: float, primals: tuple[jax.Array], tangents: tuple[jax.Array]) -> Any:
    (base,), (d_base,) = primals, tangents
    return _power_by_constant(base, exponent), jax.jvp(lambda b: _guarded_power(b, exponent), (base,), (d_base,))[1]


def _bits(dtype: Any) -> tuple[Any, int, int]:
    """The same-width integer type, the mantissa width and the exponent bias of a float dtype."""
    info = jnp.finfo(dtype)
    return (jnp.int64 if info.bits == 64 else jnp.int32), info.nmant, info.maxexp - 1


def _frexp_exponent(x: jax.Array) -> jax.Array:
    """jnp.frexp(x)[1] for positive normal floats, read from the bits (a few integer ops; jnp.frexp's
    handling of zeros, denormals and infinities is many more, and slow to compile)."""
    int_type, mantissa, bias = _bits(x.dtype)
    field = jax.lax.bitcast_convert_type(x, int_type) >> mantissa  # sign 0: the biased exponent
    return (field - (bias - 1)).astype(jnp.int32)


def _two_to(power: Any, dtype: Any) -> jax.Array:
    """2.0 ** power, exactly, for integer powers in the normal range (jnp.ldexp(1, power) without its guards)."""
    int_type, mantissa, bias = _bits(dtype)
    return jax.lax.bitcast_convert_type((jnp.asarray(power).astype(int_type) + bias) << mantissa, dtype)


def normalize(x: jax.Array, axis: Any) -> jax.Array:
    """Keras's L2 normalize, x * min(rsqrt(sum x^2), 1/eps), overflow-safe and NaN-free.

    A row with infinite entries gets its limit, the direction of those entries (their signs, normalized),
    with a zero derivative: a -inf row (a masked sample) is a finite unit vector.
    """
    infinite = jnp.isinf(x)
    # Double where: the finite rows keep x; an infinite row is replaced, so no inf reaches the norms.
    x = jnp.where(jnp.any(infinite, axis=axis, keepdims=True), jnp.where(infinite, jnp.sign(x), 0.0), x)
    # Scale the largest magnitude to [0.5, 1) first, so sum(x^2) cannot overflow for huge x.
    exponent = row_exponent(jax.lax.stop_gradient(x), axis)
    xs = scaled_down(x, exponent)
    square_sum = jnp.sum(jnp.square(xs), axis=axis, keepdims=True)
    # min(rsqrt(s), 1/eps) == rsqrt(max(s, eps^2)), in scaled units; the max keeps rsqrt off 0.
    floor = jnp.square(scaled_down(jnp.full_like(square_sum, EPSILON), exponent))
    return xs * jax.lax.rsqrt(jnp.maximum(square_sum, floor))


def scaled_down(x: jax.Array, exponent: Any) -> jax.Array:
    """x 2^-exponent, by two exact power-of-two factors: 2^-exponent itself may be denormal (flushed to 0)."""
    half = jnp.asarray(exponent) // 2
    return x * _two_to(-half, x.dtype) * _two_to(half - exponent, x.dtype)


def row_exponent(x: jax.Array, axis: Any, *, only_large: bool = True) -> jax.Array:
    """Per row (kept as size 1), e with the largest magnitude of x 2^-e in [0.5, 1): an exponent for
    `scaled_down` that keeps sums of squares or powers in range. 0 where the largest is not finite, and,
    with `only_large`, where it is at most 1 (e >= 0: only overflow is avoided); else 0 where it is 0."""
    largest = jnp.max(jnp.abs(x), axis=axis, keepdims=True)
    rescaled = ((largest > 1.0) if only_large else (largest > 0.0)) & jnp.isfinite(largest)
    return jnp.where(rescaled, _frexp_exponent(largest), 0)


def _cosine_parts(a: jax.Array, b: jax.Array, axis: Any) -> tuple[jax.Array, ...]:
    """Per row (kept as size 1): the cosine, the exponents e_a, e_b with a' = a 2^-e_a, b' = b 2^-e_b,
    and rho = min(1/|x'|, 1/eps) and the squared norm of a' and b'.

    e = 0 unless a squared norm overflows somewhere in the batch (vectors beyond about 1e19); then each
    row's largest magnitude is scaled to [0.5, 1) first (the cosine is scale-free, and such a row is far
    above eps, so eps needs no scaling), at the cost of two more passes.
    """
    floor = jnp.asarray(EPSILON**2, a.dtype)

    def plain(a: jax.Array, b: jax.Array) -> tuple[jax.Array, ...]:
        s_aa, s_bb = (jnp.sum(x * x, axis=axis, keepdims=True) for x in (a, b))
        rho_a, rho_b = jax.lax.rsqrt(jnp.maximum(s_aa, floor)), jax.lax.rsqrt(jnp.maximum(s_bb, floor))
        # s - s is 0, or NaN where a squared norm overflowed: the flag rides on the scale into the value.
        scale = rho_a * rho_b + (s_aa - s_aa) + (s_bb - s_bb)
        # The dot product as a reduction that reads the scale: XLA's CPU fusion runs it as fast as one sum.
        return jnp.sum(a * b * scale, axis=axis, keepdims=True), rho_a, rho_b, s_aa, s_bb

    flagged = plain(a, b)
    zeros = jnp.zeros_like(flagged[1], jnp.int32)  # laid out as the rows (sharded batches)

    def scaled() -> tuple[jax.Array, ...]:
        e_a, e_b = row_exponent(a, axis), row_exponent(b, axis)
        value, *rest = plain(scaled_down(a, e_a), scaled_down(b, e_b))
        return (value, e_a, e_b, *rest)

    fits = ~jnp.any(jnp.isnan(flagged[0]))
    return jax.lax.cond(fits, lambda: (flagged[0], zeros, zeros, *flagged[1:]), scaled)


@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def cosine(a: jax.Array, b: jax.Array, axis: Any) -> jax.Array:
    """sum(normalize(a) * normalize(b), axis), Keras's cosine, from the squared norms and one scaled dot product.

    Overflow-safe like `normalize` (vectors up to float max), NaN-free at zero vectors, with its
    derivative given directly: one elementwise pass per input, no normalized copies kept.
    """
    return jnp.squeeze(_cosine_parts(a, b, axis)[0], axis)


@cosine.defjvp
def _cosine_jvp(axis: Any, primals: tuple[jax.Array, jax.Array], tangents: tuple[jax.Array, jax.Array]) -> Any:
    (a, b), (da, db) = primals, tangents
    # The value is the one `cosine` computes (value_and_grad's value equals a plain call bit for bit).
    c, e_a, e_b, rho_a, rho_b, s_aa, s_bb = _cosine_parts(a, b, axis)
    floor = jnp.asarray(EPSILON**2, a.dtype)
    # d max(s, floor)/ds: 1 above the floor, 0 below, 1/2 at a tie (as jnp.maximum's).
    slope_a, slope_b = maximum_slope(s_aa, floor), maximum_slope(s_bb, floor)
    unit_a, unit_b = rho_a * scaled_down(a, e_a), rho_b * scaled_down(b, e_b)
    # dc/da = (b^ - c a^ [above the clamp]) / |a| = (b^ - a^ + k_a a^) / |a| with k_a = 1 - c [slope], and
    # 1/|a| = 2^-e_a rho_a. For two unit vectors 1 - c = |a^ - b^|^2 / 2 exactly: no cancellation of c's
    # rounding against 1 when they are near parallel.
    # A clamped (near-zero) vector is not unit: then k = 1 - c slope, as written.
    diff = unit_a - unit_b
    half_square = 0.5 * jnp.sum(diff * diff, axis=axis, keepdims=True)
    unclamped = (slope_a == 1.0) & (slope_b == 1.0)
    k_a, k_b = (jnp.where(unclamped, half_square, 1.0 - c * slope) for slope in (slope_a, slope_b))
    grad_a = scaled_down(rho_a * (k_a * unit_a - diff), e_a)
    grad_b = scaled_down(rho_b * (k_b * unit_b + diff), e_b)
    return jnp.squeeze(c, axis), jnp.sum(grad_a * da + grad_b * db, axis=axis)


def masked_logsumexp(x: jax.Array, mask: jax.Array) -> tuple[jax.Array, jax.Array]:
    """logsumexp over the True entries of each row, and whether the row had any."""
    any_valid = jnp.any(mask, axis=1)
    # Rows with no valid entry use 0s, so neither value nor gradient sees an all -inf row.
    x = jnp.where(any_valid[:, None], jnp.where(mask, x, -jnp.inf), 0.0)
    return jax.nn.logsumexp(x, axis=1), any_valid


def row_max(logits: jax.Array, axis: int = -1) -> jax.Array:
    """The max over `axis` (kept), read within [-max float, max float]: finite for every row."""
    # Clamped after the reduction, so no [..., K] min runs before it: XLA's CPU fusion then reads each row
    # once for the max, the sum of exponentials and the loss (a min over the logits makes that slower).
    # A row of -inf only (fully masked) gets -max float, so that logits - max is -inf there, not NaN.
    big = jnp.finfo(logits.dtype).max
    return clip(jnp.max(logits, axis=axis, keepdims=True), -big, big)


def softmax_terms(logits: jax.Array, axis: int = -1) -> tuple[jax.Array, ...]:
    """The row max (finite, see `row_max`), the shifted logits min(logits - max, 0), their exponentials,
    and the sum of those over `axis`, at least 1.

    The sum is at least 1 wherever a logit is above -inf (the max contributes exp(0) = 1), so the floor
    acts only on a row of -inf only: its probabilities are 0 and its log-probabilities -inf, with finite
    derivatives, so that a masked row (zero labels, or a zero weight) gives 0 and a zero gradient.
    """
    top = row_max(logits, axis)
    shifted = jnp.minimum(logits - top, 0.0)  # a +inf logit: inf - max float = inf -> 0, sharing the mass
    exps = jnp.exp(shifted)
    return top, shifted, exps, jnp.maximum(jnp.sum(exps, axis=axis, keepdims=True), 1.0)


def below_top(shifted: jax.Array) -> jax.Array:
    """1 where a shifted logit (logit - row max, <= 0) is below the top, 0 at the top: min(-s 2^150, 1).

    Exact: a nonzero difference of floats is at least 2^-149. Multiplications only (XLA's CPU fusions
    stop at selects, comparisons and sign); the two factors 2^75 sit behind an optimization barrier, as
    2^150 folded into one constant would be +inf, and 0 * inf NaN.
    """
    big = opaque(2.0**75, shifted.dtype)
    # A step: its derivative is 0 (stop_gradient), not the 2^150 slope of the product, which overflows.
    return jnp.minimum((-jax.lax.stop_gradient(shifted) * big) * big, 1.0)


def _log_normalizer_terms(logits: jax.Array, axis: int, exact_top: bool) -> tuple[Any, ...]:
    """softmax_terms, `below_top` (with `exact_top`), and log(sum of exponentials).

    log(1 + r) with 1 + r rounded loses r: a confident row's top log-probability comes out 0, so its
    1 - p (the focal factor) and everything derived from it are 0 instead of r. With `exact_top`, log1p of
    the sum below the top keeps it; where the total is at least 1 + 1/16, log(total) is as exact (to 1e-6),
    and ties at the top, which the sum below leaves out, make it at least 2. The second row sum costs a
    pass over the logits on XLA's CPU (sibling reductions are not fused).
    """
    _, shifted, exps, total = softmax_terms(logits, axis)
    if not exact_top:
        return shifted, exps, total, None, jnp.log(total)
    below = below_top(shifted)
    rest = jnp.sum(exps * below, axis=axis, keepdims=True)
    return shifted, exps, total, below, jnp.where(total < 1.0625, jnp.log1p(rest), jnp.log(total))  # per row


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def log_softmax(logits: jax.Array, axis: int, floor: float = -np.inf, exact_top: bool = False) -> jax.Array:
    """`max(jax.nn.log_softmax(logits), floor)` that also takes +inf logits: they share the mass.

    Only min, max and arithmetic over the logits, no select: XLA's CPU fusions stop at selects, and a
    select would cost one extra pass over them. The derivative is given directly, `dx - sum(softmax * dx)`,
    so no min/max tie leaks into it (or into the Hessian). `floor=-max float` keeps log p finite for -inf
    logits, so that 0 * log p is 0. `exact_top=True` keeps a top log-probability near 0 exact (jax.nn's
    is 0 for a confident row) and writes the derivative so that its 1 - p is not formed by cancellation
    either, at the cost of a second row sum.
    """
    shifted, _, _, _, log_total = _log_normalizer_terms(logits, axis, exact_top)
    return jnp.maximum(shifted - log_total, floor)


@log_softmax.defjvp
def _log_softmax_jvp(
    axis: int, floor: float, exact_top: bool, primals: tuple[jax.Array], tangents: tuple[jax.Array]
) -> Any:
    (logits,), (tangent,) = primals, tangents
    shifted, exps, total, below, log_total = _log_normalizer_terms(logits, axis, exact_top)
    # The softmax as exps / total: exp(log p) would carry log p's rounding, |log p| eps, into small p.
    probs = exps / total
    # dx_j - sum_k p_k dx_k = u_j - sum_k p_k u_k with u = dx - (dx at the top), as sum_k p_k = 1.
    centred = tangent if below is None else _centred_tangent(tangent, below, axis)
    return jnp.maximum(shifted - log_total, floor), centred - jnp.sum(probs * centred, axis=axis, keepdims=True)


def _centred_tangent(tangent: jax.Array, below: jax.Array, axis: int) -> jax.Array:
    """The tangent minus its mean at the row's top logits (`below` is 0 there, 1 elsewhere): the
    derivatives of the log softmax and of the softmax are linear in it, and it is 0 at the top, so a top
    class with p near 1 gets its derivative from the small p below it instead of from 1 - p formed by
    cancellation."""
    at_top = 1.0 - below
    count = jnp.maximum(jnp.sum(at_top, axis=axis, keepdims=True), 1.0)
    return tangent - jnp.sum(at_top * tangent, axis=axis, keepdims=True) / count


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def softmax(logits: jax.Array, axis: int = -1) -> jax.Array:
    """jax.nn.softmax, with +inf logits sharing the mass and a row of -inf only giving zeros (not NaN); its
    derivative p (dx - sum p dx) keeps the precision of a saturated row (jax.nn's cancels 1 - p)."""
    _, _, exps, total = softmax_terms(logits, axis)
    return exps / total


@softmax.defjvp
def _softmax_jvp(axis: int, primals: tuple[jax.Array], tangents: tuple[jax.Array]) -> Any:
    (logits,), (tangent,) = primals, tangents
    _, shifted, exps, total = softmax_terms(logits, axis)
    probs = exps / total
    centred = _centred_tangent(tangent, below_top(shifted), axis)
    return probs, probs * (centred - jnp.sum(probs * centred, axis=axis, keepdims=True))


def opaque(value: Any, dtype: Any) -> jax.Array:
    """A scalar constant that XLA cannot fold into other constants or merge with the same one elsewhere.

    A gradient's pass that broadcasts the same constant as the value's pass gets one shared [..., K]
    array, which XLA's CPU fusions do not take: it is written to memory and read by both passes.
    """
    return jax.lax.optimization_barrier(jnp.asarray(value, dtype))


def times_nonnegative(weight: jax.Array, x: jax.Array) -> jax.Array:
    """weight * x for x in [0, +inf], with 0 * inf = 0 and every other product exact (+-inf included).

    Select-free and division-free: XLA's CPU fusions stop at selects, and a division is the
    slowest step of a crossentropy's fused pass.
    """
    # |w| big^3 is 0 at w = 0 and +inf at any other w (denormals too), so min(x, |w| big^3) changes only
    # the +inf a zero weight meets. The barrier keeps XLA from folding big^3 into one +inf constant,
    # which would make |w| big^3 NaN at w = 0.
    big = opaque(jnp.finfo(x.dtype).max, x.dtype)
    return weight * jnp.minimum(x, jnp.abs(weight) * big * big * big)
