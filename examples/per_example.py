"""Per-example losses and per-example gradients with `jax.vmap`.

    python examples/per_example.py [--n 512]

A jaxloss function maps one example to its loss, so `vmap` gives the loss of
every example, and `vmap(grad(...))` the gradient of every example's loss
w.r.t. the parameters: the usual way to find mislabeled or hard examples, or
to clip per-example gradients (DP-SGD). Here 5% of the labels are flipped and
the per-example losses find most of them.
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxloss


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.n, 5)).astype(np.float32)
    true_w = rng.normal(size=5).astype(np.float32)
    y = (x @ true_w > 0).astype(np.float32)
    flipped = rng.choice(args.n, size=args.n // 20, replace=False)
    y[flipped] = 1.0 - y[flipped]
    x, y = jnp.asarray(x), jnp.asarray(y)

    def example_loss(w, xi, yi):
        """One example: the per-sample function on a single logit (a scalar is one feature)."""
        return jaxloss.binary_crossentropy(yi, xi @ w, from_logits=True)

    mean_loss = lambda w: jnp.mean(jax.vmap(example_loss, in_axes=(None, 0, 0))(w, x, y))  # noqa: E731
    w, opt = jnp.zeros(5), optax.adam(0.1)
    state = opt.init(w)
    for _ in range(args.steps):
        grads = jax.grad(mean_loss)(w)
        updates, state = opt.update(grads, state)
        w = optax.apply_updates(w, updates)

    losses = jax.jit(jax.vmap(example_loss, in_axes=(None, 0, 0)))(w, x, y)
    per_example_grads = jax.jit(jax.vmap(jax.grad(example_loss), in_axes=(None, 0, 0)))(w, x, y)
    assert losses.shape == (args.n,) and per_example_grads.shape == (args.n, 5)
    # The mean of the per-example gradients is the gradient of the mean loss.
    np.testing.assert_allclose(jnp.mean(per_example_grads, 0), jax.grad(mean_loss)(w), rtol=1e-4, atol=1e-6)

    suspects = np.argsort(-np.asarray(losses))[: len(flipped)]
    found = len(set(suspects.tolist()) & set(flipped.tolist())) / len(flipped)
    print(f"{args.n} examples, {len(flipped)} flipped labels; the highest losses find {found:.0%} of them")
    print(f"per-example gradient norms: median {float(jnp.median(jnp.linalg.norm(per_example_grads, axis=1))):.3f}")
    assert found > 0.5
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
