"""Differential check of jaxloss against keras.losses (values and gradients).

Draws random shapes, configs, reductions and sample weights for every loss
class, computes the reduced loss and its gradients with respect to `y_pred`,
a float `y_true` and an array `sample_weight` with Keras (JAX backend) and
with jaxloss on the same inputs, and compares them. Keras is taken with its
fixes made after 3.15.1 (`keras_reference`). With `--kinks`, the inputs sit
on the kinks of the losses that have them, where the gradient is a choice of
subgradient. With `--write`, what Keras produced is stored so that
`tests/test_keras_differential.py` replays it without Keras.

    python tools/keras_differential.py --per-loss 200            # live check
    python tools/keras_differential.py --per-loss 12 --write tests/data/keras_differential.json
    python tools/keras_differential.py --float64 --per-loss 3 --write tests/data/keras_float64.json
    python tools/keras_differential.py --kinks --per-loss 6 --write tests/data/keras_kinks.json

Inputs stay where Keras's math is sound (see README, "Differences from
Keras"): logits within the focal clip, weights that Keras broadcasts the
documented way, and CTC alignments that are feasible.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402

import jaxloss  # noqa: E402
from tests.keras_replay import TOLERANCES, compare, value_and_grad  # noqa: E402

REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None]


def _f32(x):
    return np.asarray(x, np.float32)


def draw(name: str, rng: np.random.Generator) -> dict:
    """One random case for the loss class `name`: config, inputs, weights."""
    batch = int(rng.integers(1, 5))
    time = int(rng.integers(1, 4)) if rng.random() < 0.3 else None
    lead = (batch,) if time is None else (batch, time)
    d = int(rng.integers(2, 6))
    cfg: dict = {}
    if name in ("MeanSquaredError", "MeanAbsoluteError", "LogCosh", "Huber", "CosineSimilarity"):
        y_true, y_pred = rng.normal(0, 2, lead + (d,)), rng.normal(0, 2, lead + (d,))
        if name == "Huber":
            cfg["delta"] = float(rng.choice([0.3, 1.0, 2.5]))
    elif name == "MeanAbsolutePercentageError":
        y_true, y_pred = (
            rng.choice([-1, 1], lead + (d,)) * rng.uniform(0.2, 3, lead + (d,)),
            rng.normal(0, 2, lead + (d,)),
        )
    elif name in ("MeanSquaredLogarithmicError", "Poisson"):
        y_true, y_pred = rng.uniform(0.05, 4, lead + (d,)), rng.uniform(0.05, 4, lead + (d,))
    elif name in ("Hinge", "SquaredHinge"):
        y_true = rng.integers(0, 2, lead + (d,)) * (2 if rng.random() < 0.5 else 1) - (1 if rng.random() < 0.5 else 0)
        y_true, y_pred = np.where(y_true == 0, 0, np.sign(y_true)), rng.normal(0, 1.5, lead + (d,))
    elif name in ("CategoricalHinge", "KLDivergence", "CategoricalCrossentropy", "CategoricalFocalCrossentropy"):
        y_true = np.eye(d)[rng.integers(0, d, lead)]
        logits = name != "KLDivergence" and rng.random() < 0.5
        y_pred = (
            rng.normal(0, 2, lead + (d,)) if (logits or name == "CategoricalHinge") else rng.dirichlet(np.ones(d), lead)
        )
        if name in ("CategoricalCrossentropy", "CategoricalFocalCrossentropy"):
            cfg["from_logits"] = bool(logits)
            cfg["label_smoothing"] = float(rng.choice([0.0, 0.1, 0.3]))
            if time is not None and rng.random() < 0.5:  # class axis 1 of (B, K, T): Keras #23437 territory
                y_true, y_pred, cfg["axis"] = np.moveaxis(y_true, -1, 1), np.moveaxis(y_pred, -1, 1), 1
        if name == "CategoricalFocalCrossentropy":
            cfg["gamma"] = float(rng.choice([0.0, 1.0, 2.0, 3.5]))
            cfg["alpha"] = (
                [float(a) for a in rng.uniform(0.1, 1, d)] if rng.random() < 0.4 else float(rng.uniform(0.1, 1))
            )
        if name == "KLDivergence":
            y_true = rng.dirichlet(np.ones(d), lead)
    elif name in ("BinaryCrossentropy", "BinaryFocalCrossentropy"):
        logits = rng.random() < 0.5
        y_true = rng.integers(0, 2, lead + (d,)).astype(float)
        y_pred = rng.normal(0, 3, lead + (d,)) if logits else rng.uniform(0.01, 0.99, lead + (d,))
        cfg.update(from_logits=bool(logits), label_smoothing=float(rng.choice([0.0, 0.2])))
        if name == "BinaryFocalCrossentropy":
            cfg.update(
                gamma=float(rng.choice([0.0, 1.0, 2.0, 3.0])),
                alpha=float(rng.uniform(0.1, 0.9)),
                apply_class_balancing=bool(rng.random() < 0.5),
            )
    elif name == "SparseCategoricalCrossentropy":
        logits = rng.random() < 0.5
        ignore = -1 if rng.random() < 0.4 else None
        y_true = rng.integers(-1 if ignore is not None else 0, d, lead)
        y_pred = rng.normal(0, 2, lead + (d,)) if logits else rng.dirichlet(np.ones(d), lead)
        cfg.update(from_logits=bool(logits), ignore_class=ignore)
    elif name == "CategoricalGeneralizedCrossEntropy":
        lead = (batch,)
        y_true, y_pred = rng.integers(0, d, lead), rng.dirichlet(np.ones(d), lead)
        cfg["q"] = float(rng.choice([0.2, 0.5, 0.8]))
    elif name in ("Dice", "Tversky"):
        y_true, y_pred = rng.integers(0, 2, lead + (d,)).astype(float), rng.uniform(0, 1, lead + (d,))
        cfg["axis"] = None if rng.random() < 0.4 else -1
        if name == "Tversky":
            cfg.update(alpha=float(rng.uniform(0, 1)), beta=float(rng.uniform(0, 1)))
    elif name == "Circle":
        lead = (int(rng.integers(3, 7)),)
        y_true = rng.integers(0, 3, lead)
        x = rng.normal(size=lead + (d,))
        y_pred = x / np.linalg.norm(x, axis=-1, keepdims=True)
        cfg.update(
            gamma=float(rng.choice([16.0, 80.0])),
            margin=float(rng.choice([0.25, 0.4])),
            remove_diagonal=bool(rng.random() < 0.7),
        )
    elif name == "CTC":
        label_len = int(rng.integers(1, 4))
        lead = (batch,)
        y_true = rng.integers(1, d, lead + (label_len,))
        y_true[:, -1] = np.where(rng.random(batch) < 0.3, 0, y_true[:, -1])  # right padding
        y_pred = rng.normal(0, 1, lead + (2 * label_len + 2, d))
    else:
        raise KeyError(name)
    reduction = REDUCTIONS[rng.integers(len(REDUCTIONS))]
    per_sample_rank = 0 if cfg.get("axis", -1) is None else len(lead)
    if cfg.get("axis") == 1:  # the per-sample loss of (B, K, T) along axis 1 is (B, T)
        lead = (batch, np.shape(y_true)[2])
    weight_kind = rng.integers(4) if per_sample_rank else rng.integers(2)
    sample_weight = [None, float(rng.uniform(0.5, 2)), rng.uniform(0, 2, lead), rng.uniform(0, 2, lead[:1] + (1,))][
        weight_kind
    ]
    if weight_kind == 3 and len(lead) == 2:
        sample_weight = rng.uniform(0, 2, lead)  # Keras only broadcasts (B, 1) on rank-1 values.
    if name == "Dice" and cfg["axis"] is None and weight_kind:
        sample_weight = float(rng.uniform(0.5, 2))
    cfg["reduction"] = reduction
    return {
        "loss": name,
        "config": cfg,
        "y_true": np.asarray(y_true).tolist(),
        "y_pred": _f32(y_pred).tolist(),
        "sample_weight": None if sample_weight is None else np.asarray(sample_weight, np.float32).tolist(),
    }


def draw_kink(name: str, rng: np.random.Generator) -> dict | None:
    """A case whose inputs sit on a kink (a max, abs, clip or branch switch), or None if the loss has none.

    There the derivative is a choice of subgradient; jaxloss must make Keras's.
    Sample weights include zeros, so the weight gradient is checked where a weight is 0.
    """
    batch, d = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    shape = (batch, d)
    on = rng.random(shape) < 0.6  # which entries sit exactly on the kink
    cfg: dict = {}
    if name == "Huber":
        cfg["delta"] = float(rng.choice([0.5, 1.0, 2.0]))
        y_true = rng.integers(-3, 4, shape).astype(float)
        y_pred = np.where(on, y_true + rng.choice([-1.0, 1.0], shape) * cfg["delta"], rng.normal(0, 2, shape))
    elif name in ("MeanAbsoluteError", "MeanAbsolutePercentageError"):
        y_true = rng.integers(-3, 4, shape).astype(float)
        y_pred = np.where(on, y_true, rng.normal(0, 2, shape))
    elif name in ("Poisson", "MeanSquaredLogarithmicError"):
        y_true = rng.integers(0, 4, shape).astype(float)
        y_pred = np.where(on, 0.0, rng.uniform(0.1, 3, shape))
    elif name in ("Hinge", "SquaredHinge"):
        y_true = rng.choice([-1.0, 1.0], shape)
        y_pred = np.where(on, y_true, rng.normal(0, 1.5, shape))  # margin 1 - y * p == 0 exactly
    elif name == "CategoricalHinge":
        y_true = np.eye(d)[rng.integers(0, d, batch)]
        y_pred = np.where(y_true == 1, 1.0, 0.0) + np.where(on & (y_true == 0), 0.0, 0.5 * (y_true == 0))  # ties
    elif name in (
        "KLDivergence",
        "CategoricalCrossentropy",
        "CategoricalFocalCrossentropy",
        "BinaryCrossentropy",
        "BinaryFocalCrossentropy",
        "SparseCategoricalCrossentropy",
    ):
        labels = rng.integers(0, d, batch)
        y_pred = np.eye(d)[rng.integers(0, d, batch)]  # exact 0s and 1s: on the probability clip
        y_true = labels if name == "SparseCategoricalCrossentropy" else np.eye(d)[labels]
        if name == "BinaryCrossentropy" or name == "BinaryFocalCrossentropy":
            y_true = rng.integers(0, 2, shape).astype(float)
        if name in ("BinaryFocalCrossentropy", "CategoricalFocalCrossentropy"):
            cfg["gamma"] = float(rng.choice([1.0, 2.0, 3.0]))  # gamma 0 at 1 - p_t = 0: Keras's power gives NaN
    else:
        return None
    weights = rng.uniform(0, 2, (batch,)) * (rng.random(batch) < 0.6)  # some exact zeros
    cfg["reduction"] = REDUCTIONS[rng.integers(len(REDUCTIONS))]
    return {
        "loss": name,
        "config": cfg,
        "y_true": np.asarray(y_true).tolist(),
        "y_pred": _f32(y_pred).tolist(),
        "sample_weight": _f32(weights).tolist(),
    }


def keras_reference(keras, name: str, config: dict):
    """`keras.losses.<name>(**config)`, with the fixes Keras made after 3.15.1 applied.

    - Tversky (#23333): 3.15.1 weights the false negatives by `alpha`, so the
      fixed loss is 3.15.1's with `alpha` and `beta` swapped.
    - Categorical (focal) crossentropy on a class axis other than the last
      (#23437): 3.15.1 takes K for label smoothing (and lays a list `alpha`)
      along the last axis, so the class axis is moved last first.
    """
    config = dict(config)
    if name == "Tversky":
        config["alpha"], config["beta"] = config.get("beta", 0.5), config.get("alpha", 0.5)
    axis = config.get("axis", -1)
    if name in ("CategoricalCrossentropy", "CategoricalFocalCrossentropy") and axis != -1:
        loss = getattr(keras.losses, name)(**{**config, "axis": -1})
        move = lambda x: None if x is None else jax.numpy.moveaxis(x, axis, -1)  # noqa: E731
        return lambda y_true, y_pred, sw=None: loss(move(y_true), move(y_pred), sw)
    return getattr(keras.losses, name)(**config)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-loss", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", help="store the Keras results here as JSON")
    parser.add_argument("--float64", action="store_true", help='Keras with floatx="float64", jaxloss with x64')
    parser.add_argument("--kinks", action="store_true", help="inputs on kinks (max, abs, clip, branch switches)")
    args = parser.parse_args()
    dtype = "float64" if args.float64 else "float32"
    if args.float64:
        jax.config.update("jax_enable_x64", True)
    import keras

    keras.config.set_floatx(dtype)

    rng = np.random.default_rng(args.seed)
    names = [cls.__name__ for cls in jaxloss._src.classes.LOSSES if cls.in_keras]
    stored, failures, counts = [], 0, {}
    for name in names:
        for _ in range(args.per_loss):
            drawn = draw_kink(name, rng) if args.kinks else draw(name, rng)
            if drawn is None:
                break
            case = {**drawn, "dtype": dtype}
            if args.float64:  # redraw y_pred in float64 precision
                case["y_pred"] = np.asarray(case["y_pred"], np.float64).tolist()
            expected = value_and_grad(keras_reference(keras, name, case["config"]), case)
            problem = compare(case, expected)
            counts[name] = counts.get(name, 0) + 1
            if problem:
                failures += 1
                print(f"MISMATCH {name} {case['config']}: {problem}")
            stored.append({**case, "keras": {k: v.tolist() for k, v in expected.items()}})
    total = sum(counts.values())
    rtol, _, grad_rtol, _ = TOLERANCES[dtype]
    print(
        f"keras {keras.__version__} vs jaxloss, {dtype}: {total - failures} of {total} random cases agree in value "
        f"(rtol {rtol}) and gradient (rtol {grad_rtol}) across {len(counts)} losses"
    )
    if args.write:
        with open(args.write, "w") as f:
            json.dump({"keras_version": keras.__version__, "dtype": dtype, "cases": stored}, f, separators=(",", ":"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
