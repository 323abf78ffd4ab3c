"""A typed user script over the README's API: must pass `mypy --strict` and `pyright`.

Run against an installed (non-editable) wheel by `.ci/typecheck`; not collected by pytest.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

import jaxloss

y_true = jnp.array([[0.0, 1.0], [1.0, 1.0]])
y_pred = jnp.array([[0.2, 0.7], [0.9, 0.4]])

# Classes: keyword config, Keras's reductions, frozen dataclasses.
huber = jaxloss.Huber(delta=0.5, reduction="sum")
summed = dataclasses.replace(huber, reduction="sum_over_batch_size")
bce = jaxloss.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, dtype="bfloat16")
focal = jaxloss.CategoricalFocalCrossentropy(alpha=[0.25, 0.75], gamma=2.0)
scce = jaxloss.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
ctc = jaxloss.CTC(blank_index=0, zero_infinity=True)
unreduced = jaxloss.MeanSquaredError(reduction=None)
value: jax.Array = huber(y_true, y_pred)
weighted: jax.Array = bce(y_true, y_pred, sample_weight=jnp.array([1.0, 0.5]))
per_sample: jax.Array = unreduced(y_true, y_pred, mask=jnp.array([True, False]))
config = huber.get_config()
again = jaxloss.Huber.from_config(config)

# Large vocabulary: the kernel (and bias) as call inputs, block sizes as config.
lm_loss = jaxloss.LinearSoftmaxCrossentropy(ignore_class=-1, z_loss=1e-4, logit_soft_cap=30.0, block_size=(64, 256))
features = jnp.ones((4, 8))
kernel = jnp.ones((8, 100))
lm_value: jax.Array = lm_loss(jnp.array([1, 2, -1, 3]), features, kernel=kernel)
lm_per_token: jax.Array = jaxloss.linear_softmax_crossentropy(jnp.array([1, 2, 0, 3]), features, kernel, block_size=64)

# Functions and `reduce`.
per_example: jax.Array = jaxloss.huber(y_true, y_pred, delta=2.0)
mean_huber = jaxloss.reduce(jaxloss.huber, "sum")
also: jax.Array = mean_huber(y_true, y_pred)
typed_reduction: jaxloss.Reduction = "mean_with_sample_weight"
weighted_mse = jaxloss.reduce(jaxloss.mean_squared_error, typed_reduction, dtype="float32")

# Registry and checked mode.
loss = jaxloss.get("Huber")
fn = jaxloss.get("mse")
restored = jaxloss.deserialize(jaxloss.serialize(huber))
safe = jax.jit(jaxloss.checked(jaxloss.SparseCategoricalCrossentropy()))
error, checked_value = safe(jnp.array([0, 1]), jnp.array([[0.9, 0.1], [0.5, 0.5]]))


# A Keras-style subclass.
class ScaledError(jaxloss.Loss):
    scale: float = 1.0

    def call(
        self, y_true: jax.typing.ArrayLike, y_pred: jax.typing.ArrayLike, **inputs: jax.typing.ArrayLike
    ) -> jax.Array:
        return self.scale * jnp.mean(jnp.abs(jnp.asarray(y_true) - jnp.asarray(y_pred)), axis=-1)


scaled = ScaledError(scale=2.0, reduction="sum")


# A gradient step.
def train_step(params: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
    grads: jax.Array = jax.grad(lambda p: jaxloss.BinaryCrossentropy(from_logits=True)(y, x @ p))(params)
    return params - 0.1 * grads


print(value, weighted, per_sample, again, per_example, also, loss, fn, restored, error, checked_value, scaled)
print(summed, focal, scce, ctc, weighted_mse, train_step, __version__ := jaxloss.__version__)
