"""A Flax NNX model trained with `nnx.jit` and a jaxloss class.

    python examples/flax_nnx_train.py [--steps 200]

A two-layer MLP on two interleaved half-moons, trained with
`jaxloss.BinaryFocalCrossentropy(from_logits=True)`: the loss object is
built once and closed over by the jitted step (it is a frozen, hashable
dataclass, so it is also fine as a static argument).
"""

from __future__ import annotations

import argparse

import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

import jaxloss


class MLP(nnx.Module):
    def __init__(self, hidden: int, *, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(2, hidden, rngs=rngs)
        self.out = nnx.Linear(hidden, 1, rngs=rngs)

    def __call__(self, x):
        return self.out(nnx.relu(self.hidden(x)))


def moons(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.stack([np.cos(angle) + label, np.sin(angle) * (1 - 2 * label) + 0.5 * label], 1)
    x += rng.normal(scale=0.1, size=x.shape)
    return jnp.asarray(x, jnp.float32), jnp.asarray(label[:, None], jnp.float32)


loss_fn = jaxloss.BinaryFocalCrossentropy(from_logits=True, gamma=2.0)


@nnx.jit
def train_step(model: MLP, optimizer: nnx.Optimizer, x, y):
    def objective(model):
        return loss_fn(y, model(x))

    value, grads = nnx.value_and_grad(objective)(model)
    optimizer.update(model, grads)
    return value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    x, y = moons(512)
    model = MLP(32, rngs=nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)
    first = float(train_step(model, optimizer, x, y))
    for _ in range(args.steps - 1):
        value = train_step(model, optimizer, x, y)
    accuracy = float(jnp.mean((model(x) > 0) == (y > 0.5)))
    print(f"focal loss {first:.4f} -> {float(value):.4f}; training accuracy {accuracy:.1%}")
    assert float(value) < first
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
