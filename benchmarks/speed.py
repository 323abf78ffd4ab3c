"""Speed of every loss against its peers (keras.losses on JAX, optax), in one process.

Each candidate is jitted and reduced to a scalar mean; the forward pass and
`value_and_grad` w.r.t. `y_pred` are timed with the candidates interleaved
(their order rotated from run to run: what ran just before a call, and what
it left in the caches, changes its time), and the median of `--runs` calls is
reported in ms. The ratio is jaxloss / the fastest peer (< 1: jaxloss is
faster): the median over the runs of the two calls' ratio within each run, so
a slow moment of the machine slows both sides of a ratio. A/A is the same
ratio for jaxloss's program compiled and timed a second time, against itself:
the noise a ratio carries. The floor is the time to read the inputs once
(`jnp.sum` over `y_true` and `y_pred`). Compile times (trace, lower, compile)
are the median of three, the candidates interleaved.

    python benchmarks/speed.py [--runs 15] [--shapes 4096x512,8192x1024] [--only huber,...] [--write benchmarks/RESULTS.md]

Dense losses run at `--shapes`; sparse crossentropy also runs at a language-model
shape (8 x 512 tokens x 32,000 classes, bf16 logits) and CTC at its two shapes
(B x T x C x L), whatever `--shapes` says.

Needs optax; Keras is used if installed (KERAS_BACKEND=jax).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

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

Loss = Callable[[jax.Array, jax.Array], jax.Array]


def _ctc_inputs(shape: tuple[int, ...], rng: np.random.Generator) -> tuple[dict[str, jax.Array], jax.Array]:
    """Labels right-padded with the blank 0, lengths and both paddings: every peer's form of the same batch."""
    batch, time_steps, classes, max_label = shape
    lengths = rng.integers(max_label // 2, max_label + 1, batch)
    padding = np.arange(max_label)[None, :] >= lengths[:, None]
    labels = np.where(padding, 0, rng.integers(1, classes, (batch, max_label)))
    aux = {
        "labels": jnp.asarray(labels, jnp.int32),
        "lengths": jnp.asarray(lengths, jnp.int32),
        "label_paddings": jnp.asarray(padding, jnp.float32),
        "logit_paddings": jnp.zeros((batch, time_steps), jnp.float32),
    }
    return aux, jnp.asarray(rng.normal(size=(batch, time_steps, classes)), jnp.float32)


def _inputs(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> tuple[jax.Array, jax.Array]:
    if kind == "ctc":
        return _ctc_inputs(shape, rng)  # type: ignore[return-value]
    if kind == "dense":
        return jnp.asarray(rng.normal(size=shape), jnp.float32), jnp.asarray(rng.normal(size=shape), jnp.float32)
    if kind == "binary":
        return jnp.asarray(rng.integers(0, 2, shape), jnp.float32), jnp.asarray(rng.normal(0, 3, shape), jnp.float32)
    if kind == "binary_probs":
        return jnp.asarray(rng.integers(0, 2, shape), jnp.float32), jnp.asarray(
            rng.uniform(0.01, 0.99, shape), jnp.float32
        )
    if kind == "positive":
        return jnp.asarray(rng.uniform(0, 3, shape), jnp.float32), jnp.asarray(rng.uniform(0.1, 3, shape), jnp.float32)
    labels = rng.integers(0, shape[-1], shape[:-1])
    logits = jnp.asarray(rng.normal(0, 2, shape), jnp.float32)
    if kind == "sparse":
        return jnp.asarray(labels, jnp.int32), logits
    if kind == "sparse_bf16":
        return jnp.asarray(labels, jnp.int32), logits.astype(jnp.bfloat16)
    one_hot = jnp.asarray(np.eye(shape[-1], dtype=np.float32)[labels])
    if kind == "onehot":
        return one_hot, logits
    if kind == "onehot_probs":
        return one_hot, jax.nn.softmax(logits, axis=-1)
    if kind == "distributions":
        return jax.nn.softmax(jnp.asarray(rng.normal(size=shape), jnp.float32), -1), jax.nn.softmax(logits, -1)
    raise KeyError(kind)


def _keras(name: str, **config) -> Loss | None:
    if keras is None:
        return None
    loss = getattr(keras.losses, name)(**config)
    return lambda t, p: loss(t, p)


def _mean(f: Callable[..., jax.Array]) -> Loss:
    return lambda t, p: jnp.mean(f(t, p))


def _keras_ctc(t: dict[str, jax.Array], p: jax.Array) -> jax.Array:
    return jnp.mean(keras.losses.ctc(t["labels"], p))


# name -> (input kind, jaxloss, {peer: loss}, fixed shapes or None for `--shapes`)
LM_SHAPE = "4096x32000"  # 8 sequences x 512 tokens, a 32k vocabulary
CTC_SHAPES = "32x200x40x40,8x1000x5000x200"
CASES: dict[str, tuple[str, Loss, dict[str, Loss | None]] | tuple[str, Loss, dict[str, Loss | None], str]] = {
    "mean_squared_error": ("dense", jaxloss.MeanSquaredError(), {
        "optax": _mean(lambda t, p: jnp.mean(optax.squared_error(p, t), -1)), "keras": _keras("MeanSquaredError")}),
    "mean_absolute_error": ("dense", jaxloss.MeanAbsoluteError(), {"keras": _keras("MeanAbsoluteError")}),
    "huber": ("dense", jaxloss.Huber(), {
        "optax": _mean(lambda t, p: jnp.mean(optax.huber_loss(p, t), -1)), "keras": _keras("Huber")}),
    "log_cosh": ("dense", jaxloss.LogCosh(), {
        "optax": _mean(lambda t, p: jnp.mean(optax.log_cosh(p, t), -1)), "keras": _keras("LogCosh")}),
    "cosine_similarity": ("dense", jaxloss.CosineSimilarity(), {
        "optax": _mean(lambda t, p: -optax.cosine_similarity(p, t)), "keras": _keras("CosineSimilarity")}),
    "hinge": ("binary", jaxloss.Hinge(), {
        "optax": _mean(lambda t, p: jnp.mean(optax.hinge_loss(p, 2 * t - 1), -1)), "keras": _keras("Hinge")}),
    "poisson": ("positive", jaxloss.Poisson(), {"keras": _keras("Poisson")}),
    "kl_divergence": ("distributions", jaxloss.KLDivergence(), {
        "optax": _mean(lambda t, p: optax.kl_divergence(jnp.log(p), t)), "keras": _keras("KLDivergence")}),
    "binary_crossentropy (logits)": ("binary", jaxloss.BinaryCrossentropy(from_logits=True), {
        "optax": _mean(lambda t, p: jnp.mean(optax.sigmoid_binary_cross_entropy(p, t), -1)),
        "keras": _keras("BinaryCrossentropy", from_logits=True)}),
    "binary_crossentropy (probs)": ("binary_probs", jaxloss.BinaryCrossentropy(), {
        "keras": _keras("BinaryCrossentropy")}),
    "binary_focal (logits)": ("binary", jaxloss.BinaryFocalCrossentropy(from_logits=True), {
        "optax": _mean(lambda t, p: jnp.mean(optax.sigmoid_focal_loss(p, t, alpha=None, gamma=2.0), -1)),
        "keras": _keras("BinaryFocalCrossentropy", from_logits=True)}),
    "categorical_crossentropy (logits)": ("onehot", jaxloss.CategoricalCrossentropy(from_logits=True), {
        "optax": _mean(lambda t, p: optax.softmax_cross_entropy(p, t)),
        "keras": _keras("CategoricalCrossentropy", from_logits=True)}),
    "categorical_crossentropy (probs)": ("onehot_probs", jaxloss.CategoricalCrossentropy(), {
        "keras": _keras("CategoricalCrossentropy")}),
    "categorical_focal (logits)": ("onehot", jaxloss.CategoricalFocalCrossentropy(from_logits=True), {
        "keras": _keras("CategoricalFocalCrossentropy", from_logits=True)}),
    "sparse_categorical_crossentropy (logits)": ("sparse", jaxloss.SparseCategoricalCrossentropy(from_logits=True), {
        "optax": _mean(lambda t, p: optax.softmax_cross_entropy_with_integer_labels(p, t)),
        "keras": _keras("SparseCategoricalCrossentropy", from_logits=True)}),
    "sparse_categorical_crossentropy (LM, bf16)": ("sparse_bf16", jaxloss.SparseCategoricalCrossentropy(from_logits=True), {
        "optax": _mean(lambda t, p: optax.softmax_cross_entropy_with_integer_labels(p, t)),
        "keras": _keras("SparseCategoricalCrossentropy", from_logits=True)}, LM_SHAPE),
    "ctc": ("ctc", lambda t, p: jnp.mean(jaxloss.ctc(t["labels"], p, label_length=t["lengths"])), {
        "optax": _mean(lambda t, p: optax.ctc_loss(p, t["logit_paddings"], t["labels"], t["label_paddings"])),
        "keras": _keras_ctc if keras is not None else None}, CTC_SHAPES),
}  # fmt: skip


NOTES = """
## Where the time goes (profiles: `jax.jit(f).lower(...).compile().as_text()`)

On the CPU, XLA hands elementwise-and-reduce chains to YNNPACK fusions (`__ynn_fusion`), which run a
whole loss in one pass over the inputs. A `select` (`jnp.where`, and the gradients of `jnp.maximum` and
`jnp.clip`), a `clamp` (XLA folds `minimum(maximum(x, a), b)` into one), and an array (or a broadcast
constant) shared by the value's pass and the gradient's pass are not taken: each ends the fusion, and the
arrays on both sides are written to memory. jaxloss therefore writes its guards without selects: custom
JVPs whose derivatives are computed from the inputs, not from the value's intermediates (BCE, binary and
categorical focal, CCE and sparse CE from logits, huber, log_cosh, cosine); clips as
`-max(-max(x, low), -high)`; the row max clamped after its reduction; powers select-free with the guards
in their derivatives; a weight times a term that may be +inf as `w min(x, |w| big^3)` (0 at w = 0, the
exact product elsewhere), not `0 * inf` and not a division; the constants of a derivative (KL's eps,
Poisson's 0 and eps) behind an optimization barrier (`opaque`), so XLA does not merge them with the value's
into one broadcast array (KL and Poisson `value_and_grad` wrote 8.4 MB each at 4096x512 and ran at
1.1-1.5x the fastest peer; without it 0 MB, 0.85-0.94x). The second table's static counts show where the
programs differ.
Where jaxloss is still slower, the profiles show what the exactness costs:

- **Hinge:** Keras's batch-wide test "every label is 0 or 1" must read `y_true` before any loss term
  (optax does no test and takes {-1, 1} labels only): 24 MB read against optax's 16 MB at 4096x512, a
  floor of 1.5x for the forward pass (1.4-1.7x measured alone, more after another candidate's gradient
  has flushed the caches). `lax.cond` keeps each branch one fused pass; the label flag as arithmetic
  (`t + b (t - 1)`) instead of a cond measured no faster; one pass with both readings and the flag,
  as one variadic reduction, 2.1x optax (XLA's own loop emitter, not YNNPACK), as three reductions 4.0x.
  The read-once floor is a pure sum: optax's hinge itself, with no label test, runs at 1.3-1.8x of it
  (an elementwise step before a reduction costs XLA's CPU fusion that much), so jaxloss's 2.5-2.8x is
  the test's 1.5x on top of that; within 2x of the floor is out of reach with Keras's label test.
- **CCE / sparse CE from logits:** the same passes as optax's (row max, exponentials, loss; the gradient
  from the stored exponentials), plus the elementwise work that keeps `+inf` and `-inf` logits exact
  (optax and Keras give NaN there). Measured at 4096x512 and 8192x1024, against optax's 1.0: the same
  program without guards 1.0-1.05x; with `-log p` read at most max float (a zero label on a `-inf` logit
  gives 0, but a positive one gives `t max` instead of `+inf`) 1.15x; exact, `t min(-log p, |t| big^3)`
  (jaxloss) 1.35x, where each multiplication by `big` costs 0.05-0.1x (two suffice where denormals are
  flushed, as on this CPU; the third keeps denormal labels exact where they are not); with the `+inf`
  restored by a division-based indicator (jaxloss before) 1.5-1.6x, or per row (a second reduction in the
  pass) 1.4-1.5x. A select, or `s max + s max`, is slower still. At the language-model shape the bf16
  logits are converted to float32 in memory before the fused pass (XLA's CPU fusions take no convert;
  optax stays in bf16, at bf16's precision), 1.1-1.5x forward; its value_and_grad is faster than optax's.
- **Cosine similarity:** the two squared norms, then the dot product scaled by both inverse norms in a
  dependent reduction (optax's shape of computation: three independent sums in one pass measured 1.2-1.5x
  optax). A batch whose squared norms overflow (vectors beyond about 1e19, where Keras's norm gives 0)
  is recomputed with each row scaled by a power of two, under a `lax.cond`: that branch is its compile
  time (0.13-0.18 s against Keras's 0.05 s; a `lax.cond` with a trivial second branch alone compiles in
  0.09-0.12 s). Without the cond, always scaling, it compiles in 0.12 s and runs 5.5x slower; with the
  plain and the 2^-96-scaled squared norms both summed in the first pass and chosen per row (no cond,
  exact to float max), it compiles in 0.06 s and runs 2.2-4.5x slower than optax.
- **CTC at 32x200x40x40:** the forward-backward derivative runs the alpha and the beta recursions as two
  scans of 200 steps, about 12 small kernels per step, each step on a 32x81 lattice: per-step overhead
  dominates. Measured (value_and_grad, the faster of optax and Keras 1.0): jaxloss 1.4-1.8x; the same
  recursions in plain float32 log space, as optax's (no double-float pairs), 1.23x, where optax's
  gradient error, and Keras's (the same float32 recursion, differentiated through its scan), is
  11-2000x jaxloss's (`benchmarks/ctc_precision.py`: 390x at 8x200x40x40, 2000x at 500 frames);
  without the per-frame rescaling, 1.4x and 17x the gradient error at 4x500x100x100; alpha and beta in
  one scan, 8.4 ms against 7.0 ms for the two (the recursions alone); `unroll=2..8`, no change.
- **Noise:** programs with identical fusions (huber and optax's, MSE and Keras's) measure 0.9-1.2x of
  each other from run to run; at 8192x1024 (32 MB per array) forward times swing by 2-4x on this 2-core
  machine. The ratios are therefore medians of ratios paired within each run, the candidates' order
  rotates, and the A/A column times jaxloss's own program, compiled twice, against itself: 0.90-1.53 in
  this run. A ratio above 1 within that spread, for a program that accesses no more memory than the
  peer's (second table), is not a measured difference.
"""


KEPT_SECTION = "## Large-vocabulary crossentropy"
CONTROL = "jaxloss again"


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


def measure(name: str, shape: tuple[int, ...], runs: int, seed: int = 0) -> dict[str, dict[str, float]]:
    kind, ours, peers = CASES[name][:3]
    y_true, y_pred = _inputs(kind, shape, np.random.default_rng(seed))
    candidates = {"jaxloss": ours, **{k: v for k, v in peers.items() if v is not None}}
    candidates[CONTROL] = lambda t, p: ours(t, p)  # jaxloss's program compiled again: the noise between twins
    fwd = {k: jax.jit(f) for k, f in candidates.items()}
    vg = {k: jax.jit(jax.value_and_grad(lambda p, t, f=f: f(t, p))) for k, f in candidates.items()}
    floor = jax.jit(lambda t, p: sum(jnp.sum(x) for x in jax.tree.leaves((t, p))))
    results: dict[str, dict[str, float]] = {k: {"fwd": [], "vg": []} for k in candidates}  # type: ignore[misc]
    floor_times = []
    compiles: dict[str, list[float]] = {k: [] for k in candidates if k != CONTROL}
    for _ in range(3):  # compile times, interleaved: the first compile in a process pays one-time costs
        for k in compiles:
            compiles[k].append(_timed(lambda k=k: _compiled(candidates[k], y_true, y_pred)))
    for k in candidates:  # warm-up and temporary memory
        results[k]["compile"] = statistics.median(compiles.get(k, [math.nan]))  # type: ignore[assignment]
        jax.block_until_ready(fwd[k](y_true, y_pred))
        jax.block_until_ready(vg[k](y_pred, y_true))
        compiled = jax.jit(vg[k]).lower(y_pred, y_true).compile()
        temp = compiled.memory_analysis()
        results[k]["temp_mb"] = (temp.temp_size_in_bytes if temp else 0) / 1e6  # type: ignore[assignment]
        results[k]["cost"] = (_cost(fwd[k].lower(y_true, y_pred).compile()), _cost(compiled))  # type: ignore[assignment]
    jax.block_until_ready(floor(y_true, y_pred))
    names = list(candidates)
    for run in range(runs):  # interleaved, the order rotated so no candidate always follows the same one
        floor_times.append(_timed(lambda: floor(y_true, y_pred)))
        for k in names[run % len(names) :] + names[: run % len(names)]:
            results[k]["fwd"].append(_timed(lambda k=k: fwd[k](y_true, y_pred)))  # type: ignore[attr-defined]
            results[k]["vg"].append(_timed(lambda k=k: vg[k](y_pred, y_true)))  # type: ignore[attr-defined]
    out = {k: {**v, "fwd": statistics.median(v["fwd"]) * 1e3, "vg": statistics.median(v["vg"]) * 1e3,
               "runs": {"fwd": v["fwd"], "vg": v["vg"]}}
           for k, v in results.items()}  # type: ignore[arg-type]  # fmt: skip
    out["floor"] = {"fwd": statistics.median(floor_times) * 1e3}
    return out


def _cost(compiled: jax.stages.Compiled) -> tuple[float, float]:
    """XLA's static count of the compiled program's memory traffic (MB) and arithmetic (Mflop, with transcendentals)."""
    analysis = compiled.cost_analysis() or {}
    analysis = analysis[0] if isinstance(analysis, list) else analysis  # older jax returns one per device
    return analysis.get("bytes accessed", 0.0) / 1e6, (
        analysis.get("flops", 0.0) + analysis.get("transcendentals", 0.0)
    ) / 1e6


def _compiled(f: Loss, y_true: jax.Array, y_pred: jax.Array) -> object:
    return jax.jit(lambda t, p: f(t, p)).lower(y_true, y_pred).compile()


def paired_ratio(ours: list[float], peer: list[float]) -> float:
    """The median over runs of ours / peer, each pair timed back to back in one run."""
    return statistics.median(a / b for a, b in zip(ours, peer, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--shapes", default="4096x512,8192x1024")
    parser.add_argument("--only", default="")
    parser.add_argument("--write", default="")
    args = parser.parse_args()
    names = [n for n in CASES if not args.only or any(o in n for o in args.only.split(","))]
    header = (
        f"jax {jax.__version__} on {jax.devices()[0].platform} ({platform.machine()}, {os.cpu_count()} cores); "
        f"optax {optax.__version__}; keras {getattr(keras, '__version__', 'absent')}; median of {args.runs} runs"
    )
    lines = [header, "",
             "| loss | shape | jaxloss fwd / vg ms | best peer fwd / vg ms | ratio fwd, vg | A/A fwd, vg | floor ms | "
             "x floor | compile s (jaxloss / keras) | temp MB vg (jaxloss / optax / keras) |",
             "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    print("\n".join(lines), flush=True)
    cost_lines = ["", "Compiled programs (XLA's cost analysis, not timed; the peer is the faster one above). A `lax.cond`",
                  "counts as its costlier branch: for the cosine, the overflow fallback, which runs only when a squared",
                  "norm overflows. CTC's scan bodies would count once, so it is left out.", "",
                  "| loss | shape | MB accessed fwd, vg (jaxloss / peer) | Mflop fwd, vg (jaxloss / peer) |",
                  "|---|---|---|---|"]  # fmt: skip
    ratios = []
    runs = [(n, s) for n in names for s in (CASES[n][3] if len(CASES[n]) == 4 else args.shapes).split(",")]  # type: ignore[misc]
    for name, shape_text in sorted(runs, key=lambda r: len(CASES[r[0]]) == 4):  # dense shapes first, then fixed ones
        shape = tuple(int(s) for s in shape_text.split("x"))
        r = measure(name, shape, args.runs)
        peers = [k for k in r if k not in ("jaxloss", "floor", CONTROL)]
        best_fwd = min(peers, key=lambda k: r[k]["fwd"])
        best_vg = min(peers, key=lambda k: r[k]["vg"])
        ratio = tuple(
            paired_ratio(r["jaxloss"]["runs"][m], r[best]["runs"][m])  # type: ignore[index]
            for m, best in (("fwd", best_fwd), ("vg", best_vg))
        )
        ratios += list(ratio)
        control = [paired_ratio(r[CONTROL]["runs"][m], r["jaxloss"]["runs"][m]) for m in ("fwd", "vg")]  # type: ignore[index]
        ours = r["jaxloss"]
        keras_compile = f"{r['keras']['compile']:.2f}" if "keras" in r else "-"
        line = (
            f"| {name} | {shape_text} | {ours['fwd']:.2f} / {ours['vg']:.2f} | "
            f"{best_fwd} {r[best_fwd]['fwd']:.2f} / {best_vg} {r[best_vg]['vg']:.2f} | "
            f"{ratio[0]:.2f}, {ratio[1]:.2f} | {control[0]:.2f}, {control[1]:.2f} | {r['floor']['fwd']:.2f} | {ours['fwd'] / r['floor']['fwd']:.1f} | "
            f"{ours['compile']:.2f} / {keras_compile} | "
            + " / ".join(f"{r[k]['temp_mb']:.1f}" if k in r else "-" for k in ("jaxloss", "optax", "keras"))
            + " |"
        )
        lines.append(line)
        print(line, flush=True)
        if CASES[name][0] != "ctc":
            (f_ours, v_ours), (f_peer, v_peer) = ours["cost"], (r[best_fwd]["cost"][0], r[best_vg]["cost"][1])  # type: ignore[index]
            cost_lines.append(
                f"| {name} | {shape_text} | {f_ours[0]:.1f} / {f_peer[0]:.1f}, {v_ours[0]:.1f} / {v_peer[0]:.1f} | "
                f"{f_ours[1]:.1f} / {f_peer[1]:.1f}, {v_ours[1]:.1f} / {v_peer[1]:.1f} |"
            )
    geo = math.exp(statistics.mean(math.log(x) for x in ratios))
    summary = f"\nGeometric mean of jaxloss / best peer over {len(ratios)} ratios: {geo:.2f}"
    lines += [summary, *cost_lines]
    print("\n".join([summary, *cost_lines]))
    if args.write:
        # Other benchmarks' sections (benchmarks/linear_ce.py's) follow this one's and are kept.
        old = open(args.write).read() if os.path.exists(args.write) else ""
        others = old[old.find(KEPT_SECTION) :] if KEPT_SECTION in old else ""
        with open(args.write, "w") as f:
            f.write("# Speed benchmark\n\n`python benchmarks/speed.py`\n\n" + "\n".join(lines) + "\n" + NOTES)
            f.write("\n" + others if others else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
