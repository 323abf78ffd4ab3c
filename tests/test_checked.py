"""`jaxloss.checked`: value errors reported at run time, under jit."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import checkify

import jaxloss

PROBS = jnp.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])


def _run(loss, *args, **kwargs):
    error, value = jax.jit(jaxloss.checked(loss))(*args, **kwargs)
    return error.get(), value


@pytest.mark.parametrize(
    "loss, args, kwargs, message",
    [
        (
            jaxloss.SparseCategoricalCrossentropy(),
            (jnp.array([0, 3]), PROBS),
            {},
            r"`y_true` has a class id outside \[0, 3\): 3",
        ),
        (
            jaxloss.SparseCategoricalCrossentropy(ignore_class=-1),
            (jnp.array([0, -2]), PROBS),
            {},
            r"outside \[0, 3\) or ignore_class=-1: -2",
        ),
        (jaxloss.CategoricalGeneralizedCrossEntropy(), (jnp.array([5, 0]), PROBS), {}, "class id outside"),
        (
            jaxloss.BinaryCrossentropy(),
            (jnp.array([[1.0, 0.0]]), jnp.array([[1.3, 0.2]])),
            {},
            r"`y_pred` must be in \[0.0, 1.0\] \(probabilities, since from_logits=False\); found 1.29",
        ),
        (jaxloss.CategoricalCrossentropy(), (jnp.eye(3)[:2], -PROBS), {}, "`y_pred` must be in"),
        (jaxloss.BinaryFocalCrossentropy(), (jnp.array([[2.0]]), jnp.array([[0.5]])), {}, "`y_true` must be in"),
        (
            jaxloss.Poisson(),
            (jnp.array([[-1.0, 2.0]]), jnp.array([[1.0, 2.0]])),
            {},
            "`y_true` must be >= 0.0 \\(Poisson counts\\); found -1.0",
        ),
        (
            jaxloss.MeanSquaredError(),
            (jnp.array([[1.0]]), jnp.array([[jnp.nan]])),
            {},
            "`y_pred` has a non-finite value",
        ),
        (
            jaxloss.MeanSquaredError(),
            (jnp.array([[1.0]]), jnp.array([[1.0]]), jnp.array([jnp.inf])),
            {},
            "`sample_weight` has a non-finite value",
        ),
        (
            jaxloss.CTC(),
            (jnp.array([[1, 2]]), jnp.zeros((1, 5, 3))),
            {"logit_length": jnp.array([7])},
            r"`logit_length` must be in \[0, 5\]",
        ),
        (
            jaxloss.CTC(),
            (jnp.array([[1, 2]]), jnp.zeros((1, 5, 3))),
            {"label_length": jnp.array([3])},
            r"`label_length` must be in \[0, 2\]",
        ),
        (jaxloss.CTC(), (jnp.array([[1, 4]]), jnp.zeros((1, 5, 3))), {}, r"class id outside \[0, 3\): 4"),
        (jaxloss.Circle(), (jnp.array([0, 1]), jnp.array([[2.0, 0.0], [0.0, 1.0]])), {}, "L2-normalized"),
    ],
)
def test_value_errors_are_reported_under_jit(loss, args, kwargs, message):
    error, _ = _run(loss, *args, **kwargs)
    assert error is not None
    assert __import__("re").search(message, error), error


@pytest.mark.parametrize(
    "loss, args, kwargs",
    [
        (jaxloss.SparseCategoricalCrossentropy(ignore_class=-1), (jnp.array([0, -1]), PROBS), {}),
        (jaxloss.BinaryCrossentropy(from_logits=True), (jnp.array([[1.0, 0.0]]), jnp.array([[13.0, -4.0]])), {}),
        (
            jaxloss.CTC(),
            (jnp.array([[1, 2]]), jnp.zeros((1, 5, 3))),
            {"logit_length": jnp.array([5]), "label_length": jnp.array([2])},
        ),
        (jaxloss.Poisson(), (jnp.array([[0.0, 2.0]]), jnp.array([[1.0, 2.0]])), {}),
    ],
)
def test_valid_inputs_pass_and_value_is_unchanged(loss, args, kwargs):
    error, value = _run(loss, *args, **kwargs)
    assert error is None
    np.testing.assert_allclose(value, loss(*args, **kwargs), rtol=1e-6)


def test_per_sample_function_with_static_config():
    safe = jax.jit(jaxloss.checked(jaxloss.sparse_categorical_crossentropy, from_logits=True))
    error, value = safe(jnp.array([0, 9]), PROBS)
    assert "class id outside [0, 3): 9" in error.get()
    error, value = safe(jnp.array([0, 2]), PROBS)
    assert error.get() is None
    np.testing.assert_allclose(
        value, jaxloss.sparse_categorical_crossentropy(jnp.array([0, 2]), PROBS, from_logits=True)
    )
    with pytest.raises(TypeError, match="Configure the loss instance"):
        jaxloss.checked(jaxloss.Huber(), delta=2.0)


def test_throw_raises_outside_jit():
    error, _ = jax.jit(jaxloss.checked(jaxloss.SparseCategoricalCrossentropy()))(jnp.array([0, 3]), PROBS)
    with pytest.raises(checkify.JaxRuntimeError, match="class id outside"):
        error.throw()


def test_rejects_non_losses():
    with pytest.raises(TypeError, match="`loss` must be a jaxloss.Loss instance"):
        jaxloss.checked(3)


def _unit_rows(rng, shape):
    x = rng.normal(size=shape)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_circle_accepts_normalized_embeddings_rounded_to_half_precision():
    emb = _unit_rows(np.random.default_rng(0), (16, 64))
    for dtype in (jnp.bfloat16, jnp.float16):
        error, _ = _run(jaxloss.Circle(), jnp.arange(16) % 3, jnp.asarray(emb, dtype))
        assert error is None, (dtype, error)


def test_circle_checks_the_reference_embeddings():
    emb = jnp.asarray(_unit_rows(np.random.default_rng(1), (4, 3)), jnp.float32)
    error, _ = _run(
        jaxloss.Circle(), jnp.array([0, 0, 1, 1]), emb, ref_labels=jnp.array([0, 1]), ref_embeddings=2 * emb[:2]
    )
    assert error is not None and "`ref_embeddings row norms`" in error


def test_ctc_padding_beyond_label_length_is_not_flagged():
    error, _ = _run(jaxloss.CTC(), jnp.array([[1, 2, -1, -1]]), jnp.zeros((1, 6, 3)), label_length=jnp.array([2]))
    assert error is None
    error, _ = _run(jaxloss.CTC(), jnp.array([[1, 2, -1, -1]]), jnp.zeros((1, 6, 3)), label_length=jnp.array([3]))
    assert error is not None and "class id outside [0, 3): -1" in error


@pytest.mark.parametrize(
    "loss, y_true, kwargs",
    [
        (jaxloss.CTC(), [[1, 0, 2]], {"label_length": jnp.array([3])}),
        (jaxloss.CTC(), [[1, 2, 0, 2]], {}),  # Keras's form: the label is the first 3 entries, [1, 2, 0]
        (jaxloss.CTC(blank_index=2), [[1, 2, 0]], {"label_length": jnp.array([2])}),
    ],
)
def test_ctc_blank_inside_a_label_is_reported(loss, y_true, kwargs):
    error, _ = _run(loss, jnp.array(y_true), jnp.zeros((1, 9, 3)), **kwargs)
    assert error is not None and "blank id" in error


def test_checked_reduce_keeps_the_checks_of_the_function():
    error, _ = _run(jaxloss.reduce(jaxloss.sparse_categorical_crossentropy), jnp.array([0, 5]), PROBS)
    assert error is not None and "class id outside [0, 3): 5" in error
    safe = jax.jit(jaxloss.checked(jaxloss.reduce(jaxloss.binary_crossentropy, "sum"), from_logits=False))
    error, _ = safe(jnp.array([[1.0, 0.0]]), jnp.array([[1.3, 0.2]]))
    assert error.get() is not None and "`y_pred` must be in" in error.get()


def test_labels_beyond_int32_are_reported_outside_jit():
    # Outside jit the host value is seen (inside, jit's own int64 -> int32 conversion wraps it first).
    error, _ = jaxloss.checked(jaxloss.SparseCategoricalCrossentropy())(np.array([0, 2**32 + 1]), PROBS[:2])
    assert error.get() is not None and "class id outside" in error.get()
