"""CTC gradient precision: float32 against a float64 reference, jaxloss vs optax and Keras.

For each shape, the gradient of the summed CTC loss w.r.t. the logits is
computed in float32 by jaxloss, optax and Keras (JAX backend, if installed),
and in float64 by jaxloss (with x64 enabled only for the reference; optax's
float64 result agrees with it to about 1e-12). The error is `max |g32 - g64| / max |g64|`; the table gives
the median and the worst over `--seeds` random draws.

The float32 runs are made with x64 *disabled*: with `jax_enable_x64` on,
optax's CTC silently promotes part of its computation to float64 and looks
far more precise than it is in a float32 training step.

    python benchmarks/ctc_precision.py [--seeds 5] [--markdown]

Needs optax (a test extra); Keras is used if installed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import jaxloss  # noqa: E402

try:
    import keras
except ImportError:  # pragma: no cover
    keras = None

PEERS = ("optax",) + (("keras",) if keras is not None else ())
IMPLS = ("jaxloss", *PEERS)

# (B, T, C, L, logit scale): short and long inputs, flat and peaked distributions.
SHAPES = [
    (4, 20, 6, 5, 1.0),
    (4, 50, 10, 10, 1.0),
    (4, 50, 10, 10, 2.0),
    (8, 200, 40, 40, 1.0),
    (4, 500, 100, 100, 2.0),
]


def _gradient(impl: str, labels: jax.Array, logits: jax.Array) -> np.ndarray:
    if impl == "jaxloss":
        f = lambda x: jnp.sum(jaxloss.ctc(labels, x))  # noqa: E731
    elif impl == "keras":  # labels padded with the blank 0 (none here: every label is full length)
        f = lambda x: jnp.sum(keras.losses.ctc(labels, x))  # noqa: E731
    else:
        paddings = (jnp.arange(labels.shape[1])[None] >= jnp.sum(labels != 0, 1)[:, None]).astype(logits.dtype)
        f = lambda x: jnp.sum(optax.ctc_loss(x, jnp.zeros(x.shape[:2], x.dtype), labels, paddings))  # noqa: E731
    return np.asarray(jax.jit(jax.grad(f))(logits), np.float64)


def relative_errors(shape: tuple, seed: int) -> dict[str, float]:
    batch, frames, classes, max_label, scale = shape
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, scale, (batch, frames, classes)).astype(np.float32)
    labels = jnp.asarray(rng.integers(1, classes, (batch, max_label)), jnp.int32)
    with jax.enable_x64(True):
        reference = _gradient("jaxloss", labels, jnp.asarray(logits, jnp.float64))
    scale_ref = np.max(np.abs(reference))
    return {
        impl: float(np.max(np.abs(_gradient(impl, labels, jnp.asarray(logits)) - reference)) / scale_ref)
        for impl in IMPLS
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    if args.markdown:
        print(
            "| shape (B,T,C,L), logit std | "
            + " | ".join(f"{i} median / worst" for i in IMPLS)
            + " | "
            + " | ".join(f"{p} / jaxloss (median)" for p in PEERS)
            + " |"
        )
        print("|---" * (len(IMPLS) + len(PEERS) + 1) + "|")
    for shape in SHAPES:
        runs = [relative_errors(shape, seed) for seed in range(args.seeds)]
        stats = {impl: (statistics.median(r[impl] for r in runs), max(r[impl] for r in runs)) for impl in IMPLS}
        ratios = [f"{stats[p][0] / stats['jaxloss'][0]:.0f}x" for p in PEERS]
        cells = [f"{stats[i][0]:.1e} / {stats[i][1]:.1e}" for i in IMPLS]
        if args.markdown:
            print(f"| {shape[:4]}, {shape[4]} | " + " | ".join(cells + ratios) + " |")
        else:
            print(
                f"{shape}: "
                + ", ".join(f"{i} {c}" for i, c in zip(IMPLS, cells, strict=True))
                + ", ratios "
                + " ".join(ratios)
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
