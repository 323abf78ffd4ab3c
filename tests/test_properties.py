"""Properties every loss must have, checked with hypothesis over the case table."""

from __future__ import annotations

import dataclasses

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cases import CASES, Case

PROPERTY = settings()  # the profile's: 3 examples by default, 100 with --hypothesis-profile=long
seeds = st.integers(0, 2**31 - 1)
batches = st.sampled_from([2, 5])
case_params = pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)


def _close(a, b, rtol=2e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def _with(case: Case, **changes):
    return dataclasses.replace(case.loss, **changes)


@pytest.mark.floor
@case_params
@PROPERTY
@given(seed=seeds, batch=batches)
def test_jit_equals_eager(case: Case, seed: int, batch: int):
    y_true, y_pred, extra = case.make(np.random.default_rng(seed), (batch,))
    weights = np.random.default_rng(seed).uniform(0, 2, (batch,)).astype(np.float32)
    eager = case.loss(y_true, y_pred, weights, **extra)
    jitted = jax.jit(lambda t, p, w: case.loss(t, p, w, **extra))(y_true, y_pred, weights)
    _close(eager, jitted)


independent_cases = pytest.mark.parametrize("case", [c for c in CASES if c.independent], ids=lambda c: c.id)


def _rows(x, index):
    return None if x is None else x[index]


@independent_cases
@PROPERTY
@given(seed=seeds, batch=batches)
def test_vmap_over_samples_equals_batched_call(case: Case, seed: int, batch: int):
    y_true, y_pred, extra = case.make(np.random.default_rng(seed), (batch,))
    per_sample = _with(case, reduction=None)
    batched = per_sample(y_true, y_pred, **extra)
    shared = {k: v for k, v in extra.items() if k not in case.batched_inputs}
    rows = {k: extra[k] for k in case.batched_inputs}
    mapped = jax.vmap(
        lambda t, p, r: per_sample(_rows(t, None), p[None], **shared, **{k: v[None] for k, v in r.items()})[0]
    )(y_true, y_pred, rows)
    assert batched.shape == (batch,)
    _close(batched, mapped)


@case_params
@PROPERTY
@given(seed=seeds, batch=batches)
def test_sum_of_unreduced_equals_sum_reduction(case: Case, seed: int, batch: int):
    y_true, y_pred, extra = case.make(np.random.default_rng(seed), (batch,))
    weights = np.random.default_rng(seed + 1).uniform(0, 2, (batch,)).astype(np.float32)
    unreduced = _with(case, reduction=None)(y_true, y_pred, weights, **extra)
    summed = _with(case, reduction="sum")(y_true, y_pred, weights, **extra)
    _close(jnp.sum(unreduced), summed, rtol=1e-5)


@independent_cases
@PROPERTY
@given(seed=seeds, batch=batches, data=st.data())
def test_mask_equals_slicing(case: Case, seed: int, batch: int, data):
    y_true, y_pred, extra = case.make(np.random.default_rng(seed), (batch,))
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=batch, max_size=batch).filter(any)))
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight"):
        loss = _with(case, reduction=reduction)
        kept = {k: v[keep] if k in case.batched_inputs else v for k, v in extra.items()}
        _close(loss(y_true, y_pred, mask=keep, **extra), loss(_rows(y_true, keep), y_pred[keep], **kept), rtol=1e-5)


@pytest.mark.parametrize("case", [c for c in CASES if c.leading_dims], ids=lambda c: c.id)
@PROPERTY
@given(seed=seeds)
def test_arbitrary_leading_batch_dims(case: Case, seed: int):
    y_true, y_pred, extra = case.make(np.random.default_rng(seed), (2, 3))
    per_sample = _with(case, reduction=None)(y_true, y_pred, **extra)
    assert per_sample.shape == (2, 3)
    flat_true = None if y_true is None else y_true.reshape((6,) + y_true.shape[2:])
    flat_pred = y_pred.reshape((6,) + y_pred.shape[2:])
    flat = {k: v.reshape((6,) + v.shape[2:]) if k in case.batched_inputs else v for k, v in extra.items()}
    _close(per_sample.reshape(6), _with(case, reduction=None)(flat_true, flat_pred, **flat))
    _close(case.loss(y_true, y_pred, **extra), case.loss(flat_true, flat_pred, **flat), rtol=1e-5)


@case_params
@PROPERTY
@given(seed=seeds, batch=batches)
def test_gradients_are_finite(case: Case, seed: int, batch: int):
    y_true, y_pred, extra = case.make(np.random.default_rng(seed), (batch,))
    weights = np.ones((batch,), np.float32)
    grad_pred, grad_weight = jax.grad(lambda p, w: case.loss(y_true, p, w, **extra), argnums=(0, 1))(y_pred, weights)
    chex.assert_tree_all_finite((grad_pred, grad_weight))
    assert grad_pred.shape == y_pred.shape


@case_params
def test_equal_configs_trace_once(case: Case):
    chex.clear_trace_counter()
    y_true, y_pred, extra = case.make(np.random.default_rng(0), (3,))

    @jax.jit
    @chex.assert_max_traces(n=1)
    def step(loss, t, p):
        return loss(t, p, **extra)

    first = step(case.loss, y_true, y_pred)
    twin = dataclasses.replace(case.loss)  # equal but a distinct object
    assert twin is not case.loss and twin == case.loss and hash(twin) == hash(case.loss)
    _close(step(twin, y_true, y_pred), first)


@case_params
def test_loss_is_a_leafless_static_pytree(case: Case):
    assert jax.tree_util.tree_leaves(case.loss) == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        case.loss.reduction = "sum"  # type: ignore[misc]
