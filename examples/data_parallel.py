"""A data-parallel training step, in JAX's two styles, on 8 (simulated) devices.

    python examples/data_parallel.py [--steps 50]

1. Global arrays under `jit`: the batch is placed with a `NamedSharding` over a
   "batch" mesh axis, and the loss is called as on one device. XLA inserts the
   cross-device sums; the losses need nothing special.
2. `shard_map`: each device sees its shard, and the loss's `axis_name="batch"`
   `psum`s the sum and the divisor, so every device holds the global mean even
   when the devices hold different numbers of valid (non-ignored) labels.

Both steps give the same loss and the same parameters as one device.

With JAX's explicit axis types (`jax.make_mesh(..., axis_types=(Explicit,))`),
inputs must be placed as the specs say: here `device_put` with
`NamedSharding(mesh, P("batch"))` for the batch, and replicated parameters.
Without a GPU or TPU, this script asks XLA for 8 CPU devices.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")  # before JAX starts

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import functools  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax.sharding import NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import jaxloss  # noqa: E402

optimizer = optax.sgd(0.5)


def make_batch(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype(np.float32)
    y = np.argmax(x[:, :4] + 0.5 * rng.normal(size=(n, 4)), axis=1).astype(np.int32)
    y[: n // 4] = -1  # the first quarter is padding: the first devices hold no valid label at all
    return x, y


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    devices = jax.devices()
    assert len(devices) >= 8, f"needs 8 devices, found {len(devices)}"
    mesh = jax.make_mesh((8,), ("batch",), axis_types=(jax.sharding.AxisType.Explicit,))
    x, y = make_batch(64)
    loss = jaxloss.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    params = {"w": jnp.zeros((8, 4)), "b": jnp.zeros(4)}

    def objective(loss, p, x, y):
        return loss(y, x @ p["w"] + p["b"])

    # 1. Global arrays under jit.
    @functools.partial(jax.jit, static_argnums=0)
    def global_step(loss, p, state, x, y):
        value, grads = jax.value_and_grad(objective, argnums=1)(loss, p, x, y)
        updates, state = optimizer.update(grads, state)
        return optax.apply_updates(p, updates), state, value

    batch_sharding = NamedSharding(mesh, P("batch"))
    replicated = NamedSharding(mesh, P())
    xs, ys = jax.device_put(x, batch_sharding), jax.device_put(y, batch_sharding)
    p1 = jax.device_put(params, replicated)
    s1 = optimizer.init(p1)
    with jax.set_mesh(mesh):
        for _ in range(args.steps):
            p1, s1, v1 = global_step(loss, p1, s1, xs, ys)
    print(f"global arrays under jit: loss {float(v1):.6f}; x is split as {xs.sharding.spec}")

    # 2. shard_map: every device computes the global loss through axis_name="batch".
    sharded_loss = dataclasses.replace(loss, axis_name="batch")

    @jax.jit
    def shard_map_step(p, state, x, y):
        @functools.partial(jax.shard_map, mesh=mesh, in_specs=(P(), P("batch"), P("batch")), out_specs=P())
        def per_device(p, x, y):
            return objective(sharded_loss, p, x, y)

        value, grads = jax.value_and_grad(per_device)(p, x, y)
        updates, state = optimizer.update(grads, state)
        return optax.apply_updates(p, updates), state, value

    p2 = jax.device_put(params, replicated)
    s2 = optimizer.init(p2)
    for _ in range(args.steps):
        p2, s2, v2 = shard_map_step(p2, s2, xs, ys)
    print(f"shard_map with axis_name: loss {float(v2):.6f}")

    # The reference: the same steps on one device.
    p3, s3 = params, optimizer.init(params)
    single_step = jax.jit(global_step.__wrapped__, static_argnums=0)
    for _ in range(args.steps):
        p3, s3, v3 = single_step(loss, p3, s3, jnp.asarray(x), jnp.asarray(y))
    print(f"one device:              loss {float(v3):.6f}")
    for got in ((v1, p1), (v2, p2)):
        for a, b in zip(jax.tree.leaves(got), jax.tree.leaves((v3, p3)), strict=True):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    print("both data-parallel steps match one device")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
