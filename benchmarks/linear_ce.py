"""Large-vocabulary crossentropy: blockwise `linear_softmax_crossentropy` against materialized logits.

Candidates, all jitted, in one process, on the same inputs, each giving the
mean loss over the tokens:

- materialized, jaxloss: `features @ kernel`, then `sparse_categorical_crossentropy(from_logits=True)`;
- materialized, optax: `features @ kernel`, then `softmax_cross_entropy_with_integer_labels`;
- tokamax: `linear_softmax_cross_entropy_loss(implementation="xla")`, if tokamax is installed;
- jaxloss blockwise: `LinearSoftmaxCrossentropy()(labels, features, kernel=kernel)`.

`value_and_grad` w.r.t. `features` and `kernel` is timed, candidates
interleaved, and the median of `--runs` calls is reported, with the peak
temporary memory from `jit(...).lower(...).compile().memory_analysis()`.
Before timing, each candidate's value and gradients are checked against the
materialized jaxloss ones.

    python benchmarks/linear_ce.py [--runs 9] [--shapes 8192x1024x32768,4096x512x131072]
                                   [--sweep docs/images/linear_ce_memory.png] [--write benchmarks/RESULTS.md]

`--sweep` compiles (without running) every candidate for V from 8k to 256k
classes at 4096 tokens x 512 and plots the temporary memory against V
(needs matplotlib). `--write` replaces this benchmark's section of
RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import jaxloss  # noqa: E402

try:
    import tokamax
except ImportError:  # pragma: no cover
    tokamax = None

SECTION = "## Large-vocabulary crossentropy"
Candidate = Callable[[jax.Array, jax.Array, jax.Array], jax.Array]  # (features, kernel, labels) -> mean loss


def candidates() -> dict[str, Candidate]:
    found: dict[str, Candidate] = {
        "materialized jaxloss": lambda x, w, y: jnp.mean(
            jaxloss.sparse_categorical_crossentropy(y, x @ w, from_logits=True)
        ),
        "materialized optax": lambda x, w, y: jnp.mean(optax.softmax_cross_entropy_with_integer_labels(x @ w, y)),
    }
    if tokamax is not None:
        found["tokamax xla"] = lambda x, w, y: tokamax.linear_softmax_cross_entropy_loss(
            x, y, w, reduction="mean", implementation="xla"
        )
    found["jaxloss blockwise"] = lambda x, w, y: jaxloss.LinearSoftmaxCrossentropy()(y, x, kernel=w)
    return found


def inputs(n: int, h: int, v: int, seed: int = 0) -> tuple[jax.Array, jax.Array, jax.Array]:
    rng = np.random.default_rng(seed)
    features = jnp.asarray(rng.normal(size=(n, h)), jnp.float32)
    kernel = jnp.asarray(rng.normal(size=(h, v)) / np.sqrt(h), jnp.float32)
    return features, kernel, jnp.asarray(rng.integers(0, v, n), jnp.int32)


def value_and_grad(f: Candidate) -> Callable[..., object]:
    return jax.jit(jax.value_and_grad(f, argnums=(0, 1)))


def temp_mb(f: Candidate, x: jax.Array, w: jax.Array, y: jax.Array) -> float:
    analysis = value_and_grad(f).lower(x, w, y).compile().memory_analysis()
    return analysis.temp_size_in_bytes / 1e6 if analysis else float("nan")


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


def measure(shape: tuple[int, int, int], runs: int) -> dict[str, dict[str, float]]:
    x, w, y = inputs(*shape)
    found = candidates()
    compiled = {k: value_and_grad(f).lower(x, w, y).compile() for k, f in found.items()}
    results = {k: {"temp_mb": c.memory_analysis().temp_size_in_bytes / 1e6, "vg": []} for k, c in compiled.items()}
    reference = jax.block_until_ready(compiled["materialized jaxloss"](x, w, y))
    for k, c in compiled.items():  # warm-up, and the same numbers as the reference
        value, grads = jax.block_until_ready(c(x, w, y))
        np.testing.assert_allclose(value, reference[0], rtol=1e-5, err_msg=k)
        for got, want in zip(grads, reference[1], strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6 * float(jnp.max(jnp.abs(want))), err_msg=k)
    for _ in range(runs):  # interleaved
        for k, c in compiled.items():
            results[k]["vg"].append(_timed(lambda c=c: c(x, w, y)))  # type: ignore[attr-defined]
    return {k: {**r, "vg": statistics.median(r["vg"]) * 1e3} for k, r in results.items()}  # type: ignore[arg-type]


def sweep(path: str, n: int = 4096, h: int = 512) -> list[str]:
    """Temporary memory against vocabulary size, compiled only; plotted to `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [2**k for k in range(13, 19)]
    memory: dict[str, list[float]] = {k: [] for k in candidates()}
    for v in sizes:
        # Shapes only: nothing is allocated or run.
        x, w = jax.ShapeDtypeStruct((n, h), jnp.float32), jax.ShapeDtypeStruct((h, v), jnp.float32)
        y = jax.ShapeDtypeStruct((n,), jnp.int32)
        for k, f in candidates().items():
            memory[k].append(temp_mb(f, x, w, y))  # type: ignore[arg-type]
    fig, ax = plt.subplots(figsize=(6, 4))
    for (k, values), style in zip(memory.items(), ["-", "--", ":", "-"], strict=False):
        ax.plot(sizes, values, style, marker="o", label=k)  # the materialized lines coincide
    ax.set(xscale="log", yscale="log", xlabel="vocabulary size V", ylabel="temporary memory of value_and_grad (MB)")
    ax.set_title(f"{n} tokens x {h} features, float32")
    ax.set_xticks(sizes, [f"{s // 1024}k" for s in sizes])
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    rows = [f"| V | {' | '.join(memory)} |", "|---|" + "---|" * len(memory)]
    rows += [f"| {v} | " + " | ".join(f"{memory[k][i]:.1f}" for k in memory) + " |" for i, v in enumerate(sizes)]
    return rows


def _write_section(path: str, text: str) -> None:
    """Replaces this benchmark's section of RESULTS.md (from its heading to the next `## ` or the end)."""
    old = open(path).read() if os.path.exists(path) else ""
    head, found, rest = old.partition(SECTION)
    tail = rest[rest.find("\n## ") :] if found and "\n## " in rest else ""
    with open(path, "w") as f:
        f.write(head.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n" + tail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--shapes", default="8192x1024x32768,4096x512x131072")
    parser.add_argument("--sweep", default="")
    parser.add_argument("--write", default="")
    args = parser.parse_args()
    if tokamax is not None:  # tokamax reads absl flags from sys.argv on first use: mark them parsed, without ours
        from absl import flags

        flags.FLAGS(sys.argv[:1])
    versions = f"tokamax {version('tokamax')}" if tokamax else "tokamax not installed"
    lines = [
        SECTION,
        "",
        "<!-- --8<-- [start:linear-ce] -->",
        "`python benchmarks/linear_ce.py` (value_and_grad w.r.t. features and kernel, float32)",
        "",
        f"jax {jax.__version__} on {jax.devices()[0].platform} ({platform.machine()}, {os.cpu_count()} cores); "
        f"optax {optax.__version__}; {versions}; median of {args.runs} runs",
        "",
        "| N x H x V | candidate | vg ms | temp MB | time / materialized | memory / materialized |",
        "|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for text in filter(None, args.shapes.split(",")):
        shape = tuple(int(s) for s in text.split("x"))
        r = measure(shape, args.runs)  # type: ignore[arg-type]
        base = min((r[k] for k in r if k.startswith("materialized")), key=lambda m: m["vg"])
        base_mem = min(r[k]["temp_mb"] for k in r if k.startswith("materialized"))
        for k, m in r.items():
            line = (
                f"| {text} | {k} | {m['vg']:.0f} | {m['temp_mb']:.1f} | {m['vg'] / base['vg']:.2f} | "
                f"{m['temp_mb'] / base_mem:.3f} |"
            )
            lines.append(line)
            print(line, flush=True)
    lines.append("\nRatios are to the faster (time) and the leaner (memory) of the two materialized candidates.")
    if args.sweep:
        rows = sweep(args.sweep)
        lines += ["", "Temporary memory (MB) against V at 4096 x 512, compiled only (`--sweep`):", "", *rows]
        print("\n".join(rows))
    if args.write:
        _write_section(args.write, "\n".join(lines) + NOTES + "\n<!-- --8<-- [end:linear-ce] -->\n")
    return 0


NOTES = """

- tokamax 0.0.12, the newest release on the package registry, has two implementations of
  `linear_softmax_cross_entropy_loss`: `xla` and `mosaic_tpu` (a Pallas kernel for TPUs only). The
  `chunked_xla` one is not in a release, so that candidate is skipped. The `xla` one is shown for
  reference: it materializes the logits in its forward pass and again in its backward pass (it keeps
  only the logsumexp and recomputes `x @ w`), so it runs the same four matrix products as jaxloss's
  blockwise pass, as four large ones, at the full (N x V) memory. It has no ignore index, label
  smoothing, z-loss, soft-cap, bias or per-token weights (its backward takes one scalar cotangent).
- jaxloss's blockwise pass computes the logits twice (forward, then again in the backward pass): four
  matrix products where the materialized sparse crossentropies have three, in blocks of 1024 tokens x
  4096 classes. On the CPU the extra product costs about what the materialized candidates spend on
  passes over the (N x V) logits and their gradient. Block sizes from 512 x 4096 to 4096 x 2048 give
  the same time within 2% (8192 x 1024 x 32768).
"""


if __name__ == "__main__":
    sys.exit(main())
