"""CTC benchmark: jaxloss.ctc vs optax.ctc_loss vs keras.losses.ctc.

Same inputs, one process, each function jitted. Reports the median of
`--runs` timed calls (after a warm-up) for the forward pass and for
`value_and_grad`, the compile time, and the peak temporary memory from
`jax.jit(f).lower(...).compile().memory_analysis()`. Ratios are peer / jaxloss
(> 1 means jaxloss is faster or leaner).

    python benchmarks/ctc.py [--runs 10] [--shapes small,large] [--markdown]

Needs optax (a test extra); Keras is used if installed (KERAS_BACKEND=jax).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import jaxloss  # noqa: E402

SHAPES = {"small": (32, 200, 40, 40), "large": (8, 1000, 5000, 200)}  # B, T, C, L


def make_inputs(batch, time_steps, classes, max_label, seed=0):
    rng = np.random.default_rng(seed)
    logits = jnp.asarray(rng.normal(size=(batch, time_steps, classes)), jnp.float32)
    lengths = rng.integers(max_label // 2, max_label + 1, batch)
    labels = rng.integers(1, classes, (batch, max_label))
    labels = np.where(np.arange(max_label)[None, :] < lengths[:, None], labels, 0)  # right-padded with blank 0
    return logits, jnp.asarray(labels, jnp.int32), jnp.asarray(lengths, jnp.int32)


def implementations(labels, lengths, time_steps):
    """name -> (loss(logits, *aux), aux). Labels and lengths are jit arguments, as in a training step."""
    batch, max_label = labels.shape
    label_paddings = (jnp.arange(max_label)[None, :] >= lengths[:, None]).astype(jnp.float32)
    logit_paddings = jnp.zeros((batch, time_steps), jnp.float32)
    impls = {
        "jaxloss": (lambda x, y, n: jnp.sum(jaxloss.ctc(y, x, label_length=n)), (labels, lengths)),
        "optax": (lambda x, y, lp, p: jnp.sum(optax.ctc_loss(x, lp, y, p)), (labels, logit_paddings, label_paddings)),
    }
    try:
        import keras

        impls["keras"] = (lambda x, y: jnp.sum(keras.losses.ctc(y, x)), (labels,))
    except ImportError:
        pass
    return impls


def median_seconds(fn, args, runs):
    jax.block_until_ready(fn(*args))  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compile_seconds(f, args, repeats=5):
    """Median time to trace, lower and compile a fresh jit of `f` (fresh, so no cache is hit)."""
    times, compiled = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        compiled = jax.jit(lambda *a: f(*a)).lower(*args).compile()
        times.append(time.perf_counter() - start)
    return statistics.median(times), compiled


def measure(fn, args, runs):
    row = {}
    for mode, f in (("fwd", fn), ("vg", jax.value_and_grad(fn))):  # the gradient is w.r.t. the logits
        row[f"{mode}_compile_s"], compiled = compile_seconds(f, args)
        row[f"{mode}_temp_mb"] = compiled.memory_analysis().temp_size_in_bytes / 2**20
        row[f"{mode}_s"] = median_seconds(compiled, args, runs)
        row[f"{mode}_value"] = float(np.asarray(compiled(*args)[0] if mode == "vg" else compiled(*args)))
    return row


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--shapes", default="small,large")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    print(
        f"jax {jax.__version__} on {jax.devices()[0].device_kind}; optax {optax.__version__}; median of {args.runs} runs"
    )
    lines = [
        "| shape (B,T,C,L) | impl | fwd ms | value_and_grad ms | vg speed-up vs jaxloss | compile fwd/vg s | temp MB fwd/vg |",
        "|---|---|---|---|---|---|---|",
    ]
    # Warm up every implementation once, so no one pays the process's first-compile costs.
    tiny_logits, tiny_labels, tiny_lengths = make_inputs(2, 8, 5, 3)
    for fn, aux in implementations(tiny_labels, tiny_lengths, 8).values():
        jax.block_until_ready(jax.jit(jax.value_and_grad(fn))(tiny_logits, *aux))
    for name in args.shapes.split(","):
        batch, time_steps, classes, max_label = SHAPES[name]
        logits, labels, lengths = make_inputs(batch, time_steps, classes, max_label)
        rows = {
            impl: measure(fn, (logits, *aux), args.runs)
            for impl, (fn, aux) in implementations(labels, lengths, time_steps).items()
        }
        base = rows["jaxloss"]
        for impl, row in rows.items():
            assert abs(row["fwd_value"] - base["fwd_value"]) <= 1e-3 * abs(base["fwd_value"]), (
                impl,
                row["fwd_value"],
                base["fwd_value"],
            )
            lines.append(
                f"| {name} {SHAPES[name]} | {impl} | {row['fwd_s'] * 1e3:.1f} | {row['vg_s'] * 1e3:.1f} | "
                f"{row['vg_s'] / base['vg_s']:.2f}x | {row['fwd_compile_s']:.2f} / {row['vg_compile_s']:.2f} | "
                f"{row['fwd_temp_mb']:.1f} / {row['vg_temp_mb']:.1f} |"
            )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
