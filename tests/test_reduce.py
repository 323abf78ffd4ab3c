"""`reduce`: Keras's reductions, weights and masks, plus the cross-device axis."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxloss

Y_TRUE = np.array([[1.0, 9.0, 2.0], [-5.0, -2.0, 6.0]], np.float32)
Y_PRED = np.array([[4.0, 8.0, 12.0], [8.0, 1.0, 3.0]], np.float32)
PER_SAMPLE = np.array([110 / 3, 187 / 3])  # mean squared error of each row


@pytest.mark.floor
@pytest.mark.parametrize(
    "reduction, weight, expected",
    [
        ("sum_over_batch_size", None, PER_SAMPLE.mean()),
        ("mean", None, PER_SAMPLE.mean()),
        ("sum", None, PER_SAMPLE.sum()),
        ("mean_with_sample_weight", None, PER_SAMPLE.mean()),
        ("sum_over_batch_size", [[1.2], [3.4]], (PER_SAMPLE * [1.2, 3.4]).sum() / 2),
        ("mean_with_sample_weight", [[1.2], [3.4]], (PER_SAMPLE * [1.2, 3.4]).sum() / 4.6),
        ("mean_with_sample_weight", 2.0, (PER_SAMPLE * 2).sum() / 2.0),  # Keras: a scalar weight gives the sum
        (None, 2.3, PER_SAMPLE * 2.3),
        ("none", [1.0, 0.0], PER_SAMPLE * [1, 0]),
    ],
)
def test_reductions_and_weights(reduction, weight, expected):
    got = jaxloss.reduce(jaxloss.mean_squared_error, reduction)(Y_TRUE, Y_PRED, weight)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_timestep_weights_match_keras():
    loss = jaxloss.reduce(jaxloss.mean_squared_error)
    got = loss(Y_TRUE.reshape(2, 3, 1), Y_PRED.reshape(2, 3, 1), np.array([[3, 6, 5], [0, 4, 2]], np.float32))
    np.testing.assert_allclose(got, 97.833336, rtol=1e-6)


def test_batch_weight_scales_whole_samples_of_a_timestep_loss():
    # Keras raises for (2, 3) values with (2,) weights; jaxloss aligns the weights to the batch axis.
    per_step = jaxloss.reduce(jaxloss.mean_squared_error, "none")(
        Y_TRUE[..., None], Y_PRED[..., None], np.array([2.0, 0.0])
    )
    np.testing.assert_allclose(per_step, np.square(Y_TRUE - Y_PRED) * [[2.0], [0.0]])


def test_masked_mean_divides_by_valid_count_and_all_masked_is_zero():
    loss = jaxloss.reduce(jaxloss.mean_squared_error)
    np.testing.assert_allclose(loss(Y_TRUE, Y_PRED, mask=np.array([True, False])), PER_SAMPLE[0], rtol=1e-6)
    none_kept = np.array([False, False])
    assert float(loss(Y_TRUE, Y_PRED, mask=none_kept)) == 0.0
    grad = jax.grad(lambda p: loss(Y_TRUE, p, mask=none_kept))(Y_PRED)
    assert np.all(np.asarray(grad) == 0)


def test_all_zero_weights_give_zero_with_mean_with_sample_weight():
    loss = jaxloss.reduce(jaxloss.mean_squared_error, "mean_with_sample_weight")
    assert float(loss(Y_TRUE, Y_PRED, np.zeros(2))) == 0.0
    assert np.all(np.isfinite(jax.grad(lambda w: loss(Y_TRUE, Y_PRED, w))(np.zeros(2, np.float32))))


def test_user_function_with_its_own_mask():
    @jaxloss.returns_mask
    def excess(y_true, y_pred):
        values = jnp.maximum(y_pred - y_true, 0.0)
        return jaxloss.LossWithMask(values, values > 0)

    x = jnp.array([1.0, 3.0, -1.0, -2.0])
    np.testing.assert_allclose(excess(jnp.zeros(4), x), [1.0, 3.0, 0.0, 0.0])  # public form: values only
    np.testing.assert_allclose(jaxloss.reduce(excess)(jnp.zeros(4), x), 2.0)
    np.testing.assert_allclose(jaxloss.reduce(excess, "sum")(jnp.zeros(4), x), 4.0)
    # A user mask is ANDed with the function's own mask.
    np.testing.assert_allclose(jaxloss.reduce(excess)(jnp.zeros(4), x, mask=jnp.array([True, False, True, True])), 1.0)


def test_scce_ignore_class_reduces_like_keras():
    y_true = np.array([[-1, 2, 1, -1]])
    y_pred = np.random.default_rng(0).normal(size=(1, 4, 3)).astype(np.float32)
    per_item = jaxloss.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True, ignore_class=-1)
    weights = np.array([[1.0, 2.0, 3.0, 4.0]])
    mean = jaxloss.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    np.testing.assert_allclose(mean(y_true, y_pred, weights), (per_item * weights).sum() / 2, rtol=1e-6)
    by_weight = jaxloss.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=-1, reduction="mean_with_sample_weight"
    )
    np.testing.assert_allclose(by_weight(y_true, y_pred, weights), (per_item * weights).sum() / 5.0, rtol=1e-6)
    all_ignored = -np.ones((1, 4), np.int32)
    assert float(mean(all_ignored, y_pred)) == 0.0
    assert np.all(np.isfinite(jax.grad(lambda p: mean(all_ignored, p))(y_pred)))


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
def test_axis_name_gives_the_global_reduction(reduction):
    """Shards reduced with `axis_name` agree with one reduction over the whole batch."""
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(8, 3)).astype(np.float32), rng.normal(size=(8, 3)).astype(np.float32)
    weights = rng.uniform(0, 2, 8).astype(np.float32)
    mask = np.array([1, 1, 0, 1, 0, 0, 1, 1], bool)
    whole = jaxloss.MeanSquaredError(reduction=reduction)(y_true, y_pred, weights, mask=mask)
    sharded = jaxloss.MeanSquaredError(reduction=reduction, axis_name="devices")
    shards = [x.reshape((4, 2) + x.shape[1:]) for x in (y_true, y_pred, weights, mask)]
    per_device = jax.vmap(lambda t, p, w, m: sharded(t, p, w, mask=m), axis_name="devices")(*shards)
    np.testing.assert_allclose(per_device, np.full(4, whole), rtol=1e-6)


def test_sharded_arrays_under_jit():
    devices = np.array(jax.devices())
    mesh = jax.sharding.Mesh(devices, ("batch",))
    spec = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("batch"))
    rng = np.random.default_rng(0)
    y_true = jax.device_put(rng.integers(0, 5, 8 * len(devices)).astype(np.int32), spec)
    y_pred = jax.device_put(rng.normal(size=(8 * len(devices), 5)).astype(np.float32), spec)
    loss = jaxloss.SparseCategoricalCrossentropy(from_logits=True)
    value, grad = jax.jit(jax.value_and_grad(lambda p: loss(y_true, p)))(y_pred)
    np.testing.assert_allclose(value, loss(np.asarray(y_true), np.asarray(y_pred)), rtol=1e-6)
    assert grad.shape == y_pred.shape and np.all(np.isfinite(grad))


def test_dtype_result_is_cast_but_computed_in_float32():
    loss = jaxloss.BinaryCrossentropy(dtype="float16")
    out = loss([[0.0, 1.0]], [[1.0, 0.0]])
    assert out.dtype == jnp.float16
    # mean of -log(1.19e-7) and -log(1e-7) at the float32 clip; Keras in float16 gives inf.
    assert np.isfinite(float(out)) and abs(float(out) - (15.942385 + 16.118095) / 2) < 0.02
    assert jaxloss.MeanSquaredError(dtype="mixed_bfloat16").dtype == "bfloat16"


def test_batch_weight_and_timestep_mask_align_on_the_batch_axis():
    # A (B,) weight with a (B, T) mask on (B, T) values scales rows, not columns.
    out = jaxloss.MeanSquaredError(reduction=None)(
        jnp.ones((3, 3, 2)), jnp.zeros((3, 3, 2)), jnp.array([1.0, 0.0, 0.0]), mask=jnp.ones((3, 3), bool)
    )
    np.testing.assert_allclose(out, [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    mask = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0]], bool)
    weights = np.array([2.0, 3.0, 4.0])
    per_step = np.full((3, 3), 1.0)
    for reduction, expected in [
        ("sum", (per_step * weights[:, None] * mask).sum()),
        ("sum_over_batch_size", (per_step * weights[:, None] * mask).sum() / mask.sum()),
        ("mean_with_sample_weight", (per_step * weights[:, None] * mask).sum() / (weights[:, None] * mask).sum()),
    ]:
        got = jaxloss.MeanSquaredError(reduction=reduction)(np.ones((3, 3, 2)), np.zeros((3, 3, 2)), weights, mask=mask)
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_batch_weight_with_the_mask_of_ignore_class():
    loss = jaxloss.SparseCategoricalCrossentropy(ignore_class=-1, from_logits=True)
    labels = np.zeros((3, 5), np.int32)
    labels[0, :2] = -1
    weights = np.array([1.0, 2.0, 0.0])
    got = loss(labels, np.zeros((3, 5, 4), np.float32), weights)
    per_item = np.log(4.0)
    np.testing.assert_allclose(got, per_item * (3 * 1.0 + 5 * 2.0) / 13, rtol=1e-6)
    assert (
        float(loss(np.zeros((3, 5), np.int32), np.zeros((3, 5, 4), np.float32), np.ones(3))) > 0
    )  # no broadcast error


def test_user_batch_mask_with_a_timestep_mask_of_the_function():
    loss = jaxloss.SparseCategoricalCrossentropy(ignore_class=-1, from_logits=True, reduction="sum")
    labels = np.zeros((2, 3), np.int32)
    labels[0, 0] = -1
    got = loss(labels, np.zeros((2, 3, 4), np.float32), mask=np.array([True, False]))
    np.testing.assert_allclose(got, 2 * np.log(4.0), rtol=1e-6)  # row 0 only, its ignored step excluded
