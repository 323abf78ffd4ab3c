"""One entry per loss: how to make valid inputs, used by the property tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

import jaxloss

Inputs = tuple[np.ndarray, np.ndarray, dict[str, Any]]  # y_true, y_pred, extra call inputs


@dataclasses.dataclass(frozen=True)
class Case:
    loss: jaxloss.Loss
    make: Callable[[np.random.Generator, tuple[int, ...]], Inputs]  # batch shape -> inputs
    smooth: bool = True  # twice differentiable in y_pred (for hessian checks)
    leading_dims: bool = True  # accepts arbitrary leading batch dims
    independent: bool = True  # each sample's loss depends on that sample only
    batched_inputs: tuple[str, ...] = ()  # extra inputs with one entry per sample (sliced with the batch)
    logits: bool = False  # y_pred holds logits or scores (embeddings for NT-Xent): -inf masks a row

    @property
    def id(self) -> str:
        fields = {k: v for k, v in self.loss.fn_config().items() if v != type(self.loss)().fn_config().get(k)}
        return type(self.loss).__name__ + ("" if not fields else str(fields).replace(" ", ""))


def _dense(low: float, high: float, positive_true: bool = False, d: int = 3):
    def make(rng, batch):
        y_true = rng.uniform(0.1 if positive_true else low, high, batch + (d,))
        return y_true.astype(np.float32), rng.uniform(low, high, batch + (d,)).astype(np.float32), {}

    return make


def _binary(logits: bool, d: int = 3):
    def make(rng, batch):
        y_pred = rng.normal(0, 3, batch + (d,)) if logits else rng.uniform(0.02, 0.98, batch + (d,))
        return rng.integers(0, 2, batch + (d,)).astype(np.float32), y_pred.astype(np.float32), {}

    return make


def _one_hot(logits: bool, k: int = 4):
    def make(rng, batch):
        labels = rng.integers(0, k, batch)
        y_pred = rng.normal(0, 2, batch + (k,)) if logits else rng.dirichlet(np.ones(k), batch)
        return np.eye(k, dtype=np.float32)[labels], np.asarray(y_pred, np.float32), {}

    return make


def _sparse(logits: bool, k: int = 4, ignore: int | None = None):
    def make(rng, batch):
        labels = rng.integers(0 if ignore is None else -1, k, batch).astype(np.int32)
        y_pred = rng.normal(0, 2, batch + (k,)) if logits else rng.dirichlet(np.ones(k), batch)
        return labels, np.asarray(y_pred, np.float32), {}

    return make


def _unit_vectors(rng, shape):
    x = rng.normal(size=shape)
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


_REFS = _unit_vectors(np.random.default_rng(123), (6, 4))
_REF_LABELS = np.array([0, 0, 1, 1, 2, 2], np.int32)


def _circle(rng, batch):
    (b,) = batch
    return (
        rng.integers(0, 3, batch).astype(np.int32),
        _unit_vectors(rng, (b, 4)),
        {"ref_labels": _REF_LABELS, "ref_embeddings": _REFS},
    )


def _circle_batch(rng, batch):
    """Labels and unit embeddings; the references are the batch itself."""
    (b,) = batch
    return rng.integers(0, 3, batch).astype(np.int32), _unit_vectors(rng, (b, 4)), {}


def _mixed_hinge_labels(rng, batch):
    """Labels in {0, 1} but one -1 in the first sample: Keras's batch-wide test then keeps every label as
    is, though most samples alone (and most devices' shards) would be mapped to -1/1."""
    y_true, y_pred, extra = _binary(logits=True)(rng, batch)
    if y_true.size:
        y_true.reshape(-1, y_true.shape[-1])[0, 0] = -1.0
    return y_true, y_pred, extra


def _ctc(rng, batch):
    (b,) = batch
    labels = rng.integers(1, 5, (b, 3)).astype(np.int32)
    labels[:, 2] = np.where(rng.random(b) < 0.5, 0, labels[:, 2])  # some padded labels
    return labels, rng.normal(0, 1, (b, 7, 5)).astype(np.float32), {}


def _with_input(make, name: str, low: float, high: float, drop_last: bool = False):
    """`make`'s inputs plus an extra input array `name` (a variance, a second embedding, ...)."""

    def with_input(rng, batch):
        y_true, y_pred, extra = make(rng, batch)
        shape = y_pred.shape[:-1] if drop_last else y_pred.shape
        return y_true, y_pred, {**extra, name: rng.uniform(low, high, shape).astype(np.float32)}

    return with_input


def _signs(d: int = 3, per_row: bool = False):
    def make(rng, batch):
        y_true = rng.choice([-1.0, 1.0], batch if per_row else batch + (d,)).astype(np.float32)
        return y_true, rng.normal(0, 1, batch + (d,)).astype(np.float32), {}

    return make


def _counts(log_input: bool, d: int = 3):
    def make(rng, batch):
        y_pred = rng.normal(0, 1, batch + (d,)) if log_input else rng.uniform(0.1, 4, batch + (d,))
        # No count of exactly 1: torch's Stirling term (full=True) starts above 1 with a jump there.
        counts = rng.choice([0.0, 2.0, 3.0, 4.0], batch + (d,))
        return counts.astype(np.float32), y_pred.astype(np.float32), {}

    return make


def _log_distributions(k: int = 4):
    def make(rng, batch):
        log_true = np.log(rng.dirichlet(np.ones(k), batch))
        return log_true.astype(np.float32), rng.normal(0, 2, batch + (k,)).astype(np.float32), {}

    return make


def _segmentation(rng, batch):
    """One-hot targets and logits over (batch, 3 pixels, 3 classes)."""
    labels = rng.integers(0, 3, batch + (3,))
    return np.eye(3, dtype=np.float32)[labels], rng.normal(0, 2, batch + (3, 3)).astype(np.float32), {}


def _segmentation_probabilities(rng, batch):
    y_true, logits, extra = _segmentation(rng, batch)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return y_true, probs.astype(np.float32), extra


def _groups(rng, batch):
    (b,) = batch
    return rng.integers(0, 2, batch).astype(np.int32), rng.normal(0, 1, (b, 4)).astype(np.float32), {}


def _triplets(rng, batch):
    anchors, positive, negative = (rng.normal(0, 1, batch + (4,)).astype(np.float32) for _ in range(3))
    return None, anchors, {"positive": positive, "negative": negative}


def _class_ids(k: int = 4):
    def make(rng, batch):
        return rng.integers(0, k, batch).astype(np.int32), rng.normal(0, 2, batch + (k,)).astype(np.float32), {}

    return make


_KERNEL = np.random.default_rng(321).normal(0, 0.5, (4, 5)).astype(np.float32)
_BIAS = np.linspace(-1, 1, 5).astype(np.float32)


def _tokens(rng, batch):
    """Class ids (some ignored, -1) and features of the final layer; its kernel and bias are shared inputs."""
    labels = rng.integers(-1, 5, batch).astype(np.int32)
    return labels, rng.normal(0, 1, batch + (4,)).astype(np.float32), {"kernel": _KERNEL, "bias": _BIAS}


CASES: tuple[Case, ...] = (
    Case(jaxloss.MeanSquaredError(), _dense(-3, 3)),
    Case(jaxloss.MeanAbsoluteError(), _dense(-3, 3), smooth=False),
    Case(jaxloss.MeanAbsolutePercentageError(), _dense(-3, 3), smooth=False),
    Case(jaxloss.MeanSquaredLogarithmicError(), _dense(0.01, 3, positive_true=True)),
    Case(jaxloss.CosineSimilarity(), _dense(-3, 3)),
    Case(jaxloss.Huber(delta=0.7), _dense(-3, 3), smooth=False),
    Case(jaxloss.LogCosh(), _dense(-3, 3)),
    Case(jaxloss.Hinge(), _binary(logits=True), smooth=False, logits=True),
    Case(jaxloss.SquaredHinge(), _binary(logits=True), smooth=False, logits=True),
    Case(jaxloss.Hinge(), _mixed_hinge_labels, smooth=False, independent=False),
    Case(jaxloss.SquaredHinge(), _mixed_hinge_labels, smooth=False, independent=False),
    Case(jaxloss.CategoricalHinge(), _one_hot(logits=True), smooth=False, logits=True),
    Case(jaxloss.KLDivergence(), _one_hot(logits=False)),
    Case(jaxloss.KLDivergence(from_logits=True, log_target=True), _log_distributions(), logits=True),
    Case(jaxloss.Poisson(), _dense(0.1, 4, positive_true=True)),
    Case(jaxloss.BinaryCrossentropy(), _binary(logits=False)),
    Case(jaxloss.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), _binary(logits=True), logits=True),
    Case(jaxloss.BinaryCrossentropy(from_logits=True, pos_weight=[0.5, 2.0, 3.0]), _binary(logits=True), logits=True),
    Case(jaxloss.BinaryCrossentropy(pos_weight=2.0), _binary(logits=False)),
    Case(jaxloss.BinaryFocalCrossentropy(), _binary(logits=False)),
    Case(
        jaxloss.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True, gamma=1.5),
        _binary(logits=True),
        logits=True,
    ),
    Case(jaxloss.CategoricalCrossentropy(), _one_hot(logits=False)),
    Case(jaxloss.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2), _one_hot(logits=True), logits=True),
    Case(jaxloss.CategoricalFocalCrossentropy(), _one_hot(logits=False)),
    Case(
        jaxloss.CategoricalFocalCrossentropy(from_logits=True, alpha=[0.1, 0.2, 0.3, 0.4]),
        _one_hot(logits=True),
        logits=True,
    ),
    Case(jaxloss.SparseCategoricalCrossentropy(), _sparse(logits=False)),
    Case(
        jaxloss.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
        _sparse(logits=True, ignore=-1),
        logits=True,
    ),
    Case(
        jaxloss.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, label_smoothing=0.1),
        _sparse(logits=True, ignore=-1),
        logits=True,
    ),
    Case(jaxloss.SparseCategoricalCrossentropy(label_smoothing=0.2), _sparse(logits=False)),
    Case(jaxloss.CategoricalGeneralizedCrossEntropy(q=0.7), _sparse(logits=False)),
    Case(jaxloss.CTC(), _ctc, leading_dims=False, logits=True),
    Case(jaxloss.Dice(axis=-1), _dense(0, 1)),
    Case(jaxloss.Tversky(alpha=0.3, beta=0.7, axis=-1), _dense(0, 1)),
    # axis=None: one value for the whole batch.
    Case(jaxloss.Dice(), _dense(0, 1), leading_dims=False, independent=False),
    Case(jaxloss.Tversky(alpha=0.3, beta=0.7), _dense(0, 1), leading_dims=False, independent=False),
    Case(jaxloss.Circle(remove_diagonal=False), _circle, smooth=False, leading_dims=False),
    # The references are the batch itself.
    Case(jaxloss.Circle(), _circle_batch, smooth=False, leading_dims=False, independent=False),
    # Beyond Keras.
    Case(jaxloss.SmoothL1(beta=0.5), _dense(-3, 3), smooth=False),
    Case(
        jaxloss.GaussianNLL(full=True), _with_input(_dense(-3, 3), "variance", 0.2, 2.0), batched_inputs=("variance",)
    ),
    Case(
        jaxloss.GaussianNLL(),
        _with_input(_dense(-3, 3), "variance", 0.2, 2.0, drop_last=True),
        batched_inputs=("variance",),
    ),
    # eps well above 0: the finite-difference gradient check steps it by 1e-6.
    Case(jaxloss.PoissonNLL(eps=0.01), _counts(log_input=True)),
    Case(jaxloss.PoissonNLL(log_input=False, full=True, eps=0.01), _counts(log_input=False)),
    Case(
        jaxloss.MarginRanking(margin=0.2),
        _with_input(_signs(), "other", -2, 2),
        smooth=False,
        batched_inputs=("other",),
    ),
    Case(
        jaxloss.CosineEmbedding(margin=0.1),
        _with_input(_signs(per_row=True), "other", -2, 2),
        smooth=False,
        batched_inputs=("other",),
    ),
    Case(jaxloss.MultilabelSoftMargin(), _binary(logits=True), logits=True),
    Case(jaxloss.Perceptron(), _signs(), smooth=False, logits=True),
    Case(jaxloss.Perceptron(), _class_ids(), smooth=False, logits=True),
    Case(jaxloss.Poly1Crossentropy(from_logits=True, ignore_class=-1), _sparse(logits=True, ignore=-1), logits=True),
    Case(jaxloss.Poly1Crossentropy(epsilon=-1.0), _one_hot(logits=False)),
    Case(jaxloss.MulticlassHinge(), _class_ids(), smooth=False, logits=True),
    Case(jaxloss.MulticlassHinge(margin=0.5), _one_hot(logits=True), smooth=False, logits=True),
    Case(jaxloss.SparsemaxLoss(), _class_ids(), smooth=False, logits=True),
    Case(jaxloss.SparsemaxLoss(), _binary(logits=True), smooth=False, logits=True),
    Case(jaxloss.GeneralizedKLDivergence(), _dense(-1, 2, positive_true=True)),
    # The class weights come from the whole batch's counts, and NT-Xent's negatives are the batch.
    Case(jaxloss.GeneralizedDice(from_logits=True), _segmentation, leading_dims=False, independent=False, logits=True),
    Case(jaxloss.GeneralizedDice(weighted=False), _segmentation_probabilities, leading_dims=False),
    Case(jaxloss.NTXent(temperature=0.5), _groups, smooth=False, leading_dims=False, independent=False, logits=True),
    Case(
        jaxloss.TripletMargin(margin=0.5, swap=True),
        _triplets,
        smooth=False,
        batched_inputs=("positive", "negative"),
    ),
    Case(
        jaxloss.LinearSoftmaxCrossentropy(ignore_class=-1, label_smoothing=0.1, z_loss=1e-2, logit_soft_cap=3.0),
        _tokens,
        logits=True,
    ),
)

# Every class must have a case, so a new loss cannot skip the property suite.
assert {type(c.loss) for c in CASES} == set(jaxloss._src.classes.LOSSES)
