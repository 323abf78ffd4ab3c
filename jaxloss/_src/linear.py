"""Losses fused with the final linear layer: large-vocabulary crossentropy without the logits.

`logits = features @ kernel + bias` over a vocabulary of 32k-256k classes is
the largest array of a language model's training step, and so is its
gradient. `linear_softmax_crossentropy` never forms it: it walks the
(tokens x classes) logits block by block, keeping an online logsumexp in the
forward pass, and in the backward pass recomputes each block's logits to
accumulate the gradients of `features`, `kernel` and `bias` (Cut
Cross-Entropy, Wijmans et al., 2024). Peak memory is a few blocks, not the
logits.

Blocks cover the tokens and the classes. A last, partial block is not
padded (padding would copy the kernel): it is moved back to end at the last
row or column, and the entries it shares with the block before are masked.
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import PartitionSpec as P
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._checks import (
    BlockSize,
    Fraction,
    NonNegativeFloat,
    OptionalClassId,
    OptionalPositiveFloat,
    validates_config,
)
from jaxloss._src._labels import sparse_labels
from jaxloss._src._numerics import as_floating, compute_dtype, times
from jaxloss._src._sharding import explicit_axes, sharding_of
from jaxloss._src._value_checks import class_ids
from jaxloss._src.classes import Loss
from jaxloss._src.reduce import LossWithMask, returns_mask

__all__ = ["linear_softmax_crossentropy", "LinearSoftmaxCrossentropy"]

# Automatic blocks: up to this many tokens, and about this many logits per block (16 MB in float32).
_TOKEN_BLOCK = 1024
_BLOCK_LOGITS = 2**22
_MIN_CLASS_BLOCK = 128


class _Blocks(NamedTuple):
    tokens: int
    classes: int


def _blocks(block_size: Any, num_tokens: int, num_classes: int) -> _Blocks:
    """The (token, class) block sizes, at most the array sizes."""
    if block_size is None:
        tokens = min(num_tokens, _TOKEN_BLOCK)
        classes = max(_MIN_CLASS_BLOCK, _BLOCK_LOGITS // tokens)
    elif isinstance(block_size, (tuple, list)):
        tokens, classes = (int(b) for b in block_size)
    else:
        tokens, classes = min(num_tokens, _TOKEN_BLOCK), int(block_size)
    return _Blocks(min(tokens, num_tokens), min(classes, num_classes))


def _block(index: jax.Array, size: int, total: int) -> tuple[jax.Array, jax.Array]:
    """Where block `index` starts, and which of its entries it owns (the last one overlaps its neighbour)."""
    start = jnp.minimum(index * size, total - size)
    return start, start + jnp.arange(size) >= index * size


def _logits(x: jax.Array, w: jax.Array, b: jax.Array | None, cap: jax.Array | None, acc: Any) -> tuple[Any, ...]:
    """A block's capped logits, and the raw logits and tanh the cap's derivatives need."""
    raw = jnp.dot(x, w, preferred_element_type=acc)  # bf16 inputs, float32 accumulation
    if b is not None:
        raw = raw + b.astype(acc)
    big = jnp.finfo(acc).max
    if cap is None:
        # A +inf logit (an overflowed product) is read as max float, so no inf - inf reaches the softmax; a
        # -inf one (a -inf bias masking a class) stays -inf: +inf on its label, as the sparse crossentropy.
        raw = jnp.minimum(raw, big)
        return raw, raw, None
    raw = jnp.clip(raw, -big, big)  # finite, so the cap's derivative r (1 - tanh^2) / c is 0, not inf * 0
    tanh = jnp.tanh(raw / cap)
    return cap * tanh, raw, tanh


def _slice(x: jax.Array | None, start: jax.Array, size: int, axis: int) -> Any:
    return None if x is None else lax.dynamic_slice_in_dim(x, start, size, axis)


def _add_at(total: jax.Array, part: jax.Array, start: jax.Array, axis: int) -> jax.Array:
    """total[start:start + size] += part along `axis`, in place inside a loop."""
    current = lax.dynamic_slice_in_dim(total, start, part.shape[axis], axis)
    return lax.dynamic_update_slice_in_dim(total, current + part, start, axis)


class _Layout(NamedTuple):
    """The mesh axes that split the tokens and the classes (an explicit mesh), or none."""

    mesh: Any = None
    tokens: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()


def _local_statistics(
    block_size: Any,
    layout: _Layout,
    num_classes: int,
    labels: jax.Array,
    x: jax.Array,
    kernel: jax.Array,
    bias: Any,
    cap: Any,
) -> jax.Array:
    """Per token: the max logit and the sum of exp(logit - max) (the logsumexp's two parts, kept apart for
    the backward pass's softmax), the label's logit and the mean logit; [4, N], one pass.

    On a mesh, `kernel` holds this device's classes: the statistics are combined over `layout.classes`.
    """
    (n, _), v = x.shape, kernel.shape[1]
    blocks = _blocks(block_size, n, v)
    acc = compute_dtype(jnp.result_type(x, kernel))
    offset = lax.axis_index(layout.classes) * v if layout.classes else 0  # this shard's first class

    def token_block(out: jax.Array, i: jax.Array) -> tuple[jax.Array, None]:
        start, _ = _block(i, blocks.tokens, n)
        xb, yb = _slice(x, start, blocks.tokens, 0), _slice(labels, start, blocks.tokens, 0)

        def class_block(carry: Any, j: jax.Array) -> tuple[Any, None]:
            top, total, picked, logit_sum = carry
            col, owned = _block(j, blocks.classes, v)
            z = _logits(xb, _slice(kernel, col, blocks.classes, 1), _slice(bias, col, blocks.classes, 0), cap, acc)[0]
            z_owned = jnp.where(owned, z, -jnp.inf)
            new_top = jnp.maximum(top, jnp.max(z_owned, axis=1))
            # Online logsumexp: rescale the running sum to the new max (exp(-inf) = 0 on the first block).
            total = total * jnp.exp(top - new_top) + jnp.sum(jnp.exp(z_owned - new_top[:, None]), axis=1)
            is_label = owned & (offset + col + jnp.arange(blocks.classes) == yb[:, None])
            picked = picked + jnp.sum(jnp.where(is_label, z, 0.0), axis=1)
            # The mean logit as a sum of z / V: no overflow even if every logit is max float.
            logit_sum = logit_sum + jnp.sum(jnp.where(owned, z, 0.0) / num_classes, axis=1)
            return (new_top, total, picked, logit_sum), None

        zeros = _zeros_like_logits(xb[:, 0], kernel[0, 0], acc)
        # The running max starts at -max float, not -inf: a row of -inf logits only (masked) then has a
        # finite max and a sum of exponentials of 0 (floored at 1 below), so no -inf - -inf = NaN.
        init = (zeros - jnp.finfo(acc).max, zeros, zeros, zeros)
        (top, total, picked, logit_sum), _ = lax.scan(class_block, init, jnp.arange(-(-v // blocks.classes)))
        if layout.classes:  # the same online step across the class shards
            global_top = lax.pmax(top, layout.classes)
            total = lax.psum(total * jnp.exp(top - global_top), layout.classes)
            top, (picked, logit_sum) = global_top, lax.psum((picked, logit_sum), layout.classes)
        # The sum is at least 1 (the max's own term) unless every logit is -inf: then lse = -max float.
        stats = jnp.stack([top, jnp.maximum(total, 1.0), picked, logit_sum])
        # Rows shared with the previous block are written again with the same values.
        return lax.dynamic_update_slice_in_dim(out, stats, start, axis=1), None

    zeros = jnp.zeros_like(labels, acc)  # laid out as the tokens
    out, _ = lax.scan(token_block, jnp.stack([zeros] * 4), jnp.arange(-(-n // blocks.tokens)))
    return out


def _local_gradients(
    block_size: Any, layout: _Layout, num_classes: int, residuals: Any, g: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """The gradients of features, kernel, bias and cap, from recomputed logits (this device's share on a mesh)."""
    labels, x, kernel, bias, smoothing, z_loss, cap, (top, total) = residuals
    n, v = x.shape[0], kernel.shape[1]
    blocks = _blocks(block_size, n, v)
    acc = top.dtype
    offset = lax.axis_index(layout.classes) * v if layout.classes else 0
    # d loss / d z_k = (1 + 2 z lse) p_k - (1 - s) [k = y] - s / V, with p_k = exp(z_k - max) / sum: as a
    # softmax is computed (exp(z - lse) carries lse's rounding, |lse| eps, into every p_k).
    softmax_scale = (1.0 + 2.0 * z_loss * _lse(top, total)) / total

    def token_block(carry: Any, i: jax.Array) -> tuple[Any, None]:
        d_x, d_kernel, d_bias, d_cap = carry
        start, owned_rows = _block(i, blocks.tokens, n)
        xb, yb = _slice(x, start, blocks.tokens, 0), _slice(labels, start, blocks.tokens, 0)
        gb = jnp.where(owned_rows, _slice(g, start, blocks.tokens, 0), 0.0)  # shared rows count once
        top_b, scale_b = _slice(top, start, blocks.tokens, 0), _slice(softmax_scale, start, blocks.tokens, 0)

        def class_block(carry: Any, j: jax.Array) -> tuple[Any, None]:
            d_xb, d_kernel, d_bias, d_cap = carry
            col, owned = _block(j, blocks.classes, v)
            wb, bb = _slice(kernel, col, blocks.classes, 1), _slice(bias, col, blocks.classes, 0)
            z, raw, tanh = _logits(xb, wb, bb, cap, acc)
            is_label = offset + col + jnp.arange(blocks.classes) == yb[:, None]
            d_z = scale_b[:, None] * jnp.exp(z - top_b[:, None]) - (1.0 - smoothing) * is_label
            d_z = jnp.where(owned, gb[:, None] * (d_z - smoothing / num_classes), 0.0)  # shared columns count once
            if cap is not None:
                # z = c tanh(r / c): dz/dr = 1 - tanh^2, dz/dc = tanh - (r / c)(1 - tanh^2).
                slope = 1.0 - jnp.square(tanh)
                d_cap = d_cap + jnp.sum(d_z * (tanh - raw * (slope / cap)))  # slope = 0 where r / c would overflow
                d_z = d_z * slope
            d_xb = d_xb + jnp.dot(d_z, wb.T, preferred_element_type=acc)
            d_kernel = _add_at(d_kernel, jnp.dot(xb.T, d_z, preferred_element_type=acc), col, 1)
            if bias is not None:
                d_bias = _add_at(d_bias, jnp.sum(d_z, axis=0), col, 0)
            return (d_xb, d_kernel, d_bias, d_cap), None

        init = (_zeros_like_logits(xb, kernel[0, 0], acc), d_kernel, d_bias, d_cap)
        (d_xb, d_kernel, d_bias, d_cap), _ = lax.scan(class_block, init, jnp.arange(-(-v // blocks.classes)))
        return (_add_at(d_x, d_xb, start, 0), d_kernel, d_bias, d_cap), None

    d_bias = jnp.zeros((), acc) if bias is None else _zeros_like_logits(bias, x[0, 0], acc)  # no bias: a placeholder
    init = (_zeros_like_logits(x, kernel[0, 0], acc), _zeros_like_logits(kernel, x[0, 0], acc), d_bias)
    init += (_zeros_like_logits(x[0, 0], kernel[0, 0], acc),)
    (d_x, d_kernel, d_bias, d_cap), _ = lax.scan(token_block, init, jnp.arange(-(-n // blocks.tokens)))
    if layout.classes:  # every class shard adds to each token's gradient
        d_x = lax.psum(d_x, layout.classes)
    if layout.tokens:  # and every token shard to the kernel's
        d_kernel, d_bias = lax.psum((d_kernel, d_bias), layout.tokens)
    if layout.tokens + layout.classes:
        d_cap = lax.psum(d_cap, layout.tokens + layout.classes)
    return d_x, d_kernel, d_bias, d_cap


def _zeros_like_logits(shape_of: jax.Array, other: jax.Array, dtype: Any) -> jax.Array:
    """Zeros shaped as `shape_of`, laid out as values computed from it and `other` are.

    A loop's carry must keep one type: built from the inputs, the zeros carry their sharding (under
    `vmap` on an explicit mesh) and vary over the mesh axes of both (under `shard_map`), as the logits do.
    """
    return jnp.zeros_like(shape_of, dtype) + jnp.zeros_like(other, dtype)


def _on_mesh(layout: _Layout, fn: Any, args: tuple[Any, ...], in_specs: tuple[Any, ...], out_specs: Any) -> Any:
    """`fn(*args)`, per device under `shard_map` on an explicit mesh; None arguments stay None."""
    if layout.mesh is None:
        return fn(*args)
    present = [i for i, a in enumerate(args) if a is not None]

    def local(*values: Any) -> Any:
        full = list(args)
        for i, value in zip(present, values, strict=True):
            full[i] = value
        return fn(*full)

    specs = tuple(in_specs[i] for i in present)
    manual = frozenset(layout.tokens + layout.classes)  # other mesh axes (a vmapped batch's) stay as they are
    mapped = jax.shard_map(local, mesh=layout.mesh, in_specs=specs, out_specs=out_specs, axis_names=manual)
    return mapped(*(args[i] for i in present))


def _specs(layout: _Layout) -> tuple[P, P, P, P]:
    """Partition specs of the labels/tokens, features, kernel and bias."""
    tokens, classes = layout.tokens or None, layout.classes or None
    return P(tokens), P(tokens, None), P(None, classes), P(classes)


def _statistics(block_size: Any, layout: _Layout, labels: Any, x: Any, kernel: Any, bias: Any, cap: Any) -> jax.Array:
    label_spec, x_spec, kernel_spec, bias_spec = _specs(layout)
    local = functools.partial(_local_statistics, block_size, layout, kernel.shape[1])
    specs = (label_spec, x_spec, kernel_spec, bias_spec, P())
    return _on_mesh(layout, local, (labels, x, kernel, bias, cap), specs, P(None, layout.tokens or None))


def _lse(top: jax.Array, total: jax.Array) -> jax.Array:
    return top + jnp.log(total)


def _token_loss(stats: jax.Array, smoothing: jax.Array, z_loss: jax.Array) -> jax.Array:
    top, total, picked, mean = stats
    lse = _lse(top, total)
    # -(1 - s) log p_y - s mean_k log p_k + z lse^2, with log p = z - lse and sum_k t_k = 1; times(): a zero
    # coefficient on an infinite term (a -inf logit, no smoothing or no z-loss) gives 0.
    return lse - times(1.0 - smoothing, picked) - times(smoothing, mean) + times(z_loss, jnp.square(lse))


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1))
def _linear_crossentropy(
    block_size: Any, layout: _Layout, labels: jax.Array, x: jax.Array, kernel: jax.Array, bias: Any, *options: Any
) -> jax.Array:
    smoothing, z_loss, cap = options
    return _token_loss(_statistics(block_size, layout, labels, x, kernel, bias, cap), smoothing, z_loss)


def _linear_crossentropy_fwd(
    block_size: Any, layout: _Layout, labels: jax.Array, x: jax.Array, kernel: jax.Array, bias: Any, *options: Any
) -> tuple[jax.Array, Any]:
    smoothing, z_loss, cap = options
    stats = _statistics(block_size, layout, labels, x, kernel, bias, cap)
    # Residuals are the inputs and four numbers per token: the backward pass recomputes the logits.
    return _token_loss(stats, smoothing, z_loss), (labels, x, kernel, bias, smoothing, z_loss, cap, stats)


def _linear_crossentropy_bwd(block_size: Any, layout: _Layout, residuals: Any, g: jax.Array) -> tuple[Any, ...]:
    labels, x, kernel, bias, smoothing, z_loss, cap, stats = residuals
    top, total, picked, mean = stats
    lse = _lse(top, total)
    g = g.astype(stats.dtype)
    label_spec, x_spec, kernel_spec, bias_spec = _specs(layout)
    local = functools.partial(_local_gradients, block_size, layout, kernel.shape[1])
    args = ((labels, x, kernel, bias, smoothing, z_loss, cap, (top, total)), g)
    in_specs = ((label_spec, x_spec, kernel_spec, bias_spec, P(), P(), P(), (label_spec, label_spec)), label_spec)
    out_specs = (x_spec, kernel_spec, P() if bias is None else bias_spec, P())
    d_x, d_kernel, d_bias, d_cap = _on_mesh(layout, local, args, in_specs, out_specs)
    return (
        np.zeros(labels.shape, jax.dtypes.float0),
        d_x.astype(x.dtype),
        d_kernel.astype(kernel.dtype),
        None if bias is None else d_bias.astype(bias.dtype),
        # d loss / d s = z_y - mean_k z_k and d loss / d z = lse^2; an ignored token (g = 0) adds 0, even at inf.
        jnp.sum(times(g, picked - mean)).astype(smoothing.dtype),
        jnp.sum(times(g, jnp.square(lse))).astype(z_loss.dtype),
        None if cap is None else d_cap.astype(cap.dtype),
    )


_linear_crossentropy.defvjp(_linear_crossentropy_fwd, _linear_crossentropy_bwd)


def _mesh_axes(entry: Any) -> tuple[str, ...]:
    return () if entry is None else (entry,) if isinstance(entry, str) else tuple(entry)


def _layout(labels: jax.Array, x: jax.Array, kernel: jax.Array, bias: Any) -> tuple[_Layout, tuple[Any, ...]]:
    """The tokens' and classes' mesh axes on an explicit mesh, and the inputs laid out along them only.

    Tokens stay split as `features` is (data parallel) and classes as `kernel` is (tensor parallel);
    any other split (the hidden axis, or a class axis that also splits the tokens) is gathered.
    """
    x_sharding, kernel_sharding = sharding_of(x), sharding_of(kernel)
    mesh = getattr(x_sharding, "mesh", None) or getattr(kernel_sharding, "mesh", None)
    explicit = explicit_axes(mesh)
    if not explicit:  # one device, or a mesh the compiler partitions by itself
        return _Layout(), (labels, x, kernel, bias)
    x_spec = tuple(getattr(x_sharding, "spec", ())) or (None,)
    kernel_spec = tuple(getattr(kernel_sharding, "spec", ())) + (None, None)
    tokens = tuple(a for a in _mesh_axes(x_spec[0]) if a in explicit)
    classes = tuple(a for a in _mesh_axes(kernel_spec[1]) if a in explicit and a not in tokens)
    layout = _Layout(mesh, tokens, classes) if tokens or classes else _Layout()  # nothing split: one device's work
    specs = _specs(layout)
    placed = tuple(_placed(a, spec) for a, spec in zip((labels, x, kernel, bias), specs, strict=True))
    return layout, placed


def _placed(x: Any, spec: P) -> Any:
    """`x` resharded to `spec`, or as it is when it is laid out so already (no reshard under `vmap`)."""
    if x is None:
        return None
    current = tuple(sharding_of(x).spec) + (None,) * x.ndim
    return x if current[: x.ndim] == (tuple(spec) + (None,) * x.ndim)[: x.ndim] else jax.sharding.reshard(x, spec)


def _inputs(y_true: ArrayLike, features: ArrayLike, kernel: ArrayLike, bias: ArrayLike | None) -> tuple[Any, ...]:
    """Checked arrays: labels `[...]`, features `[..., H]`, kernel `[H, V]`, bias `[V]` or None."""
    features, kernel = as_floating("features", features), as_floating("kernel", kernel)
    _checks.check_min_rank("features", features, 1, "(it needs a feature axis)")
    _checks.check_rank("kernel", kernel, 2, "(hidden size, number of classes)")
    if kernel.shape[0] != features.shape[-1] or kernel.shape[1] == 0:
        raise ValueError(
            "`kernel` must have shape (H, V) with H = features.shape[-1] and V >= 1. Received: "
            f"kernel.shape={tuple(kernel.shape)}, features.shape={tuple(features.shape)}"
        )
    if bias is not None:
        bias = as_floating("bias", bias)
        if bias.shape != kernel.shape[1:]:
            raise ValueError(
                f"`bias` must have shape (V,) = {kernel.shape[1:]}. Received: bias.shape={tuple(bias.shape)}"
            )
    return sparse_labels(y_true, features, "features"), features, kernel, bias


@returns_mask
@validates_config
def linear_softmax_crossentropy(
    y_true: ArrayLike,
    features: ArrayLike,
    kernel: ArrayLike,
    *,
    bias: ArrayLike | None = None,
    ignore_class: OptionalClassId = None,
    label_smoothing: Fraction = 0.0,
    z_loss: NonNegativeFloat = 0.0,
    logit_soft_cap: OptionalPositiveFloat = None,
    block_size: BlockSize = None,
) -> LossWithMask:
    """Sparse softmax crossentropy of `features @ kernel + bias`, without forming the logits.

    .. math::
        z = c \\tanh\\big((x W + b) / c\\big), \\quad
        \\ell = \\mathrm{lse}(z) - (1 - s)\\, z_{y} - \\frac{s}{V} \\sum_k z_k + \\lambda\\, \\mathrm{lse}(z)^2

    Equal to `sparse_categorical_crossentropy(y_true, features @ kernel + bias,
    from_logits=True, ignore_class=..., label_smoothing=...)` plus PaLM's
    z-loss `lambda * logsumexp(z)**2` and Gemma 2's logit soft-cap `c`, but
    the (tokens x V) logits are never held: blocks of tokens x classes are
    computed with an online logsumexp, and recomputed in the backward pass
    (a `custom_vjp`), which accumulates the gradients of `features`,
    `kernel`, `bias` and the float options. Products of bf16 inputs are
    accumulated in float32, and so are the sums. Labels equal to
    `ignore_class` give 0 and exactly zero gradients, and `reduce` and the
    class leave them out of the mean's denominator. A label outside `[0, V)`
    gives 0, as in the sparse crossentropy (`jaxloss.checked` reports it).

    Forward-mode differentiation (`jax.jvp`, `jax.jacfwd`) is not available:
    its linearization would store every block.

    Args:
        y_true: integer class ids, shape `[...]` (or `[..., 1]`).
        features: the last hidden layer, shape `[..., H]`.
        kernel: the output projection, shape `[H, V]`.
        bias: an optional output bias, shape `[V]` (an input).
        ignore_class: a label value to ignore (e.g. -100 or -1), or None.
        label_smoothing: `s` in [0, 1], as the sparse crossentropy's option.
        z_loss: `lambda` >= 0 (PaLM used 1e-4).
        logit_soft_cap: `c` > 0 (Gemma 2 used 30), or None for no cap.
        block_size: None to choose from the shapes, an int for the class
            block (up to 1024 tokens a block), or a pair `(tokens, classes)`.

    Returns:
        shape `[...]`, in float32 (float64 for float64 inputs).

    Example:
        >>> import jax.numpy as jnp
        >>> import jaxloss
        >>> features = jnp.array([[1.0, 0.0], [0.0, 2.0]])
        >>> kernel = jnp.array([[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]])
        >>> print(jaxloss.linear_softmax_crossentropy([0, 2], features, kernel=kernel))
        [0.4076 0.7586]
        >>> print(jaxloss.linear_softmax_crossentropy([0, -1], features, kernel=kernel, ignore_class=-1))
        [0.4076 0.    ]
    """
    labels, features, kernel, bias = _inputs(y_true, features, kernel, bias)
    batch_shape, (h, v) = labels.shape, kernel.shape
    valid = None if ignore_class is None else labels != ignore_class
    keep = (labels >= 0) & (labels < v) if valid is None else (labels >= 0) & (labels < v) & valid
    n = math.prod(batch_shape)
    acc = compute_dtype(jnp.result_type(features, kernel))
    if n == 0:
        return LossWithMask(jnp.zeros(batch_shape, acc), valid)
    options = (
        jnp.asarray(label_smoothing, acc),
        jnp.asarray(z_loss, acc),
        None if logit_soft_cap is None else jnp.asarray(logit_soft_cap, acc),
    )
    flat_labels = jnp.where(keep, labels, 0).reshape(n)  # dropped tokens read class 0, then give 0
    layout, inputs = _layout(flat_labels, features.reshape(n, h), kernel, bias)
    loss = _linear_crossentropy(block_size, layout, *inputs, *options).reshape(batch_shape)
    return LossWithMask(jnp.where(keep, loss, 0.0), valid)


def _labels_in_vocabulary(cfg: dict[str, Any], y_true: Any, y_pred: Any, *, kernel: Any = None, **_: Any) -> None:
    if kernel is not None:
        class_ids("y_true", y_true, jnp.shape(kernel)[-1], cfg.get("ignore_class"))


class LinearSoftmaxCrossentropy(
    Loss,
    fn=linear_softmax_crossentropy,
    name="linear_softmax_crossentropy",
    value_check=_labels_in_vocabulary,
    in_keras=False,
):
    """Call it as `loss(y_true, features, sample_weight=None, kernel=..., bias=None)`:

    >>> import jax.numpy as jnp
    >>> import jaxloss
    >>> loss = jaxloss.LinearSoftmaxCrossentropy(ignore_class=-1)
    >>> features = jnp.array([[1.0, 0.0], [0.0, 2.0]])
    >>> kernel = jnp.array([[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]])
    >>> print(loss([0, -1], features, kernel=kernel))
    0.4076
    """

    ignore_class: OptionalClassId = None
    label_smoothing: Fraction = 0.0
    z_loss: NonNegativeFloat = 0.0
    logit_soft_cap: OptionalPositiveFloat = None
    block_size: BlockSize = None
