"""The precision comparison: every loss in float32 against a float64 evaluation of the same definition.

Shared by `tests/test_precision.py` (jaxloss, live) and `tools/precision_references.py` (optax, Keras and
torch, stored): both read the same inputs, made here in float32 and evaluated twice, in float32 and in
float64 (the float32 numbers widened), and both measure the error the same way (`relative_error`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import jaxloss
from tests.compat import x64

B, D = 64, 5
# The regimes: ordinary inputs; logits large enough to saturate a sigmoid or softmax; probabilities near 0
# and 1 (within Keras's 1e-7 clip); predictions within 1e-4 of their targets; magnitudes of 1e4-1e7.
REGIMES = ("typical", "large-logit", "tiny-probability", "near-equal", "large-magnitude")
# Relative error below this is rounding for everyone: about 64 float32 ulps. Which of two correct summation
# orders comes out ahead at this level changes with the draw (softmax gradients, matmuls of large logits).
FLOOR = 4e-6


def _f32(x: Any) -> np.ndarray:
    return np.asarray(x, np.float32)


def _near(rng: np.random.Generator, x: np.ndarray, scale: float = 1e-4) -> np.ndarray:
    return _f32(x + scale * np.abs(x).clip(1e-3) * rng.normal(size=x.shape))


def _probs(rng: np.random.Generator, shape: tuple[int, ...], regime: str) -> np.ndarray:
    if regime == "tiny-probability":  # near 0 and near 1, clear of Keras's 1e-7 clip (1 - 1e-7 is not a float32)
        tiny = 10.0 ** rng.uniform(-6, -3, shape)
        return _f32(np.where(rng.random(shape) < 0.5, tiny, 1.0 - tiny))
    return _f32(rng.uniform(0.05, 0.95, shape))


def _distribution(rng: np.random.Generator, regime: str, k: int = D) -> np.ndarray:
    if regime == "tiny-probability":  # many entries near 0
        p = rng.dirichlet(np.full(k, 0.05), B) + 1e-6
        return _f32(p / p.sum(-1, keepdims=True))
    return _f32(rng.dirichlet(np.ones(k), B))


def _logits(rng: np.random.Generator, shape: tuple[int, ...], regime: str) -> np.ndarray:
    return _f32(rng.normal(0, 30.0 if regime == "large-logit" else 2.0, shape))


def _real(rng: np.random.Generator, shape: tuple[int, ...], regime: str) -> np.ndarray:
    scale = 10.0 ** rng.uniform(4, 7, shape) if regime == "large-magnitude" else 1.0
    return _f32(rng.normal(size=shape) * scale)


def inputs(kind: str, regime: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Float32 (and integer) inputs of one kind in one regime: y_true, y_pred and the extra inputs."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, D, B).astype(np.int32)
    one_hot = np.eye(D, dtype=np.float32)[ids]
    if kind == "regression":
        y_true = _real(rng, (B, D), regime)
        y_pred = _near(rng, y_true) if regime == "near-equal" else _real(rng, (B, D), regime)
        return {"y_true": y_true, "y_pred": y_pred}
    if kind == "positive":
        y_true = _f32(np.abs(_real(rng, (B, D), regime)) + 0.1)
        y_pred = _near(rng, y_true) if regime == "near-equal" else _f32(np.abs(_real(rng, (B, D), regime)) + 0.1)
        return {"y_true": y_true, "y_pred": y_pred}
    if kind == "signs":
        return {"y_true": _f32(rng.choice([-1.0, 1.0], (B, D))), "y_pred": _real(rng, (B, D), regime)}
    if kind == "binary-logits":
        return {"y_true": _f32(rng.integers(0, 2, (B, D))), "y_pred": _logits(rng, (B, D), regime)}
    if kind == "binary-probs":
        return {"y_true": _f32(rng.integers(0, 2, (B, D))), "y_pred": _probs(rng, (B, D), regime)}
    if kind == "onehot-logits":
        return {"y_true": one_hot, "y_pred": _logits(rng, (B, D), regime)}
    if kind == "onehot-probs":
        return {"y_true": one_hot, "y_pred": _distribution(rng, regime)}
    if kind == "ids-logits":
        return {"y_true": ids, "y_pred": _logits(rng, (B, D), regime)}
    if kind == "ids-probs":
        return {"y_true": ids, "y_pred": _distribution(rng, regime)}
    if kind == "distribution":
        return {"y_true": _distribution(rng, regime), "y_pred": _distribution(rng, regime)}
    if kind == "distribution-logits":
        return {"y_true": _distribution(rng, "typical"), "y_pred": _logits(rng, (B, D), regime)}
    if kind == "measures":
        return {"y_true": _f32(rng.uniform(0.0, 3.0, (B, D))), "y_pred": _logits(rng, (B, D), regime) / 4}
    if kind == "vectors":
        y_true = _real(rng, (B, D), regime)
        y_pred = _near(rng, y_true) if regime == "near-equal" else _real(rng, (B, D), regime)
        return {"y_true": y_true, "y_pred": y_pred}
    if kind == "pairs":  # margin ranking: signs, x1, x2
        other = _real(rng, (B, D), regime)
        y_pred = _near(rng, other) if regime == "near-equal" else _real(rng, (B, D), regime)
        return {"y_true": _f32(rng.choice([-1.0, 1.0], (B, D))), "y_pred": y_pred, "other": other}
    if kind == "embedding-pairs":  # cosine embedding: a sign per row, x1, x2
        other = _real(rng, (B, D), regime)
        y_pred = _near(rng, other) if regime == "near-equal" else _real(rng, (B, D), regime)
        return {"y_true": _f32(rng.choice([-1.0, 1.0], B)), "y_pred": y_pred, "other": other}
    if kind == "triplets":
        anchors = _real(rng, (B, D), regime)
        if regime == "near-equal":  # both near the anchor: the margin is active, the distances tiny
            return {"y_pred": anchors, "positive": _near(rng, anchors), "negative": _near(rng, anchors, 1e-3)}
        return {"y_pred": anchors, "positive": _real(rng, (B, D), regime), "negative": _real(rng, (B, D), regime)}
    if kind == "gaussian":
        y_true = _real(rng, (B, D), regime)
        y_pred = _near(rng, y_true) if regime == "near-equal" else _real(rng, (B, D), regime)
        return {"y_true": y_true, "y_pred": y_pred, "variance": _f32(rng.uniform(0.2, 2.0, (B, D)))}
    if kind == "counts-log":
        return {"y_true": _f32(rng.integers(0, 6, (B, D))), "y_pred": _logits(rng, (B, D), regime) / 10}
    if kind == "ctc":
        labels = rng.integers(1, D, (B, 3)).astype(np.int32)
        return {"y_true": labels, "y_pred": _logits(rng, (B, 8, D), regime)}
    if kind == "overlap":
        return {"y_true": _f32(rng.integers(0, 2, (B, D))), "y_pred": _probs(rng, (B, D), regime)}
    if kind == "circle":
        emb = rng.normal(size=(B, D))
        return {"y_true": (ids % 3).astype(np.int32), "y_pred": _f32(emb / np.linalg.norm(emb, axis=1, keepdims=True))}
    if kind == "groups":
        anchors = rng.normal(size=(B // 2, D))
        pairs = np.concatenate(
            [anchors, anchors + (1e-3 if regime == "near-equal" else 0.5) * rng.normal(size=anchors.shape)]
        )
        return {"y_true": np.tile(np.arange(B // 2, dtype=np.int32), 2), "y_pred": _f32(pairs)}
    if kind == "segmentation":
        return {
            "y_true": np.eye(3, dtype=np.float32)[rng.integers(0, 3, (B, 4))],
            "y_pred": _logits(rng, (B, 4, 3), regime),
        }
    if kind == "tokens":
        return {
            "y_true": ids,
            "y_pred": _f32(rng.normal(size=(B, 4))),
            "kernel": _f32(rng.normal(0, 8.0 if regime == "large-logit" else 0.5, (4, D))),
        }
    raise ValueError(f"unknown kind {kind!r}")


@dataclasses.dataclass(frozen=True)
class Entry:
    """A loss, its kind of inputs and regimes, and jaxloss's mean loss over the batch as a function of them."""

    name: str
    kind: str
    regimes: tuple[str, ...]
    ours: Callable[[dict[str, Any]], jax.Array]


def _mean(fn: Callable[..., jax.Array], **config: Any) -> Callable[[dict[str, Any]], jax.Array]:
    def mean(d: dict[str, Any]) -> jax.Array:
        extra = {k: v for k, v in d.items() if k not in ("y_true", "y_pred")}
        return jnp.mean(fn(d.get("y_true"), d["y_pred"], **extra, **config))

    return mean


REAL = ("typical", "near-equal", "large-magnitude")
LOGITS = ("typical", "large-logit")
PROBS = ("typical", "tiny-probability")

ENTRIES: tuple[Entry, ...] = (
    Entry("mean_squared_error", "regression", REAL, _mean(jaxloss.mean_squared_error)),
    Entry("mean_absolute_error", "regression", REAL, _mean(jaxloss.mean_absolute_error)),
    Entry("mean_absolute_percentage_error", "positive", REAL, _mean(jaxloss.mean_absolute_percentage_error)),
    Entry("mean_squared_logarithmic_error", "positive", REAL, _mean(jaxloss.mean_squared_logarithmic_error)),
    Entry("cosine_similarity", "vectors", REAL, _mean(jaxloss.cosine_similarity)),
    Entry("huber", "regression", REAL, _mean(jaxloss.huber)),
    Entry("log_cosh", "regression", REAL, _mean(jaxloss.log_cosh)),
    Entry("smooth_l1", "regression", REAL, _mean(jaxloss.smooth_l1, beta=0.5)),
    Entry("hinge", "signs", ("typical", "large-magnitude"), _mean(jaxloss.hinge)),
    Entry("squared_hinge", "signs", ("typical", "large-magnitude"), _mean(jaxloss.squared_hinge)),
    Entry("categorical_hinge", "onehot-logits", LOGITS, _mean(jaxloss.categorical_hinge)),
    Entry("multiclass_hinge", "ids-logits", LOGITS, _mean(jaxloss.multiclass_hinge)),
    Entry("perceptron", "ids-logits", LOGITS, _mean(jaxloss.perceptron)),
    Entry("kl_divergence", "distribution", PROBS, _mean(jaxloss.kl_divergence)),
    Entry("kl_divergence(from_logits)", "distribution-logits", LOGITS, _mean(jaxloss.kl_divergence, from_logits=True)),
    Entry("generalized_kl_divergence", "measures", LOGITS, _mean(jaxloss.generalized_kl_divergence)),
    Entry("poisson", "positive", REAL, _mean(jaxloss.poisson)),
    Entry("poisson_nll", "counts-log", LOGITS, _mean(jaxloss.poisson_nll)),
    Entry("gaussian_nll", "gaussian", REAL, _mean(jaxloss.gaussian_nll)),
    Entry("binary_crossentropy", "binary-probs", PROBS, _mean(jaxloss.binary_crossentropy)),
    Entry(
        "binary_crossentropy(from_logits)",
        "binary-logits",
        LOGITS,
        _mean(jaxloss.binary_crossentropy, from_logits=True),
    ),
    Entry("binary_focal_crossentropy", "binary-probs", PROBS, _mean(jaxloss.binary_focal_crossentropy)),
    Entry(
        "binary_focal_crossentropy(from_logits)",
        "binary-logits",
        LOGITS,
        _mean(jaxloss.binary_focal_crossentropy, from_logits=True),
    ),
    Entry("multilabel_soft_margin", "binary-logits", LOGITS, _mean(jaxloss.multilabel_soft_margin)),
    Entry("categorical_crossentropy", "onehot-probs", PROBS, _mean(jaxloss.categorical_crossentropy)),
    Entry(
        "categorical_crossentropy(from_logits)",
        "onehot-logits",
        LOGITS,
        _mean(jaxloss.categorical_crossentropy, from_logits=True),
    ),
    Entry("categorical_focal_crossentropy", "onehot-probs", PROBS, _mean(jaxloss.categorical_focal_crossentropy)),
    Entry(
        "categorical_focal_crossentropy(from_logits)",
        "onehot-logits",
        LOGITS,
        _mean(jaxloss.categorical_focal_crossentropy, from_logits=True),
    ),
    Entry("sparse_categorical_crossentropy", "ids-probs", PROBS, _mean(jaxloss.sparse_categorical_crossentropy)),
    Entry(
        "sparse_categorical_crossentropy(from_logits)",
        "ids-logits",
        LOGITS,
        _mean(jaxloss.sparse_categorical_crossentropy, from_logits=True),
    ),
    Entry(
        "categorical_generalized_cross_entropy",
        "ids-probs",
        PROBS,
        _mean(jaxloss.categorical_generalized_cross_entropy, q=0.5),
    ),
    Entry("poly1_crossentropy(from_logits)", "ids-logits", LOGITS, _mean(jaxloss.poly1_crossentropy, from_logits=True)),
    Entry("sparsemax_loss", "ids-logits", LOGITS, _mean(jaxloss.sparsemax_loss)),
    Entry("margin_ranking", "pairs", REAL, _mean(jaxloss.margin_ranking)),
    Entry("cosine_embedding", "embedding-pairs", REAL, _mean(jaxloss.cosine_embedding)),
    Entry("triplet_margin", "triplets", REAL, _mean(jaxloss.triplet_margin)),
    Entry("ctc", "ctc", LOGITS, _mean(jaxloss.ctc)),
    Entry("dice", "overlap", PROBS, _mean(jaxloss.dice)),
    Entry("tversky", "overlap", PROBS, _mean(jaxloss.tversky)),
    Entry("circle", "circle", ("typical",), _mean(jaxloss.circle)),
    Entry("generalized_dice(from_logits)", "segmentation", LOGITS, _mean(jaxloss.generalized_dice, from_logits=True)),
    Entry("ntxent", "groups", ("typical", "near-equal"), _mean(jaxloss.ntxent)),
    Entry("linear_softmax_crossentropy", "tokens", LOGITS, _mean(jaxloss.linear_softmax_crossentropy)),
)


def relative_error(got: Any, want: Any) -> float:
    """Per sample (the leading axis), max |got - want| / max |want| over its entries; the largest over the
    samples. A scalar is one sample. Equal entries (infinities included) count 0.

    Normwise per sample, so that a gradient entry that is the difference of two terms near 1 is measured
    against the terms' scale, while a sample whose every entry is tiny (a confident logit's
    sigmoid(-|x|)) still has to get them right relative to their size.
    """
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    rows = got.shape[0] if got.ndim else 1
    got, want = got.reshape(rows, -1), want.reshape(rows, -1)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.where(same, 0.0, np.abs(got - want))
        scale = np.max(np.where(np.isfinite(want), np.abs(want), 0.0), axis=1)
        err = np.max(error, axis=1) / np.maximum(scale, 1e-30)
    err = np.where(np.isnan(err), np.inf, err)
    return float(np.max(err)) if err.size else 0.0


def widened(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same numbers, floats as float64."""
    return {k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in d.items()}


def jax_results(fn: Callable[[dict[str, Any]], Any], d: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """A JAX loss `fn(inputs) -> scalar` and its gradient in y_pred: (value32, grad32, value64, grad64)."""

    def value_and_grad(d: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        value, grad = jax.jit(jax.value_and_grad(lambda p, rest: fn({**rest, "y_pred": p})))(d["y_pred"], d)
        return np.asarray(value), np.asarray(grad)

    v32, g32 = value_and_grad({k: jnp.asarray(v) for k, v in d.items()})
    with x64():
        v64, g64 = value_and_grad({k: jnp.asarray(v) for k, v in widened(d).items()})
    return v32, g32, v64, g64


def errors(v32: Any, g32: Any, v64: Any, g64: Any) -> tuple[float, float]:
    """The relative errors of the float32 value and gradient against the float64 ones."""
    return relative_error(v32, v64), relative_error(g32, g64)


def jax_errors(fn: Callable[[dict[str, Any]], Any], d: dict[str, np.ndarray]) -> tuple[float, float]:
    """(value, gradient in y_pred) relative errors of a JAX loss `fn(inputs) -> scalar`: float32 vs float64."""
    return errors(*jax_results(fn, d))
