"""CTC against exact brute-force enumeration, plus the Keras value and edge cases."""

from __future__ import annotations

import itertools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxloss
from tests.compat import x64


def brute_force_nll(logits: np.ndarray, label: list[int], blank: int) -> float:
    """-log P(label) by summing over every path of len(logits) frames."""
    x = np.asarray(logits, np.float64)
    log_probs = x - np.logaddexp.reduce(x, axis=-1, keepdims=True)
    total = -np.inf
    for path in itertools.product(range(logits.shape[1]), repeat=logits.shape[0]):
        collapsed = [c for i, c in enumerate(path) if (i == 0 or c != path[i - 1]) and c != blank]
        if collapsed == list(label):
            total = np.logaddexp(total, sum(log_probs[t, c] for t, c in enumerate(path)))
    return -total


CASES = [
    # (labels, T, C, blank, label_length, logit_length)
    ([1, 2], 4, 3, 0, None, None),
    ([1, 1], 4, 3, 0, None, None),  # a repeat must pass through a blank
    ([2, 2, 1], 6, 3, 0, None, None),
    ([0, 1], 4, 3, 2, None, None),  # blank at index 2, label 0 is a real class
    ([1, 1], 5, 3, 2, None, None),
    ([1, 2, 0], 5, 3, 0, 2, None),  # padded label
    ([1, 2], 6, 3, 0, None, 4),  # padded frames
    ([1, 1, 1], 4, 3, 0, None, None),  # needs 5 frames: infeasible
    ([2, 1], 5, 3, 0, None, 1),  # infeasible by logit_length
    ([0, 0], 4, 3, 0, 0, None),  # empty label: -log P(all blanks)
    ([1], 3, 3, 0, None, 0),  # no frames at all: infeasible
]


@pytest.mark.floor
@pytest.mark.parametrize("labels, T, C, blank, label_length, logit_length", CASES)
def test_matches_brute_force(labels, T, C, blank, label_length, logit_length):
    rng = np.random.default_rng(len(labels) * 100 + T * 10 + blank)
    logits = rng.normal(0, 1.5, (1, T, C)).astype(np.float32)
    n = len(labels) if label_length is None else label_length
    frames = T if logit_length is None else logit_length
    expected = brute_force_nll(logits[0, :frames], labels[:n], blank)
    kwargs = {"blank_index": blank}
    if label_length is not None:
        kwargs["label_length"] = np.array([label_length])
    if logit_length is not None:
        kwargs["logit_length"] = np.array([logit_length])
    got = jaxloss.ctc(np.array([labels]), logits, **kwargs)
    if np.isinf(expected):
        assert np.isinf(got[0]) and got[0] > 0
        assert float(jaxloss.ctc(np.array([labels]), logits, zero_infinity=True, **kwargs)[0]) == 0.0
    else:
        np.testing.assert_allclose(got, [expected], rtol=1e-5, atol=1e-6)


def test_keras_values():
    logits = (np.arange(24).reshape((2, 4, 3)).astype("float32") - 12) / 100
    y_true = np.array([[1, 2, 1, 0], [1, 2, 0, 2]])
    np.testing.assert_allclose(jaxloss.CTC()(y_true, logits), 2.448645, rtol=1e-6)
    # Keras reads labels by position: [1, 2, 0, 2] has 3 non-blanks, so the label is [1, 2, 0].
    np.testing.assert_allclose(jaxloss.ctc(y_true, logits), [2.4429314, 2.4543598], rtol=1e-6)


def test_infeasible_gives_inf_or_zero_with_zero_gradient():
    logits = jnp.asarray(np.random.default_rng(0).normal(size=(2, 3, 4)), jnp.float32)
    labels = jnp.array([[1, 1, 2], [1, 2, 0]])  # the first needs 4 frames
    for zero_infinity, first in ((False, np.inf), (True, 0.0)):
        value = jaxloss.ctc(labels, logits, zero_infinity=zero_infinity)
        assert float(value[0]) == first and np.isfinite(value[1])
        loss = lambda x: jaxloss.CTC(zero_infinity=zero_infinity, reduction="sum")(
            labels, x, sample_weight=jnp.array([0.0, 1.0]) if not zero_infinity else None
        )  # noqa: E731
        grad = jax.grad(loss)(logits)
        assert np.all(np.isfinite(grad)) and np.all(np.asarray(grad[0]) == 0)


@pytest.mark.parametrize("how", ["weight", "mask"])
def test_excluded_infeasible_sample_is_finite_in_every_reduction(how):
    logits = jnp.asarray(np.random.default_rng(4).normal(size=(2, 3, 4)), jnp.float32)
    labels = jnp.array([[1, 1, 2], [1, 2, 0]])  # sample 0 is infeasible (needs 4 frames)
    exclude = {"sample_weight": jnp.array([0.0, 1.0])} if how == "weight" else {"mask": jnp.array([False, True])}
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight", None):
        loss = jaxloss.CTC(reduction=reduction)
        value, grad = jax.value_and_grad(lambda x: jnp.sum(loss(labels, x, **exclude)))(logits)
        expected = jaxloss.ctc(labels[1:], logits[1:])[0]
        assert np.isfinite(float(value)) and np.all(np.isfinite(grad)) and np.all(np.asarray(grad[0]) == 0)
        if reduction in ("sum", None):
            np.testing.assert_allclose(value, expected, rtol=1e-6)


def test_never_negative():
    logits = jnp.zeros((3, 5, 4)).at[:, :, 1].set(60.0)  # near-certain alignment of [1]
    value = jaxloss.ctc(jnp.array([[1], [1], [1]]), logits)
    assert np.all(np.asarray(value) >= 0.0)


def test_half_precision_logits_compute_in_float32():
    logits = np.random.default_rng(0).normal(size=(2, 6, 5))
    labels = np.array([[1, 2], [3, 0]])
    half = jaxloss.ctc(labels, jnp.asarray(logits, jnp.bfloat16))
    assert half.dtype == jnp.float32
    np.testing.assert_allclose(
        half, jaxloss.ctc(labels, jnp.asarray(jnp.asarray(logits, jnp.bfloat16), jnp.float32)), rtol=1e-6
    )
    assert jaxloss.CTC(dtype="bfloat16")(labels, logits).dtype == jnp.bfloat16


def test_gradient_matches_finite_differences():
    logits = np.random.default_rng(1).normal(size=(2, 5, 4))
    labels = np.array([[1, 2], [3, 3]])
    with x64():
        check_grads(
            lambda x: jaxloss.ctc(labels, x, logit_length=np.array([5, 4])),
            (jnp.asarray(logits, jnp.float64),),
            order=1,
            modes=["rev"],
        )


def test_jit_vmap_and_no_retrace():
    chex.clear_trace_counter()
    logits = jnp.asarray(np.random.default_rng(2).normal(size=(3, 6, 5)), jnp.float32)
    labels = jnp.array([[1, 2, 0], [3, 3, 0], [4, 1, 2]])

    @jax.jit
    @chex.assert_max_traces(n=1)
    def step(loss, x):
        return loss(labels, x)

    a = step(jaxloss.CTC(blank_index=0), logits)
    b = step(jaxloss.CTC(blank_index=0), logits)
    np.testing.assert_allclose(a, b)
    mapped = jax.vmap(lambda t, x: jaxloss.ctc(t[None], x[None])[0])(labels, logits)
    np.testing.assert_allclose(mapped, jaxloss.ctc(labels, logits), rtol=1e-6)


def _core_inputs(seed=3):
    rng = np.random.default_rng(seed)
    T, B, S = 7, 3, 7
    emissions = jnp.asarray(jax.nn.log_softmax(rng.normal(size=(T, B, S)), axis=-1), jnp.float32)
    can_skip = jnp.asarray(rng.random((B, S)) < 0.5)
    active = jnp.arange(T)[:, None] < jnp.array([7, 5, 0])[None, :]
    final = jnp.zeros((B, S), bool).at[:, 5:].set(True)
    return emissions, can_skip, active, final


def test_forward_backward_derivative_matches_autodiff_through_the_scan():
    from jaxloss._src import ctc as ctc_lib

    emissions, can_skip, active, final = _core_inputs()
    weights = jnp.array([1.0, -2.0, 0.5])
    custom = jax.grad(lambda e: jnp.sum(weights * ctc_lib._log_likelihood(e, can_skip, active, final)))(emissions)
    plain = jax.grad(lambda e: jnp.sum(weights * ctc_lib._log_likelihood_autodiff(e, can_skip, active, final)))(
        emissions
    )
    np.testing.assert_allclose(custom, plain, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ctc_lib._log_likelihood(emissions, can_skip, active, final),
        ctc_lib._log_likelihood_autodiff(emissions, can_skip, active, final),
    )
    tangent = jnp.asarray(np.random.default_rng(9).normal(size=emissions.shape), jnp.float32)
    _, custom_jvp = jax.jvp(lambda e: ctc_lib._log_likelihood(e, can_skip, active, final), (emissions,), (tangent,))
    _, plain_jvp = jax.jvp(
        lambda e: ctc_lib._log_likelihood_autodiff(e, can_skip, active, final), (emissions,), (tangent,)
    )
    np.testing.assert_allclose(custom_jvp, plain_jvp, rtol=1e-5, atol=1e-5)


def test_forward_mode_jvp_jacfwd_and_hessian():
    logits = jnp.asarray(np.random.default_rng(6).normal(size=(2, 5, 4)), jnp.float32)
    labels = jnp.array([[1, 2], [3, 3]])
    f = lambda x: jnp.sum(jaxloss.ctc(labels, x))  # noqa: E731
    forward, reverse = jax.jacfwd(f)(logits), jax.grad(f)(logits)
    np.testing.assert_allclose(forward, reverse, rtol=1e-5, atol=1e-6)
    _, tangent_out = jax.jvp(f, (logits,), (jnp.ones_like(logits),))
    np.testing.assert_allclose(tangent_out, jnp.sum(reverse), rtol=1e-4, atol=1e-5)
    hessian = jax.hessian(f)(logits)
    np.testing.assert_allclose(hessian.reshape(40, 40), hessian.reshape(40, 40).T, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_second_derivatives_match_finite_differences():
    logits = np.random.default_rng(6).normal(size=(2, 5, 4))
    labels = jnp.array([[1, 2], [3, 3]])
    with x64():
        f = lambda x: jnp.sum(jaxloss.ctc(labels, x))  # noqa: E731
        check_grads(f, (jnp.asarray(logits, jnp.float64),), order=2, modes=["fwd", "rev"], eps=1e-5)


@pytest.mark.parametrize("bad", [np.nan, -np.inf, np.inf])
def test_non_finite_logits_in_frames_past_logit_length_are_ignored(bad):
    logits = np.random.default_rng(7).normal(size=(2, 6, 4)).astype(np.float32)
    logits[0, 4:] = bad  # sample 0 has 4 frames
    lengths = np.array([4, 6])
    loss = lambda x: jnp.sum(jaxloss.ctc(np.array([[1, 2], [2, 3]]), x, logit_length=lengths))  # noqa: E731
    value, grad = jax.value_and_grad(loss)(jnp.asarray(logits))
    clean = np.where(np.isfinite(logits), logits, 0.0)
    np.testing.assert_allclose(value, loss(jnp.asarray(clean)), rtol=1e-6)
    assert np.all(np.isfinite(grad)) and np.all(np.asarray(grad[0, 4:]) == 0.0)
    np.testing.assert_allclose(grad, jax.grad(loss)(jnp.asarray(clean)), rtol=1e-6, atol=1e-7)


def test_float32_gradient_is_close_to_float64():
    """Rescaling and double-float carries keep the float32 gradient within 5e-7 of float64 (benchmarks/ctc_precision.py)."""
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1, (4, 50, 10))
    labels = jnp.asarray(rng.integers(1, 10, (4, 10)), jnp.int32)
    grad = lambda x: jax.jit(jax.grad(lambda z: jnp.sum(jaxloss.ctc(labels, z))))(x)  # noqa: E731
    with x64():
        reference = np.asarray(grad(jnp.asarray(logits, jnp.float64)))
    single = np.asarray(grad(jnp.asarray(logits, jnp.float32)), np.float64)
    assert np.max(np.abs(single - reference)) / np.max(np.abs(reference)) < 5e-7


def test_no_label_columns_is_the_all_blank_path():
    logits = jnp.asarray(np.random.default_rng(5).normal(size=(2, 4, 3)), jnp.float32)
    expected = -jnp.sum(jax.nn.log_softmax(logits)[:, :, 0], axis=1)
    np.testing.assert_allclose(jaxloss.ctc(np.zeros((2, 0), np.int32), logits), expected, rtol=1e-6)


def test_zero_frames():
    logits = np.zeros((2, 0, 3), np.float32)
    np.testing.assert_allclose(jaxloss.ctc(np.array([[0, 0], [1, 0]]), logits), [0.0, np.inf])
