"""Stores how exact optax, Keras and torch are: each in float32 against its own float64, per loss and regime.

For every entry and regime of `tests/precision_cases.py`, each peer that has the loss is evaluated on the
same inputs in float32 and in float64 (its own definition both times), and the relative errors of its mean
loss and of the gradient in y_pred are written to `tests/data/precision_peers.json`.
`tests/test_precision.py` replays them: jaxloss's error must be no worse than twice the best peer's (or
the rounding floor). With `--table`, the Markdown table of docs/precision.md is printed, jaxloss included.

    KERAS_BACKEND=jax python tools/precision_references.py [--write tests/data/precision_peers.json] [--table]

Needs optax, Keras 3 (JAX backend) and torch (`pip install torch==2.13.0`), in an environment of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from tests.precision_cases import ENTRIES, errors, inputs, jax_errors, jax_results, widened  # noqa: E402

Peer = Callable[[dict[str, Any]], Any]


def _keras(name: str, **config: Any) -> Peer:
    """A Keras loss class, computed in the inputs' dtype (float32 or float64), its mean over the batch."""

    def loss(d: dict[str, Any]) -> Any:
        return getattr(keras.losses, name)(dtype=d["y_pred"].dtype.name, **config)(d["y_true"], d["y_pred"])

    return loss


def _optax(fn: Callable[[dict[str, Any]], Any]) -> Peer:
    return lambda d: jnp.mean(fn(d))


def _ids_one_hot(d: dict[str, Any]) -> Any:
    return jax.nn.one_hot(d["y_true"], d["y_pred"].shape[-1], dtype=d["y_pred"].dtype)


def _paddings(d: dict[str, Any]) -> tuple[Any, Any]:
    b, t = d["y_pred"].shape[:2]
    return jnp.zeros((b, t), d["y_pred"].dtype), jnp.zeros(d["y_true"].shape, d["y_pred"].dtype)


JAX_PEERS: dict[str, dict[str, Peer]] = {
    "mean_squared_error": {
        "keras": _keras("MeanSquaredError"),
        "optax": _optax(lambda d: optax.losses.squared_error(d["y_pred"], d["y_true"])),
    },
    "mean_absolute_error": {"keras": _keras("MeanAbsoluteError")},
    "mean_absolute_percentage_error": {"keras": _keras("MeanAbsolutePercentageError")},
    "mean_squared_logarithmic_error": {"keras": _keras("MeanSquaredLogarithmicError")},
    "cosine_similarity": {
        "keras": _keras("CosineSimilarity"),
        "optax": _optax(lambda d: -optax.losses.cosine_similarity(d["y_pred"], d["y_true"])),
    },
    "huber": {
        "keras": _keras("Huber"),
        "optax": _optax(lambda d: optax.losses.huber_loss(d["y_pred"], d["y_true"])),
    },
    "log_cosh": {
        "keras": _keras("LogCosh"),
        "optax": _optax(lambda d: optax.losses.log_cosh(d["y_pred"], d["y_true"])),
    },
    "hinge": {
        "keras": _keras("Hinge"),
        "optax": _optax(lambda d: optax.losses.hinge_loss(d["y_pred"], d["y_true"])),
    },
    "squared_hinge": {"keras": _keras("SquaredHinge")},
    "categorical_hinge": {"keras": _keras("CategoricalHinge")},
    "multiclass_hinge": {"optax": _optax(lambda d: optax.losses.multiclass_hinge_loss(d["y_pred"], d["y_true"]))},
    "perceptron": {"optax": _optax(lambda d: optax.losses.multiclass_perceptron_loss(d["y_pred"], d["y_true"]))},
    "kl_divergence": {
        "keras": _keras("KLDivergence"),
        "optax": _optax(lambda d: optax.losses.kl_divergence(jnp.log(d["y_pred"]), d["y_true"])),
    },
    "kl_divergence(from_logits)": {
        "optax": _optax(lambda d: optax.losses.kl_divergence(jax.nn.log_softmax(d["y_pred"]), d["y_true"])),
    },
    "generalized_kl_divergence": {
        "optax": _optax(lambda d: optax.losses.convex_kl_divergence(d["y_pred"], d["y_true"])),
    },
    "poisson": {"keras": _keras("Poisson")},
    "binary_crossentropy": {"keras": _keras("BinaryCrossentropy")},
    "binary_crossentropy(from_logits)": {
        "keras": _keras("BinaryCrossentropy", from_logits=True),
        "optax": _optax(lambda d: optax.losses.sigmoid_binary_cross_entropy(d["y_pred"], d["y_true"])),
    },
    "binary_focal_crossentropy": {"keras": _keras("BinaryFocalCrossentropy")},
    "binary_focal_crossentropy(from_logits)": {
        "keras": _keras("BinaryFocalCrossentropy", from_logits=True),
        "optax": _optax(lambda d: optax.losses.sigmoid_focal_loss(d["y_pred"], d["y_true"], alpha=None, gamma=2.0)),
    },
    "categorical_crossentropy": {"keras": _keras("CategoricalCrossentropy")},
    "categorical_crossentropy(from_logits)": {
        "keras": _keras("CategoricalCrossentropy", from_logits=True),
        "optax": _optax(lambda d: optax.losses.softmax_cross_entropy(d["y_pred"], d["y_true"])),
    },
    "categorical_focal_crossentropy": {"keras": _keras("CategoricalFocalCrossentropy")},
    "categorical_focal_crossentropy(from_logits)": {"keras": _keras("CategoricalFocalCrossentropy", from_logits=True)},
    "sparse_categorical_crossentropy": {"keras": _keras("SparseCategoricalCrossentropy")},
    "sparse_categorical_crossentropy(from_logits)": {
        "keras": _keras("SparseCategoricalCrossentropy", from_logits=True),
        "optax": _optax(lambda d: optax.losses.softmax_cross_entropy_with_integer_labels(d["y_pred"], d["y_true"])),
    },
    "categorical_generalized_cross_entropy": {"keras": _keras("CategoricalGeneralizedCrossEntropy", q=0.5)},
    "poly1_crossentropy(from_logits)": {
        "optax": _optax(lambda d: optax.losses.poly_loss_cross_entropy(d["y_pred"], _ids_one_hot(d), epsilon=2.0)),
    },
    "sparsemax_loss": {
        "optax": _optax(lambda d: optax.losses.multiclass_sparsemax_loss(d["y_pred"], d["y_true"])),
    },
    "triplet_margin": {
        "optax": _optax(lambda d: optax.losses.triplet_margin_loss(d["y_pred"], d["positive"], d["negative"], eps=0.0)),
    },
    "ctc": {
        "keras": _keras("CTC"),
        "optax": _optax(lambda d: optax.losses.ctc_loss(d["y_pred"], *_paddings(d)[:1], d["y_true"], _paddings(d)[1])),
    },
    "dice": {"keras": _keras("Dice")},
    "tversky": {"keras": _keras("Tversky")},
    "circle": {"keras": _keras("Circle")},
    "generalized_dice(from_logits)": {
        "optax": lambda d: optax.losses.multiclass_generalized_dice_loss(d["y_pred"], d["y_true"], apply_softmax=True),
    },
    "ntxent": {"optax": lambda d: optax.losses.ntxent(d["y_pred"], d["y_true"], temperature=0.07)},
    "linear_softmax_crossentropy": {
        "optax": _optax(
            lambda d: optax.losses.softmax_cross_entropy_with_integer_labels(d["y_pred"] @ d["kernel"], d["y_true"])
        ),
    },
}


TORCH_PEERS: dict[str, Peer] = {
    "mean_squared_error": lambda d: F.mse_loss(d["y_pred"], d["y_true"]),
    "mean_absolute_error": lambda d: F.l1_loss(d["y_pred"], d["y_true"]),
    "cosine_similarity": lambda d: -F.cosine_similarity(d["y_pred"], d["y_true"], dim=-1).mean(),
    "huber": lambda d: F.huber_loss(d["y_pred"], d["y_true"]),
    "smooth_l1": lambda d: F.smooth_l1_loss(d["y_pred"], d["y_true"], beta=0.5),
    "kl_divergence": lambda d: F.kl_div(torch.log(d["y_pred"]), d["y_true"], reduction="batchmean"),
    "kl_divergence(from_logits)": lambda d: F.kl_div(
        F.log_softmax(d["y_pred"], -1), d["y_true"], reduction="batchmean"
    ),
    "poisson": lambda d: F.poisson_nll_loss(d["y_pred"], d["y_true"], log_input=False, eps=1e-7),
    "poisson_nll": lambda d: F.poisson_nll_loss(d["y_pred"], d["y_true"]),
    "gaussian_nll": lambda d: F.gaussian_nll_loss(d["y_pred"], d["y_true"], d["variance"]),
    "binary_crossentropy": lambda d: F.binary_cross_entropy(d["y_pred"], d["y_true"]),
    "binary_crossentropy(from_logits)": lambda d: F.binary_cross_entropy_with_logits(d["y_pred"], d["y_true"]),
    "multilabel_soft_margin": lambda d: F.multilabel_soft_margin_loss(d["y_pred"], d["y_true"]),
    "categorical_crossentropy(from_logits)": lambda d: F.cross_entropy(d["y_pred"], d["y_true"]),
    "sparse_categorical_crossentropy(from_logits)": lambda d: F.cross_entropy(d["y_pred"], d["y_true"].long()),
    "margin_ranking": lambda d: F.margin_ranking_loss(d["y_pred"], d["other"], d["y_true"]),
    "cosine_embedding": lambda d: F.cosine_embedding_loss(d["y_pred"], d["other"], d["y_true"]),
    "triplet_margin": lambda d: F.triplet_margin_loss(d["y_pred"], d["positive"], d["negative"]),
    "ctc": lambda d: (
        F.ctc_loss(
            F.log_softmax(d["y_pred"], -1).transpose(0, 1),
            d["y_true"].long(),
            torch.full((d["y_pred"].shape[0],), d["y_pred"].shape[1], dtype=torch.long),
            torch.full((d["y_pred"].shape[0],), d["y_true"].shape[1], dtype=torch.long),
            reduction="sum",
        )
        / d["y_pred"].shape[0]
    ),
    "linear_softmax_crossentropy": lambda d: F.cross_entropy(d["y_pred"] @ d["kernel"], d["y_true"].long()),
}


def torch_results(fn: Peer, d: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    def value_and_grad(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        t = {k: torch.tensor(v) for k, v in d.items()}
        t["y_pred"].requires_grad_(True)
        value = fn(t)
        value.backward()
        return value.detach().numpy(), t["y_pred"].grad.numpy()

    return (*value_and_grad(d), *value_and_grad(widened(d)))


def _errors_if_float64(results: tuple[np.ndarray, ...]) -> list[float] | None:
    """The errors, or None where the peer has no float64 path (its float64 results equal its float32 ones,
    as Keras's CTC, which computes in float32): its errors say nothing of its precision."""
    v32, g32, v64, g64 = results
    if np.array_equal(v32, v64) and np.array_equal(g32, g64):
        return None
    return list(errors(*results))


def measure() -> dict[str, dict[str, dict[str, list[float] | None]]]:
    """entry -> regime -> peer -> [value error, gradient error], or None (no float64 evaluation)."""
    jax.config.update("jax_enable_x64", False)  # float32 stays float32; x64 is turned on per evaluation
    results: dict[str, dict[str, dict[str, list[float] | None]]] = {}
    for entry in ENTRIES:
        peers = {**JAX_PEERS.get(entry.name, {})}
        assert peers or entry.name in TORCH_PEERS, f"{entry.name} has no peer"
        for regime in entry.regimes:
            d = inputs(entry.kind, regime)
            row = {name: _errors_if_float64(jax_results(fn, d)) for name, fn in peers.items()}
            if entry.name in TORCH_PEERS:
                row["torch"] = _errors_if_float64(torch_results(TORCH_PEERS[entry.name], d))
            results.setdefault(entry.name, {})[regime] = row
            print(entry.name, regime, {k: v and [f"{e:.1e}" for e in v] for k, v in row.items()}, flush=True)
    return results


def _fmt(error: float) -> str:
    return "inf/NaN" if not np.isfinite(error) else f"{error:.1e}"


def _cell(errors: list[float] | None) -> str:
    return "float32 only" if errors is None else " / ".join(_fmt(e) for e in errors)


def table(results: dict[str, dict[str, dict[str, list[float] | None]]]) -> str:
    """The Markdown table of docs/precision.md: jaxloss's errors (value / gradient) beside each peer's."""
    lines = [
        "| loss | regime | jaxloss | optax | Keras | torch |",
        "|---|---|---|---|---|---|",
    ]
    for entry in ENTRIES:
        for regime in entry.regimes:
            ours = jax_errors(entry.ours, inputs(entry.kind, regime))
            peers = results[entry.name][regime]
            cells = [_cell(peers[p]) if p in peers else "" for p in ("optax", "keras", "torch")]
            lines.append(f"| `{entry.name}` | {regime} | {_cell(list(ours))} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", default=None, help="where to write the JSON (default: print only)")
    parser.add_argument("--table", action="store_true", help="print docs/precision.md's table")
    args = parser.parse_args()
    results = measure()
    meta = {
        "versions": {"optax": optax.__version__, "keras": keras.__version__, "torch": torch.__version__},
        "metric": "max relative error (|want| floored at 1e-30) of float32 against float64 of the same code",
    }
    if args.write:
        with open(args.write, "w") as f:
            json.dump({"meta": meta, "errors": results}, f, indent=1, sort_keys=True)
            f.write("\n")
    if args.table:
        print(table(results))


if __name__ == "__main__":
    main()
