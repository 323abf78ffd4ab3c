"""No NaN anywhere: finite values and gradients at the edges, and each loss's identities."""

from __future__ import annotations

import dataclasses
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jaxloss
from tests.cases import CASES, Case

EDGE = settings(max_examples=2 * settings().max_examples)  # twice the profile's
SMOOTH = {c.id for c in CASES if c.smooth}


@functools.partial(jax.jit, static_argnames=("second_order",))
def _derivatives(loss, y_true, y_pred, extra, second_order):
    # Jitted (the loss is a static pytree): repeated shapes across examples compile once.
    f = lambda p: jnp.sum(loss(y_true, p, **extra))  # noqa: E731
    value, grad = jax.value_and_grad(f)(y_pred)
    hess = None
    if second_order:
        hess = jax.hessian(f)(y_pred)
    return value, grad, hess


def _finite_value_and_grads(loss, y_true, y_pred, *, second_order=False, **extra):
    """Value, gradient (and Hessian) are all finite."""
    y_true = None if y_true is None else jnp.asarray(y_true)  # a triplet loss has no targets
    value, grad, hess = _derivatives(loss, y_true, jnp.asarray(y_pred), extra, second_order)
    chex.assert_tree_all_finite((value, grad) if hess is None else (value, grad, hess))
    return value, grad


# ---- extreme logits -------------------------------------------------------------------------

LOGIT_LOSSES = [
    jaxloss.BinaryCrossentropy(from_logits=True),
    jaxloss.BinaryFocalCrossentropy(from_logits=True),
    jaxloss.BinaryFocalCrossentropy(from_logits=True, gamma=0.5, apply_class_balancing=True),
    jaxloss.CategoricalCrossentropy(from_logits=True),
    jaxloss.CategoricalFocalCrossentropy(from_logits=True),
    jaxloss.SparseCategoricalCrossentropy(from_logits=True),
    jaxloss.CTC(),
]


def _labels_for(loss, rng, shape):
    if isinstance(loss, jaxloss.SparseCategoricalCrossentropy):
        return rng.integers(0, shape[-1], shape[:-1]).astype(np.int32)
    if isinstance(loss, jaxloss.CTC):
        return rng.integers(1, shape[-1], (shape[0], 2)).astype(np.int32)
    if isinstance(loss, (jaxloss.CategoricalCrossentropy, jaxloss.CategoricalFocalCrossentropy)):
        return np.eye(shape[-1], dtype=np.float32)[rng.integers(0, shape[-1], shape[:-1])]
    return rng.integers(0, 2, shape).astype(np.float32)


@pytest.mark.parametrize("loss", LOGIT_LOSSES, ids=lambda l: repr(l.fn_config()))
@EDGE
@given(seed=st.integers(0, 2**31 - 1), scale=st.sampled_from([1.0, 30.0, 1e2, 1e3, 1e4]))
def test_logits_up_to_1e4_give_finite_values_and_gradients(loss, seed, scale):
    rng = np.random.default_rng(seed)
    shape = (2, 5, 3) if isinstance(loss, jaxloss.CTC) else (2, 3)
    logits = jnp.asarray(rng.uniform(-scale, scale, shape), jnp.float32)
    value, _ = _finite_value_and_grads(loss, _labels_for(loss, rng, shape), logits, second_order=True)
    assert float(value) >= 0.0


@pytest.mark.parametrize(
    "loss, y_true, logits",
    [
        (jaxloss.BinaryCrossentropy(from_logits=True), [[1.0, 0.0]], [[jnp.inf, -jnp.inf]]),
        (jaxloss.BinaryFocalCrossentropy(from_logits=True), [[1.0, 0.0]], [[jnp.inf, -jnp.inf]]),
        (jaxloss.CategoricalCrossentropy(from_logits=True), [[1.0, 0.0, 0.0]], [[jnp.inf, 2.0, -jnp.inf]]),
        (jaxloss.CategoricalFocalCrossentropy(from_logits=True), [[1.0, 0.0, 0.0]], [[jnp.inf, 2.0, -jnp.inf]]),
        (jaxloss.SparseCategoricalCrossentropy(from_logits=True), [0], [[jnp.inf, 2.0, -jnp.inf]]),
    ],
)
def test_infinite_logits_the_label_agrees_with_give_zero(loss, y_true, logits):
    value, _ = _finite_value_and_grads(loss, jnp.asarray(y_true), jnp.asarray(logits))
    assert float(value) == 0.0


@pytest.mark.parametrize(
    "fn",
    [
        jaxloss.binary_crossentropy,
        jaxloss.binary_focal_crossentropy,
        jaxloss.categorical_crossentropy,
        jaxloss.categorical_focal_crossentropy,
    ],
)
@pytest.mark.parametrize("shape", [(1,), (1, 1), (2,), (1, 2), (3, 4)])
@pytest.mark.filterwarnings("ignore:In loss categorical")  # one class: Keras's warning, on purpose here
def test_infinity_restorers_under_jit_at_every_shape(fn, shape):
    """A -inf logit: 0 under a zero label, +inf under a positive one; finite logits stay finite. Jitted,
    at tiny shapes too, where XLA's rewrites differ (it once folded the restorer into 0 * inf = NaN)."""
    loss = jax.jit(lambda t, x: fn(t, x, from_logits=True))
    logits = jnp.full(shape, 0.5).reshape(-1).at[-1].set(-jnp.inf).reshape(shape) if np.prod(shape) > 1 else None
    zeros = jnp.zeros(shape)
    chex.assert_tree_all_finite(loss(zeros, jnp.full(shape, -1.0)))
    chex.assert_tree_all_finite(jax.jit(jax.value_and_grad(lambda x: jnp.sum(loss(zeros, x))))(jnp.full(shape, -1.0)))
    if logits is not None:
        np.testing.assert_array_equal(np.isfinite(loss(zeros, logits)), True)
        labelled = jnp.zeros(np.prod(shape)).at[-1].set(1.0).reshape(shape)
        assert np.isinf(np.asarray(loss(labelled, logits))).any()


@pytest.mark.parametrize(
    "loss, y_true, logits",
    [
        (jaxloss.CategoricalCrossentropy(from_logits=True), [[1.0, 0.0, 0.0]], [[1.0, 2.0, -jnp.inf]]),
        (jaxloss.CategoricalFocalCrossentropy(from_logits=True), [[0.0, 1.0, 0.0]], [[1.0, 2.0, -jnp.inf]]),
        (jaxloss.SparseCategoricalCrossentropy(from_logits=True), [1], [[1.0, 2.0, -jnp.inf]]),
        (jaxloss.CTC(), [[1, 2]], [[[0.0, 1.0, 2.0, -jnp.inf]] * 4]),  # class 3 is never in the label
    ],
)
def test_minus_inf_on_a_class_the_label_does_not_use(loss, y_true, logits):
    value, _ = _finite_value_and_grads(loss, jnp.asarray(y_true), jnp.asarray(logits, jnp.float32))
    assert np.isfinite(float(value)) and float(value) > 0.0


# ---- probabilities exactly 0 and 1, zero vectors, huge errors ---------------------------------

PROB_LOSSES = [
    jaxloss.BinaryCrossentropy(),
    jaxloss.BinaryFocalCrossentropy(),
    jaxloss.BinaryFocalCrossentropy(gamma=0.5),
    jaxloss.CategoricalCrossentropy(),
    jaxloss.CategoricalFocalCrossentropy(),
    jaxloss.KLDivergence(),
]


@pytest.mark.parametrize("loss", PROB_LOSSES, ids=lambda l: f"{type(l).__name__}{l.fn_config()}")
@pytest.mark.parametrize("agree", [True, False])
def test_probabilities_exactly_zero_and_one(loss, agree):
    y_true = jnp.eye(3)[jnp.array([0, 2])]
    y_pred = y_true if agree else jnp.eye(3)[jnp.array([1, 0])]
    _finite_value_and_grads(loss, y_true, y_pred, second_order=True)


@pytest.mark.parametrize(
    "loss",
    [jaxloss.SparseCategoricalCrossentropy(), jaxloss.CategoricalGeneralizedCrossEntropy()],
    ids=lambda l: type(l).__name__,
)
def test_sparse_probabilities_exactly_zero_and_one(loss):
    _finite_value_and_grads(loss, jnp.array([0, 2]), jnp.eye(3)[jnp.array([0, 1])], second_order=True)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_zero_vectors(case: Case):
    y_true, y_pred, extra = case.make(np.random.default_rng(0), (3,))
    _finite_value_and_grads(case.loss, y_true, np.zeros_like(y_pred), second_order=case.id in SMOOTH, **extra)
    if y_true is not None and y_true.dtype.kind == "f":
        _finite_value_and_grads(case.loss, np.zeros_like(y_true), np.zeros_like(y_pred), **extra)


LINEAR_GROWTH = [
    jaxloss.MeanAbsoluteError(),
    jaxloss.Huber(),
    jaxloss.LogCosh(),
    jaxloss.MeanSquaredLogarithmicError(),
    jaxloss.CosineSimilarity(),
    jaxloss.Hinge(),
    jaxloss.CategoricalHinge(),
    jaxloss.Poisson(),
]
QUADRATIC = [jaxloss.MeanSquaredError(), jaxloss.SquaredHinge()]


@pytest.mark.parametrize(
    "loss", LINEAR_GROWTH + [jaxloss.MeanAbsolutePercentageError()], ids=lambda l: type(l).__name__
)
@pytest.mark.parametrize("error", [1e10, 1e20, 1e30])
def test_errors_up_to_1e30(loss, error):
    y_true = jnp.array([[1.0, -2.0, 3.0], [2.0, 1.0, -1.0]])
    y_pred = y_true + jnp.array([[error, -error, 0.5], [-error, 0.0, error]])
    if isinstance(loss, jaxloss.Poisson):
        y_true, y_pred = jnp.abs(y_true), jnp.abs(y_pred)
    _finite_value_and_grads(loss, y_true, y_pred)


@pytest.mark.parametrize("loss", QUADRATIC, ids=lambda l: type(l).__name__)
def test_quadratic_losses_overflow_only_where_the_true_value_does(loss):
    y_true = jnp.array([[1.0, -1.0]])
    _finite_value_and_grads(loss, y_true, y_true * 1e18)  # (1e18)^2 fits in float32
    grad = jax.grad(lambda p: loss(y_true, p))(y_true * 1e30)  # the value, ~1e60, is inf in float32
    chex.assert_tree_all_finite(grad)


# ---- y_true == y_pred, masked batches ---------------------------------------------------------

ZERO_AT_PERFECT = [
    jaxloss.MeanSquaredError(),
    jaxloss.MeanAbsoluteError(),
    jaxloss.MeanAbsolutePercentageError(),
    jaxloss.MeanSquaredLogarithmicError(),
    jaxloss.Huber(),
    jaxloss.LogCosh(),
    jaxloss.KLDivergence(),
]


@pytest.mark.parametrize("loss", ZERO_AT_PERFECT, ids=lambda l: type(l).__name__)
def test_zero_at_a_perfect_prediction(loss):
    y = jnp.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])
    value, _ = _finite_value_and_grads(
        loss,
        y,
        y,
        second_order=not isinstance(
            loss, (jaxloss.MeanAbsoluteError, jaxloss.MeanAbsolutePercentageError, jaxloss.Huber)
        ),
    )
    assert abs(float(value)) <= 1e-6


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_y_true_equal_to_y_pred_is_finite(case: Case):
    y_true, y_pred, extra = case.make(np.random.default_rng(1), (3,))
    if y_true is not None and y_true.shape == y_pred.shape and y_true.dtype.kind == "f":
        _finite_value_and_grads(case.loss, y_true, y_true, **extra)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@pytest.mark.parametrize(
    "reduction",
    [
        "sum_over_batch_size",
        None,
        *(pytest.param(r, marks=pytest.mark.slow) for r in ("sum", "mean_with_sample_weight")),
    ],
)
def test_all_masked_batch_gives_zero_value_and_zero_gradient(case: Case, reduction):
    y_true, y_pred, extra = case.make(np.random.default_rng(2), (3,))
    loss = dataclasses.replace(case.loss, reduction=reduction)
    value, grad = _finite_value_and_grads(loss, y_true, y_pred, mask=np.zeros(3, bool), **extra)
    assert float(value) == 0.0 and np.all(np.asarray(grad) == 0.0)


def test_all_ignored_batch_gives_zero_value_and_zero_gradient():
    loss = jaxloss.SparseCategoricalCrossentropy(ignore_class=255)
    for from_logits in (False, True):
        value, grad = _finite_value_and_grads(
            dataclasses.replace(loss, from_logits=from_logits), jnp.full((2, 3), 255), jnp.zeros((2, 3, 4))
        )
        assert float(value) == 0.0 and np.all(np.asarray(grad) == 0.0)


def test_circle_batch_with_no_positive_pairs_is_zero():
    emb = jnp.eye(3)
    value, grad = _finite_value_and_grads(jaxloss.Circle(), jnp.array([0, 1, 2]), emb)
    assert float(value) == 0.0 and np.all(np.asarray(grad) == 0.0)


# ---- identities ------------------------------------------------------------------------------

# Likelihoods without their constants (Poisson's log t!, Gaussian's log of a variance < 1) can be negative.
NON_NEGATIVE = {c.id for c in CASES if not c.id.startswith(("PoissonNLL", "GaussianNLL"))} - {
    "Poisson",
    "CosineSimilarity",
    "KLDivergence",
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@EDGE
@given(seed=st.integers(0, 2**31 - 1))
def test_non_negative_where_the_math_says_so(case: Case, seed):
    y_true, y_pred, extra = case.make(np.random.default_rng(seed), (4,))
    values = dataclasses.replace(case.loss, reduction=None)(y_true, y_pred, **extra)
    if case.id in NON_NEGATIVE:
        assert np.all(np.asarray(values) >= 0.0)
    elif isinstance(case.loss, jaxloss.KLDivergence):
        assert np.all(
            np.asarray(values) >= -16.2 * 1e-7 * y_true.shape[-1]
        )  # Keras's clip: >= -eps*log(1/eps) per class
    elif isinstance(case.loss, jaxloss.CosineSimilarity):
        assert np.all(np.abs(np.asarray(values)) <= 1.0 + 1e-6)


@EDGE
@given(seed=st.integers(0, 2**31 - 1), from_logits=st.booleans(), smoothing=st.sampled_from([0.0, 0.1]))
def test_focal_with_gamma_zero_is_bce(seed, from_logits, smoothing):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, (4, 3)).astype(np.float32)
    y_pred = (rng.normal(0, 4, (4, 3)) if from_logits else rng.uniform(0, 1, (4, 3))).astype(np.float32)
    cfg = dict(from_logits=from_logits, label_smoothing=smoothing)
    np.testing.assert_allclose(
        jaxloss.binary_focal_crossentropy(y_true, y_pred, gamma=0.0, **cfg),
        jaxloss.binary_crossentropy(y_true, y_pred, **cfg),
        rtol=1e-6,
    )


@EDGE
@given(seed=st.integers(0, 2**31 - 1))
def test_cce_from_logits_equals_cce_of_softmax_away_from_the_clip(seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, (4, 5)).astype(np.float32)
    y_true = rng.dirichlet(np.ones(5), 4).astype(np.float32)
    np.testing.assert_allclose(
        jaxloss.categorical_crossentropy(y_true, logits, from_logits=True),
        jaxloss.categorical_crossentropy(y_true, jax.nn.softmax(logits)),
        rtol=2e-5,
    )


# ---- half precision --------------------------------------------------------------------------

HALF_TOLERANCE = {jnp.bfloat16: 3e-2, jnp.float16: 4e-3}  # relative, vs float32 inputs (README)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16], ids=["bf16", "f16"])
def test_half_precision_inputs_are_finite_and_close_to_float32(case: Case, dtype):
    y_true, y_pred, extra = case.make(np.random.default_rng(3), (4,))
    half_true = y_true.astype(dtype) if y_true is not None and y_true.dtype.kind == "f" else y_true
    half = dataclasses.replace(case.loss, reduction=None)(half_true, jnp.asarray(y_pred, dtype), **extra)
    assert half.dtype == jnp.float32  # computed in float32
    reference = dataclasses.replace(case.loss, reduction=None)(y_true, y_pred, **extra)
    chex.assert_tree_all_finite(half)
    np.testing.assert_allclose(half, reference, rtol=HALF_TOLERANCE[dtype], atol=HALF_TOLERANCE[dtype])
    out = dataclasses.replace(case.loss, dtype=jnp.dtype(dtype).name)(half_true, jnp.asarray(y_pred, dtype), **extra)
    assert out.dtype == dtype and np.isfinite(float(out))


@pytest.mark.parametrize("from_logits", [True, False], ids=["logits", "probs"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_sparse_labels_outside_the_classes_give_zero_as_keras_one_hot_does(from_logits, label_smoothing):
    """A class id outside [0, K) (unchecked mode) gives 0 and a zero gradient, as Keras's all-zero one-hot
    row does, even where the class it is read at has a -inf logit (or a zero probability)."""
    labels = jnp.array([-1, 3, 1, 7, 0])
    lowest = -jnp.inf if from_logits else 0.0
    y_pred = jnp.array([[lowest, 1.0, 2.0], [0.5, 1.0, lowest], [1.0, 2.0, 0.5], [0.2, 0.3, lowest], [2.0, 1.0, 0.5]])
    if not from_logits:
        y_pred = y_pred / jnp.sum(y_pred, -1, keepdims=True)
    loss = lambda p: jaxloss.sparse_categorical_crossentropy(  # noqa: E731
        labels, p, from_logits=from_logits, label_smoothing=label_smoothing
    )
    values = jax.jit(loss)(y_pred)
    grad = jax.jit(jax.grad(lambda p: jnp.sum(loss(p))))(y_pred)
    chex.assert_tree_all_finite((values, grad))
    outside = np.array([True, True, False, True, False])
    np.testing.assert_array_equal(np.asarray(values)[outside], 0.0)
    np.testing.assert_array_equal(np.asarray(grad)[outside], 0.0)
    assert np.all(np.asarray(values)[~outside] > 0.0)
