"""Stores torch's and optax's values and gradients for the beyond-Keras losses.

For random shapes and configs, each peer's per-sample loss (its `reduction="none"`
output, averaged over the last axis where it is elementwise) and the gradient
of their sum w.r.t. every float input are kept in
`tests/data/beyond_references.json`; `tests/test_beyond.py` replays them
against jaxloss without torch or optax installed.

    python tools/beyond_references.py [--per-loss 15] [--write tests/data/beyond_references.json]

Needs torch (`pip install torch==2.13.0`) and optax.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def _torch_case(rng, name):
    """(config, inputs, the float inputs to differentiate, the peer's per-sample function)."""
    import torch.nn.functional as F

    b, d = int(rng.choice([1, 3])), int(rng.choice([1, 4]))  # few shapes: the replay compiles each once
    pred = rng.normal(0, 2, (b, d)).astype(np.float32)
    if name == "smooth_l1":
        config = {"beta": float(rng.choice([0.0, 0.3, 1.0, 2.5]))}
        inputs = {"y_true": rng.normal(0, 2, (b, d)).astype(np.float32), "y_pred": pred}
        return (
            config,
            inputs,
            ["y_true", "y_pred"],
            lambda t: F.smooth_l1_loss(t["y_pred"], t["y_true"], beta=config["beta"], reduction="none").mean(-1),
        )
    if name == "gaussian_nll":
        config = {"full": bool(rng.integers(0, 2)), "eps": float(rng.choice([1e-6, 1e-3]))}
        per_row = bool(rng.integers(0, 2))
        var = rng.uniform(0.05, 3.0, (b,) if per_row else (b, d)).astype(np.float32)
        var.flat[0] = 1e-8  # below eps: clamped value, unclamped gradient (torch)
        inputs = {"y_true": rng.normal(0, 2, (b, d)).astype(np.float32), "y_pred": pred, "variance": var}
        return (
            config,
            inputs,
            ["y_true", "y_pred", "variance"],
            lambda t: (
                F.gaussian_nll_loss(
                    t["y_pred"], t["y_true"], t["variance"], full=config["full"], eps=config["eps"], reduction="none"
                )
                .reshape(b, -1)
                .expand(b, d)
                .mean(-1)
                if per_row
                else F.gaussian_nll_loss(
                    t["y_pred"], t["y_true"], t["variance"], full=config["full"], eps=config["eps"], reduction="none"
                ).mean(-1)
            ),
        )
    if name == "poisson_nll":
        config = {"log_input": bool(rng.integers(0, 2)), "full": bool(rng.integers(0, 2)), "eps": 1e-8}
        if not config["log_input"]:
            pred = rng.uniform(0.05, 4.0, (b, d)).astype(np.float32)
        inputs = {"y_true": rng.integers(0, 6, (b, d)).astype(np.float32), "y_pred": pred}
        return (
            config,
            inputs,
            ["y_pred"],
            lambda t: F.poisson_nll_loss(
                t["y_pred"],
                t["y_true"],
                log_input=config["log_input"],
                full=config["full"],
                eps=config["eps"],
                reduction="none",
            ).mean(-1),
        )
    if name in ("margin_ranking", "cosine_embedding"):
        ranking = name == "margin_ranking"
        config = {"margin": float(rng.choice([0.0, 0.2, 1.0] if ranking else [0.0, 0.3, -0.2]))}
        inputs = {
            # margin_ranking labels each element, cosine_embedding each row.
            "y_true": rng.choice([-1.0, 1.0], (b, d) if ranking else (b,)).astype(np.float32),
            "y_pred": pred,
            "other": rng.normal(0, 2, (b, d)).astype(np.float32),
        }
        torch_fn = F.margin_ranking_loss if ranking else F.cosine_embedding_loss

        def per_sample(t):
            values = torch_fn(t["y_pred"], t["other"], t["y_true"], margin=config["margin"], reduction="none")
            return values.mean(-1) if ranking else values

        return config, inputs, ["y_pred", "other"], per_sample
    if name == "multilabel_soft_margin":
        inputs = {"y_true": rng.integers(0, 2, (b, d)).astype(np.float32), "y_pred": pred}
        return (
            {},
            inputs,
            ["y_pred"],
            lambda t: F.multilabel_soft_margin_loss(t["y_pred"], t["y_true"], reduction="none"),
        )
    raise KeyError(name)


def _optax_case(rng, name):
    import jax.numpy as jnp
    import optax

    b, d = int(rng.choice([1, 3])), int(rng.choice([2, 4]))
    pred = rng.normal(0, 2, (b, d)).astype(np.float32)
    if name == "perceptron (binary)":
        inputs = {"y_true": rng.choice([-1.0, 1.0], (b, d)).astype(np.float32), "y_pred": pred}
        return {}, inputs, ["y_pred"], lambda t: jnp.mean(optax.losses.perceptron_loss(t["y_pred"], t["y_true"]), -1)
    if name == "perceptron (multiclass)":
        inputs = {"y_true": rng.integers(0, d, (b,)).astype(np.int32), "y_pred": pred}
        return {}, inputs, ["y_pred"], lambda t: optax.losses.multiclass_perceptron_loss(t["y_pred"], t["y_true"])
    raise KeyError(name)


TORCH = ["smooth_l1", "gaussian_nll", "poisson_nll", "margin_ranking", "cosine_embedding", "multilabel_soft_margin"]
OPTAX = ["perceptron (binary)", "perceptron (multiclass)"]


def main() -> int:
    import jax
    import jax.numpy as jnp
    import torch

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-loss", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", default="tests/data/beyond_references.json")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    records = []
    for peer, names, make in (("torch", TORCH, _torch_case), ("optax", OPTAX, _optax_case)):
        for name in names:
            for _ in range(args.per_loss):
                config, inputs, diff, per_sample = make(rng, name)
                if peer == "torch":
                    tensors = {k: torch.tensor(v, requires_grad=k in diff) for k, v in inputs.items()}
                    values = per_sample(tensors)
                    values.sum().backward()
                    grads = {k: tensors[k].grad.numpy().tolist() for k in diff}
                    values = values.detach().numpy()
                else:
                    arrays = {k: jnp.asarray(v) for k, v in inputs.items()}
                    values = np.asarray(per_sample(arrays))
                    g = jax.grad(lambda a: jnp.sum(per_sample({**arrays, **a})))({k: arrays[k] for k in diff})
                    grads = {k: np.asarray(v).tolist() for k, v in g.items()}
                records.append({
                    "peer": peer, "loss": name.split(" ")[0], "config": config,
                    "inputs": {k: {"value": v.tolist(), "dtype": str(v.dtype)} for k, v in inputs.items()},
                    "values": values.tolist(), "grads": grads,
                })  # fmt: skip
    with open(args.write, "w") as f:
        json.dump({"torch": torch.__version__, "records": records}, f)
    counts = {p: sum(r["peer"] == p for r in records) for p in ("torch", "optax")}
    print(f"wrote {len(records)} records ({counts}) to {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
