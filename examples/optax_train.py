"""A training step with optax: `jax.value_and_grad`, a jaxloss object passed into `jit`, per-sample weights.

    python examples/optax_train.py [--steps 300]

A small linear softmax classifier on synthetic, imbalanced data. The loss
object is an ordinary (static) argument of the jitted step: equal configs
share one trace, and a new config (here, the weighted mean) traces once more.
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxloss


def make_data(n: int, seed: int = 0) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Three Gaussian classes in 2-D, class 0 four times as frequent; inverse-frequency weights (1 / count)."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n, p=[4 / 6, 1 / 6, 1 / 6])
    centers = np.array([[0.0, 0.0], [2.5, 0.0], [0.0, 2.5]])
    x = centers[labels] + rng.normal(scale=0.8, size=(n, 2))
    weights = (1.0 / np.bincount(labels, minlength=3))[labels]
    return jnp.asarray(x, jnp.float32), jnp.asarray(labels, jnp.int32), jnp.asarray(weights, jnp.float32)


optimizer = optax.adam(5e-2)


@jax.jit
def train_step(loss, params, opt_state, x, y, weights):
    """`loss` is a jaxloss object: frozen and hashable, so `jit` treats it as static."""

    def objective(p):
        logits = x @ p["w"] + p["b"]
        return loss(y, logits, sample_weight=weights)

    value, grads = jax.value_and_grad(objective)(params)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, value


def accuracy_per_class(params, x, y) -> np.ndarray:
    predicted = jnp.argmax(x @ params["w"] + params["b"], axis=-1)
    return np.array([float(jnp.mean(predicted[y == k] == k)) for k in range(3)])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    x, y, weights = make_data(600)
    recalls = {}
    # Unweighted, then each example weighted by 1 / its class count: "mean_with_sample_weight" divides by the
    # sum of the weights, so the loss stays a weighted average whatever the weights' scale.
    for name, reduction, w in (
        ("unweighted", "sum_over_batch_size", jnp.ones_like(weights)),
        ("class-balanced", "mean_with_sample_weight", weights),
    ):
        loss = jaxloss.SparseCategoricalCrossentropy(from_logits=True, reduction=reduction)
        params = {"w": jnp.zeros((2, 3)), "b": jnp.zeros(3)}
        opt_state = optimizer.init(params)
        first = None
        for _ in range(args.steps):
            params, opt_state, value = train_step(loss, params, opt_state, x, y, w)
            first = float(value) if first is None else first
        recalls[name] = accuracy_per_class(params, x, y)
        print(f"{name:>15}: loss {first:.4f} -> {float(value):.4f}, per-class recall {np.round(recalls[name], 3)}")
        assert float(value) < first, "the loss did not decrease"
    # Balancing trades recall on the frequent class for recall on the rare ones.
    assert recalls["class-balanced"][1:].mean() >= recalls["unweighted"][1:].mean()
    print(f"train_step traced {train_step._cache_size()} times for 2 loss configs")  # one trace per config
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
