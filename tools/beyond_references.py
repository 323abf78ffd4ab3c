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


def _kl_targets(rng, b, d, pred):
    """kl_divergence(from_logits=True) inputs: targets (or their logs) bounded away from 0."""
    config = {"from_logits": True, "log_target": bool(rng.integers(0, 2))}
    target = rng.dirichlet(np.full(d, 2.0), b).clip(1e-3).astype(np.float32)
    return config, {"y_true": np.log(target) if config["log_target"] else target, "y_pred": pred}


def _ids_or_one_hot(rng, b, d, pred):
    """Random class ids, passed to jaxloss as ids or one-hot at random; the ids are what optax takes."""
    labels = rng.integers(0, d, (b,))
    one_hot = bool(rng.integers(0, 2))
    return labels, {
        "y_true": np.eye(d, dtype=np.float32)[labels] if one_hot else labels.astype(np.int32),
        "y_pred": pred,
    }


def _torch_case(rng, name):
    """(config, inputs, the float inputs to differentiate, the peer's per-sample function)."""
    import torch
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
    if name == "triplet_margin":
        config = {
            "margin": float(rng.choice([0.1, 0.5, 2.0])),  # torch requires a positive margin
            "p": float(rng.choice([1.0, 2.0, 3.0])),
            "eps": float(rng.choice([0.0, 1e-6, 1e-2])),
            "swap": bool(rng.integers(0, 2)),
        }
        inputs = {"y_pred": pred, **{k: rng.normal(0, 2, (b, d)).astype(np.float32) for k in ("positive", "negative")}}
        return (
            config,
            inputs,
            ["y_pred", "positive", "negative"],
            lambda t: F.triplet_margin_loss(
                t["y_pred"],
                t["positive"],
                t["negative"],
                margin=config["margin"],
                p=config["p"],
                eps=config["eps"],
                swap=config["swap"],
                reduction="none",
            ),  # fmt: skip
        )
    if name == "binary_crossentropy (pos_weight)":
        per_class = bool(rng.integers(0, 2))
        weight = rng.uniform(0.2, 4.0, (d,)) if per_class else rng.uniform(0.2, 4.0)
        config = {"from_logits": True, "pos_weight": np.round(weight, 3).tolist()}
        inputs = {"y_true": rng.uniform(0, 1, (b, d)).astype(np.float32), "y_pred": pred}
        return (
            config,
            inputs,
            ["y_true", "y_pred"],
            lambda t: F.binary_cross_entropy_with_logits(
                t["y_pred"], t["y_true"], pos_weight=torch.tensor(config["pos_weight"]), reduction="none"
            ).mean(-1),
        )
    if name == "kl_divergence (log_target)":
        config, inputs = _kl_targets(rng, b, d, pred)
        return (
            config,
            inputs,
            ["y_true", "y_pred"],
            lambda t: F.kl_div(
                F.log_softmax(t["y_pred"], -1), t["y_true"], log_target=config["log_target"], reduction="none"
            ).sum(-1),
        )
    if name == "sparse_categorical_crossentropy (label_smoothing)":
        config = {"from_logits": True, "label_smoothing": float(rng.choice([0.05, 0.1, 0.4])), "ignore_class": -1}
        inputs = {"y_true": rng.integers(-1, d, (b,)).astype(np.int32), "y_pred": pred}
        return (
            config,
            inputs,
            ["y_pred"],
            lambda t: F.cross_entropy(
                t["y_pred"],
                t["y_true"].long(),
                ignore_index=-1,
                label_smoothing=config["label_smoothing"],
                reduction="none",
            ),  # fmt: skip
        )
    if name == "linear_softmax_crossentropy":
        # torch's cross_entropy of features @ kernel + bias (ignore_index, label_smoothing), with PaLM's z-loss
        # and Gemma 2's soft-cap written out on top.
        h, v = int(rng.choice([2, 5])), int(rng.choice([3, 7]))
        config = {
            "ignore_class": -1,
            "label_smoothing": float(rng.choice([0.0, 0.1])),
            "z_loss": float(rng.choice([0.0, 1e-2])),
            "logit_soft_cap": [None, 2.0][int(rng.integers(0, 2))],
            "block_size": [None, 2, (2, 3)][int(rng.integers(0, 3))],
        }
        inputs = {
            "y_true": rng.integers(-1, v, (b * 2,)).astype(np.int32),
            "y_pred": rng.normal(0, 2, (b * 2, h)).astype(np.float32),
            "kernel": rng.normal(0, 1, (h, v)).astype(np.float32),
            "bias": rng.normal(0, 1, (v,)).astype(np.float32),
        }

        def linear_ce(t):
            logits = t["y_pred"] @ t["kernel"] + t["bias"]
            if config["logit_soft_cap"] is not None:
                logits = config["logit_soft_cap"] * torch.tanh(logits / config["logit_soft_cap"])
            labels = t["y_true"].long()
            ce = F.cross_entropy(
                logits, labels, ignore_index=-1, label_smoothing=config["label_smoothing"], reduction="none"
            )
            z = config["z_loss"] * torch.logsumexp(logits, -1) ** 2
            return ce + torch.where(labels == -1, torch.zeros_like(z), z)

        return config, inputs, ["y_pred", "kernel", "bias"], linear_ce
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
    import jax
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
    if name == "sparsemax_loss (binary)":
        inputs = {"y_true": rng.integers(0, 2, (b, d)).astype(np.float32), "y_pred": pred}
        return {}, inputs, ["y_pred"], lambda t: jnp.mean(optax.losses.sparsemax_loss(t["y_pred"], t["y_true"]), -1)
    if name == "sparsemax_loss (multiclass)":
        inputs = {"y_true": rng.integers(0, d, (b,)).astype(np.int32), "y_pred": pred}
        return {}, inputs, ["y_pred"], lambda t: optax.losses.multiclass_sparsemax_loss(t["y_pred"], t["y_true"])
    if name == "poly1_crossentropy":
        config = {"from_logits": True, "epsilon": float(rng.choice([-1.0, 1.0, 2.0]))}
        labels, inputs = _ids_or_one_hot(rng, b, d, pred)
        return (
            config,
            inputs,
            ["y_pred"],
            lambda t: optax.losses.poly_loss_cross_entropy(t["y_pred"], jnp.eye(d)[labels], epsilon=config["epsilon"]),
        )
    if name == "sparse_categorical_crossentropy (label_smoothing)":
        config = {"from_logits": True, "label_smoothing": float(rng.choice([0.05, 0.1, 0.4]))}
        labels = rng.integers(0, d, (b,))
        inputs = {"y_true": labels.astype(np.int32), "y_pred": pred}
        return (
            config,
            inputs,
            ["y_pred"],
            lambda t: optax.losses.softmax_cross_entropy(
                t["y_pred"], optax.smooth_labels(jnp.eye(d)[labels], config["label_smoothing"])
            ),
        )
    if name == "kl_divergence (log_target)":
        config, inputs = _kl_targets(rng, b, d, pred)
        peer = optax.losses.kl_divergence_with_log_targets if config["log_target"] else optax.losses.kl_divergence
        return config, inputs, ["y_true", "y_pred"], lambda t: peer(jax.nn.log_softmax(t["y_pred"]), t["y_true"])
    if name == "generalized_kl_divergence":
        inputs = {"y_true": rng.uniform(0.1, 3.0, (b, d)).astype(np.float32), "y_pred": pred / 2}
        return (
            {},
            inputs,
            ["y_true", "y_pred"],
            lambda t: optax.losses.generalized_kl_divergence(t["y_pred"], t["y_true"]),
        )
    if name == "triplet_margin":
        config = {"margin": float(rng.choice([0.5, 1.0, 3.0])), "eps": 0.0}  # optax puts eps elsewhere; 0 agrees
        inputs = {"y_pred": pred, **{k: rng.normal(0, 2, (b, d)).astype(np.float32) for k in ("positive", "negative")}}
        return (
            config,
            inputs,
            ["y_pred", "positive", "negative"],
            lambda t: optax.losses.triplet_margin_loss(
                t["y_pred"], t["positive"], t["negative"], margin=config["margin"], eps=0.0
            ),
        )
    if name == "multiclass_hinge":
        config = {"margin": 1.0}
        labels, inputs = _ids_or_one_hot(rng, b, d, pred)
        return (
            config,
            inputs,
            ["y_pred"],
            lambda t: optax.losses.multiclass_hinge_loss(t["y_pred"], jnp.asarray(labels)),
        )
    if name == "make_fenchel_young_loss":
        config = {"max_fun": str(rng.choice(["logsumexp", "max"]))}
        fy = optax.losses.make_fenchel_young_loss(
            jax.scipy.special.logsumexp if config["max_fun"] == "logsumexp" else jnp.max
        )
        inputs = {"y_true": rng.dirichlet(np.ones(d), b).astype(np.float32), "y_pred": pred}
        return config, inputs, ["y_true", "y_pred"], lambda t: fy(t["y_pred"], t["y_true"])
    if name == "generalized_dice (unweighted)":
        binary = bool(rng.integers(0, 2))
        shape = (b, 5, 1 if binary else d)
        targets = (
            rng.integers(0, 2, shape).astype(np.float32)
            if binary
            else np.eye(d, dtype=np.float32)[rng.integers(0, d, shape[:-1])]
        )
        config = {"from_logits": True, "weighted": False, "smooth": float(rng.choice([0.5, 1.0]))}
        inputs = {"y_true": targets, "y_pred": rng.normal(0, 2, shape).astype(np.float32)}
        peer = optax.losses.binary_dice_loss if binary else optax.losses.dice_loss
        return config, inputs, ["y_true", "y_pred"], lambda t: peer(t["y_pred"], t["y_true"], smooth=config["smooth"])
    if name == "categorical_crossentropy (ranking)":
        # optax's listwise ranking_softmax_loss: items left out with `where` are -inf logits and 0 labels here.
        labels = rng.integers(0, 3, (b, d)).astype(np.float32)
        where = rng.random((b, d)) < 0.75
        where[:, 0] = True
        labels = np.where(where, labels, 0.0).astype(np.float32)
        masked = np.where(where, pred, -np.inf).astype(np.float32)
        inputs = {"y_true": labels, "y_pred": masked}
        return (
            {"from_logits": True},
            inputs,
            [],
            lambda t: optax.losses.ranking_softmax_loss(
                jnp.asarray(pred), t["y_true"], where=jnp.asarray(where), reduce_fn=None
            ),
        )
    # Batch losses: optax gives the batch's scalar, the mean of jaxloss's per-sample values.
    if name == "generalized_dice":
        config = {
            "from_logits": True,
            "smooth": float(rng.choice([0.0, 1.0])),
            "ignore_background": bool(rng.integers(0, 2)),
        }
        shape = (int(rng.choice([2, 3])), 5, d)
        one_hot = np.eye(d, dtype=np.float32)[rng.integers(0, d, shape[:-1])]
        inputs = {"y_true": one_hot, "y_pred": rng.normal(0, 2, shape).astype(np.float32)}
        return (
            config,
            inputs,
            ["y_true", "y_pred"],
            lambda t: optax.losses.multiclass_generalized_dice_loss(
                t["y_pred"], t["y_true"], smooth=config["smooth"], ignore_background=config["ignore_background"]
            ),
        )
    if name == "ntxent":
        config = {"temperature": float(rng.choice([0.07, 0.5, 1.0]))}
        batch = int(rng.choice([4, 6]))
        labels = rng.integers(0, 3, (batch,)).astype(np.int32)
        labels[:2] = 0  # at least one positive pair
        inputs = {"y_true": labels, "y_pred": rng.normal(0, 1, (batch, d)).astype(np.float32)}
        return (
            config,
            inputs,
            ["y_pred"],
            lambda t: optax.losses.ntxent(t["y_pred"], jnp.asarray(t["y_true"]), config["temperature"]),
        )
    raise KeyError(name)


def _alignment_record(rng):
    """optax's CTC gradient gives the class posteriors: softmax(logits) - d loss / d logits, per frame."""
    import jax
    import jax.numpy as jnp
    import optax

    batch, frames, classes, max_label = 2, int(rng.choice([6, 9])), 4, 3
    logits = rng.normal(0, 1.5, (batch, frames, classes)).astype(np.float32)
    labels = rng.integers(1, classes, (batch, max_label)).astype(np.int32)
    label_length = np.array([max_label, int(rng.integers(1, max_label + 1))], np.int32)
    logit_length = np.array([frames, frames - int(rng.integers(0, 3))], np.int32)
    label_pad = (np.arange(max_label)[None] >= label_length[:, None]).astype(np.float32)
    logit_pad = (np.arange(frames)[None] >= logit_length[:, None]).astype(np.float32)
    grad = jax.grad(lambda x: jnp.sum(optax.ctc_loss(x, logit_pad, labels, label_pad)))(jnp.asarray(logits))
    posteriors = (jax.nn.softmax(logits) - grad) * (1.0 - logit_pad[..., None])
    return {
        "peer": "optax",
        "loss": "ctc_alignment",
        "inputs": {
            "y_true": labels.tolist(),
            "y_pred": logits.tolist(),
            "label_length": label_length.tolist(),
            "logit_length": logit_length.tolist(),
        },
        "class_posteriors": np.asarray(posteriors).tolist(),
    }


TORCH = [
    "smooth_l1",
    "gaussian_nll",
    "poisson_nll",
    "margin_ranking",
    "cosine_embedding",
    "multilabel_soft_margin",
    "triplet_margin",
    "binary_crossentropy (pos_weight)",
    "kl_divergence (log_target)",
    "sparse_categorical_crossentropy (label_smoothing)",
]
TORCH_LATER = ["linear_softmax_crossentropy"]
OPTAX = [
    "perceptron (binary)",
    "perceptron (multiclass)",
    "multiclass_hinge",
    "make_fenchel_young_loss",
    "generalized_dice (unweighted)",
    "categorical_crossentropy (ranking)",
    "sparsemax_loss (binary)",
    "sparsemax_loss (multiclass)",
    "poly1_crossentropy",
    "sparse_categorical_crossentropy (label_smoothing)",
    "kl_divergence (log_target)",
    "generalized_kl_divergence",
    "triplet_margin",
    "generalized_dice",
    "ntxent",
]
BATCH = {"generalized_dice", "ntxent"}  # the peer's value is the mean over the batch


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

    def record(peer, name, make):
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
        return {
            "peer": peer, "loss": name.split(" ")[0], "config": config, "mean": name in BATCH,
            "inputs": {k: {"value": v.tolist(), "dtype": str(v.dtype)} for k, v in inputs.items()},
            "values": values.tolist(), "grads": grads,
        }  # fmt: skip

    records = [
        record(peer, name, make)
        for peer, names, make in (("torch", TORCH, _torch_case), ("optax", OPTAX, _optax_case))
        for name in names
        for _ in range(args.per_loss)
    ]
    alignments = [_alignment_record(rng) for _ in range(args.per_loss)]
    # Added later, after the rest, so that the earlier records keep their random draws.
    records += [record("torch", name, _torch_case) for name in TORCH_LATER for _ in range(args.per_loss)]
    with open(args.write, "w") as f:
        json.dump({"torch": torch.__version__, "records": records, "alignments": alignments}, f)
    counts = {p: sum(r["peer"] == p for r in records) for p in ("torch", "optax")}
    print(f"wrote {len(records)} records ({counts}) and {len(alignments)} optax CTC alignments to {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
