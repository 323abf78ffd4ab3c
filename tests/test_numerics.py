"""Numerics: stable logits, dtype policy, and where jaxloss is exact where Keras is not."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxloss


def test_focal_from_logits_is_exact_beyond_keras_clip():
    # Keras: sigmoid then a clip at 1e-7 gives 16.03 for |logit| = 100.
    got = jaxloss.binary_focal_crossentropy([[0.0], [1.0]], [[100.0], [-100.0]], from_logits=True, gamma=2.0)
    np.testing.assert_allclose(got, [100.0, 100.0], rtol=1e-6)


def test_bce_from_logits_handles_infinite_logits_the_label_agrees_with():
    y_true = jnp.array([[1.0, 0.0]])
    logits = jnp.array([[jnp.inf, -jnp.inf]])
    assert float(jaxloss.binary_crossentropy(y_true, logits, from_logits=True)[0]) == 0.0
    assert np.all(np.isfinite(jax.grad(lambda x: jaxloss.binary_crossentropy(y_true, x, from_logits=True).sum())(logits)))


def test_cce_from_logits_with_minus_inf_logit_on_zero_label():
    logits = jnp.array([[2.0, -jnp.inf, 0.5]])
    value, grad = jax.value_and_grad(lambda x: jaxloss.categorical_crossentropy([[1.0, 0.0, 0.0]], x, from_logits=True).sum())(logits)
    np.testing.assert_allclose(value, -jax.nn.log_softmax(jnp.array([2.0, 0.5]))[0], rtol=1e-6)
    assert np.all(np.isfinite(grad))


def test_cce_probabilities_summing_to_zero_are_finite():
    value, grad = jax.value_and_grad(lambda p: jaxloss.categorical_crossentropy([[1.0, 0.0]], p).sum())(jnp.zeros((1, 2)))
    np.testing.assert_allclose(value, -np.log(1e-7), rtol=1e-6)  # Keras returns NaN
    assert np.all(np.isfinite(grad))


def test_cosine_zero_vector_and_huge_vectors():
    value, grad = jax.value_and_grad(lambda p: jaxloss.cosine_similarity([[1.0, 0.0]], p).sum())(jnp.zeros((1, 2)))
    assert float(value) == 0.0 and np.all(np.isfinite(grad))
    np.testing.assert_allclose(jaxloss.cosine_similarity([[3e30, 4e30]], [[3e30, 4e30]]), [-1.0], rtol=1e-6)


def test_cgce_column_labels_are_not_broadcast():
    y_pred = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]], np.float32)
    flat = jaxloss.categorical_generalized_cross_entropy(np.array([0, 1, 0, 1]), y_pred, q=0.5)
    column = jaxloss.categorical_generalized_cross_entropy(np.array([[0], [1], [0], [1]]), y_pred, q=0.5)
    assert column.shape == (4,)
    np.testing.assert_allclose(column, flat)
    np.testing.assert_allclose(jaxloss.CategoricalGeneralizedCrossEntropy()(np.array([[0], [1], [0], [1]]), y_pred), 0.35984, rtol=1e-4)


def test_cgce_zero_probability_is_one_over_q_with_finite_gradient():
    value, grad = jax.value_and_grad(lambda p: jaxloss.categorical_generalized_cross_entropy([0], p, q=0.5).sum())(jnp.array([[0.0, 1.0]]))
    assert float(value) == 2.0 and np.all(np.isfinite(grad))


def test_integer_labels_survive_half_precision():
    logits = jnp.zeros((2, 1000), jnp.bfloat16).at[0, 700].set(30.0).at[1, 257].set(30.0)
    labels = jnp.array([700, 257])
    loss = jaxloss.SparseCategoricalCrossentropy(from_logits=True, dtype="bfloat16", reduction=None)
    out = loss(labels, logits)
    assert out.dtype == jnp.bfloat16
    np.testing.assert_allclose(np.asarray(out, np.float32), [0.0, 0.0], atol=1e-6)  # Keras: class 257 becomes 256


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_half_precision_inputs_compute_in_float32(dtype):
    y_true = jnp.array([[0.0, 1.0]], dtype)
    y_pred = jnp.array([[1.0, 0.0]], dtype)
    out = jaxloss.binary_crossentropy(y_true, y_pred)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, [(15.942385 + 16.118095) / 2], rtol=1e-5)  # finite: Keras's half clip gives inf


def test_float64_with_x64():
    with jax.enable_x64(True):
        out = jaxloss.mean_squared_error(np.ones((2, 3)), np.zeros((2, 3)))
        assert out.dtype == jnp.float64
        bce = jaxloss.binary_crossentropy(np.array([[0.0]]), np.array([[1.0]]))
        np.testing.assert_allclose(bce, [-np.log(1 - (1 - 1e-7))], rtol=1e-12)  # eps stays 1e-7 in float64
        assert jaxloss.MeanSquaredError(dtype="float32")(np.ones((2, 3)), np.zeros((2, 3))).dtype == jnp.float32


def test_scce_out_of_range_labels_give_zero_like_keras():
    out = jaxloss.sparse_categorical_crossentropy(np.array([3, -2]), np.full((2, 3), 1 / 3, np.float32))
    np.testing.assert_allclose(out, [0.0, 0.0])


def test_tversky_follows_keras_code_alpha_weights_false_negatives():
    y_true = np.array([[1.0, 1.0, 0.0]])
    y_pred = np.array([[1.0, 0.0, 1.0]])  # one false negative, one false positive
    only_fn = jaxloss.tversky(y_true, y_pred, alpha=1.0, beta=0.0, axis=-1)
    np.testing.assert_allclose(only_fn, [1 - 1 / 2], rtol=1e-6)


def test_keras_hinge_label_conversion_is_batch_wide():
    # Labels in {-1, 0, 1} are not converted; all-{0, 1} labels are.
    np.testing.assert_allclose(jaxloss.hinge([[-1.0, 0.0, 1.0]], [[0.5, 0.5, 0.5]]), [(1.5 + 1.0 + 0.5) / 3])
    np.testing.assert_allclose(jaxloss.hinge([[0.0, 0.0]], [[0.5, 0.5]]), [1.5])
