"""A fully masked row gives exactly 0 and a zero gradient, whatever its logits: every loss that takes logits.

Masking with -inf logits is common (padded items, constrained vocabularies, padded tokens). For every case
of the table whose `y_pred` holds logits or scores, row 0 of the batch gets -inf for every logit and is
masked:

- by its labels, where the loss has labels that leave a row out: zero one-hot or binary labels (without
  smoothing), `ignore_class`, a class id outside `[0, K)`, a -inf log-target;
- otherwise by `mask=`.

The linear crossentropy's logits are `features @ kernel + bias`: there every class's bias is -inf and every
token is ignored. The checks run under `jit`, `vmap` (over a stack of two batches) and `value_and_grad`
(in `y_pred` and every float input), in float32, bfloat16 and float16.
"""

from __future__ import annotations

import dataclasses

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxloss
from tests.cases import CASES, Case

LOGIT_CASES = [c for c in CASES if c.logits]
DTYPES = [jnp.float32, jnp.bfloat16, jnp.float16]
BATCH = 4
# Losses whose all-zero labels leave a row out (with no label smoothing): every term is a label times a
# function of the logits.
ZERO_LABELS_MASK = (
    jaxloss.CategoricalCrossentropy,
    jaxloss.CategoricalFocalCrossentropy,
    jaxloss.BinaryCrossentropy,
    jaxloss.BinaryFocalCrossentropy,
    jaxloss.MultilabelSoftMargin,
    jaxloss.SparsemaxLoss,
)


def test_the_walk_covers_every_loss_the_issue_names():
    covered = {type(c.loss) for c in LOGIT_CASES}
    named = {
        jaxloss.CategoricalCrossentropy,
        jaxloss.SparseCategoricalCrossentropy,
        jaxloss.CategoricalFocalCrossentropy,
        jaxloss.Poly1Crossentropy,
        jaxloss.SparsemaxLoss,
        jaxloss.KLDivergence,
        jaxloss.NTXent,
        jaxloss.LinearSoftmaxCrossentropy,
        jaxloss.CTC,
    }
    assert named <= covered


def _masked(case: Case, y_true, y_pred, extra):
    """Inputs whose row 0 has -inf logits and is masked; returns them, the mask (or None), and whether
    the labels alone mask the row."""
    loss, config = case.loss, case.loss.fn_config()
    y_true, y_pred = np.array(y_true), np.array(y_pred)
    if isinstance(loss, jaxloss.LinearSoftmaxCrossentropy):
        return np.full_like(y_true, -1), y_pred, {**extra, "bias": np.full_like(extra["bias"], -np.inf)}, None, True
    y_pred[0] = -np.inf
    smoothing = config.get("label_smoothing", 0.0)
    class_ids = np.issubdtype(y_true.dtype, np.integer) and y_true.ndim == y_pred.ndim - 1
    if config.get("ignore_class") is not None:
        y_true[0] = config["ignore_class"]
    elif class_ids and not isinstance(loss, (jaxloss.NTXent, jaxloss.CTC)):
        y_true[0] = -1  # a class id outside [0, K) gives 0
    elif config.get("log_target"):
        y_true[0] = -np.inf  # log 0
    elif isinstance(loss, ZERO_LABELS_MASK) and smoothing == 0:
        y_true[0] = 0
    else:
        mask = np.ones(BATCH, bool)
        mask[0] = False
        return y_true, y_pred, extra, mask, False
    return y_true, y_pred, extra, None, True


def _cast(x, dtype):
    return jnp.asarray(x, dtype) if np.issubdtype(np.asarray(x).dtype, np.floating) else jnp.asarray(x)


# Half precision is `slow` here (CI runs it): the default run takes float32.
@pytest.mark.parametrize(
    "dtype",
    [DTYPES[0], *(pytest.param(d, marks=pytest.mark.slow) for d in DTYPES[1:])],
    ids=lambda d: jnp.dtype(d).name,
)
@pytest.mark.parametrize("case", LOGIT_CASES, ids=lambda c: c.id)
@pytest.mark.filterwarnings("ignore:overflow encountered in cast")  # -inf stays -inf; float16 rounding of data
def test_a_masked_row_of_minus_inf_logits_gives_zero_and_a_zero_gradient(case: Case, dtype):
    y_true, y_pred, extra, mask, by_labels = _masked(case, *case.make(np.random.default_rng(0), (BATCH,)))
    y_pred = _cast(y_pred, dtype)
    extra = {k: _cast(v, dtype) for k, v in extra.items()}
    floats = {k: v for k, v in extra.items() if jnp.issubdtype(v.dtype, jnp.floating)}
    fixed = {k: v for k, v in extra.items() if k not in floats}
    y_true = _cast(y_true, jnp.float32)
    label_is_float = jnp.issubdtype(y_true.dtype, jnp.floating)
    per_sample = dataclasses.replace(case.loss, reduction=None)

    def run(y_true, y_pred, floats):
        def total(y_true, y_pred, floats):
            return case.loss(y_true, y_pred, mask=mask, **fixed, **floats)

        argnums = (0, 1, 2) if label_is_float else (1, 2)
        value, grads = jax.value_and_grad(total, argnums=argnums)(y_true, y_pred, floats)
        return value, grads, per_sample(y_true, y_pred, mask=mask, **fixed, **floats)

    value, grads, rows = jax.jit(run)(y_true, y_pred, floats)
    chex.assert_tree_all_finite((value, grads, rows))
    # The masked row: exactly 0, and a zero gradient in its logits. (A zero label's own derivative on a -inf
    # logit is +inf, read as max float: raising the label unmasks the row. Checked finite above.)
    assert float(rows[0]) == 0.0
    np.testing.assert_array_equal(np.asarray(grads[-2][0], np.float32), 0.0)
    if mask is not None and case.independent and label_is_float:  # a masked row's labels play no part
        np.testing.assert_array_equal(np.asarray(grads[0][0], np.float32), 0.0)
    if by_labels:  # no mask needed: the function itself gives 0
        assert float(type(case.loss).fn(y_true, y_pred, **fixed, **floats, **case.loss.fn_config())[0]) == 0.0
    if case.independent and rows.ndim:  # the other rows are as without row 0
        rest = {k: (v[1:] if k in case.batched_inputs else v) for k, v in {**fixed, **floats}.items()}
        alone = per_sample(y_true[1:], y_pred[1:], **rest)
        np.testing.assert_allclose(np.asarray(rows[1:], np.float32), np.asarray(alone, np.float32), rtol=1e-6)
    # Under vmap, over a stack of two copies of the batch: the same values and gradients.
    stacked = jax.tree.map(lambda x: jnp.stack([x, x]), (y_true, y_pred, floats))
    mapped = jax.jit(jax.vmap(run))(*stacked)
    chex.assert_trees_all_close(jax.tree.map(lambda x: x[1], mapped), (value, grads, rows), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: jnp.dtype(d).name)
def test_fenchel_young_masked_row(dtype):
    """make_fenchel_young_loss: a row of -inf scores only gives -<t, s> (0 for zero labels), NaN-free."""
    fy = jaxloss.make_fenchel_young_loss(jax.nn.logsumexp)
    logits = jnp.asarray([[10.0, -jnp.inf, -jnp.inf], [-jnp.inf] * 3], dtype)
    labels = jnp.asarray([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    value, grads = jax.jit(jax.value_and_grad(lambda t, x: jnp.sum(fy(t, x)), argnums=(0, 1)))(labels, logits)
    chex.assert_tree_all_finite((value, grads))
    assert float(value) == 0.0
    np.testing.assert_array_equal(np.asarray(grads[1][1], np.float32), 0.0)
    per_example = jax.jit(jax.vmap(jax.grad(lambda t, x: fy(t, x), argnums=1)))(labels, logits)
    np.testing.assert_array_equal(np.asarray(per_example, np.float32), np.asarray(grads[1], np.float32))
    assert float(fy(jnp.asarray([[0.0, 1.0, 0.0]]), logits[:1])[0]) == np.inf  # a positive label on -inf


@pytest.mark.floor
def test_issue_examples():
    """The three calls of the report: 0 for the all -inf row, and a zero gradient on the ignored row."""
    logits = jnp.array([[10.0, -jnp.inf, -jnp.inf], [-jnp.inf, -jnp.inf, -jnp.inf]])
    labels = jnp.array([[1.0, 0, 0], [0.0, 0, 0]])
    for fn in (jaxloss.categorical_crossentropy, jaxloss.categorical_focal_crossentropy):
        np.testing.assert_array_equal(fn(labels, logits, from_logits=True), [0.0, 0.0])
    grad = jax.grad(
        lambda x: jaxloss.sparse_categorical_crossentropy(
            jnp.array([0, -1]), x, from_logits=True, ignore_class=-1
        ).sum()
    )(logits)
    np.testing.assert_array_equal(grad, 0.0)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_linear_crossentropy_equals_the_sparse_one_on_minus_inf_logits(smoothing):
    """A -inf bias (a class left out): +inf on its label, 0 on an ignored token, as the sparse crossentropy."""
    x = jnp.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [3.0, -1.0]])
    w = jnp.array([[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]])
    labels = jnp.array([0, 1, -1, 2])
    for bias in (jnp.array([0.0, -jnp.inf, 0.5]), jnp.full(3, -jnp.inf)):
        config = dict(ignore_class=-1, label_smoothing=smoothing)
        got = jaxloss.linear_softmax_crossentropy(labels, x, w, bias=bias, **config)
        want = jaxloss.sparse_categorical_crossentropy(labels, x @ w + bias, from_logits=True, **config)
        np.testing.assert_allclose(got, want, rtol=1e-6)
        assert np.isinf(np.asarray(got)).any()
        ignored = jnp.full_like(labels, -1)  # every token ignored: 0, and zero gradients in every input
        grads = jax.grad(
            lambda x, w, b: jnp.sum(jaxloss.linear_softmax_crossentropy(ignored, x, w, bias=b, **config)),
            argnums=(0, 1, 2),
        )(x, w, bias)
        for g in grads:
            np.testing.assert_array_equal(g, 0.0)
