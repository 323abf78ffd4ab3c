"""Gradients of every loss w.r.t. every differentiable argument, in forward and reverse mode.

`jax.test_util.check_grads` compares each derivative (JVP and VJP) with
float64 central differences, at random points and at zeros of the factors
(zero labels, zero weights). The subgradients at kinks are compared with
Keras's in tests/test_keras_differential.py (`keras_kinks.json`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxloss
from jaxloss._src import _checks
from tests.cases import CASES, Case
from tests.compat import x64


@dataclasses.dataclass(frozen=True)
class Spec:
    """A per-sample function, its differentiable arguments and how to draw them (float64)."""

    fn: Callable[..., jax.Array]
    make: Callable[[np.random.Generator], dict[str, Any]]  # argument name -> value
    wrt: tuple[str, ...]  # the differentiable arguments
    static: dict[str, Any] = dataclasses.field(default_factory=dict)
    modes: tuple[str, ...] = ("fwd", "rev")  # a custom_vjp has no forward mode

    @property
    def id(self) -> str:
        return f"{self.fn.__name__}{self.static or ''}[{','.join(self.wrt)}]"


def _dense(low, high, shape=(3, 4)):
    return lambda rng: {"y_true": rng.uniform(low, high, shape), "y_pred": rng.uniform(low, high, shape)}


def _soft_labels(rng, shape=(3, 4), zeros=True):
    labels = rng.dirichlet(np.ones(shape[-1]), shape[:-1])
    if zeros:  # zero labels: d/dy_true there must be the finite factor, not 0
        labels[..., 0] = 0.0
        labels /= labels.sum(-1, keepdims=True)
    return labels


def _probs(rng, shape=(3, 4)):
    return rng.dirichlet(np.ones(shape[-1]) * 3, shape[:-1])


def _classification(logits: bool, extra: dict | None = None, shape=(3, 4)):
    def make(rng):
        y_pred = rng.normal(0, 2, shape) if logits else _probs(rng, shape)
        return {"y_true": _soft_labels(rng, shape), "y_pred": y_pred, **(extra or {})}

    return make


def _binary(logits: bool, extra: dict | None = None):
    def make(rng):
        y_pred = rng.normal(0, 2, (3, 4)) if logits else rng.uniform(0.05, 0.95, (3, 4))
        y_true = rng.uniform(0, 1, (3, 4))
        y_true[0] = 0.0  # zero labels
        return {"y_true": y_true, "y_pred": y_pred, **(extra or {})}

    return make


def _sparse(logits: bool, extra: dict | None = None):
    def make(rng):
        y_pred = rng.normal(0, 2, (3, 4)) if logits else _probs(rng)
        return {"y_true": rng.integers(0, 4, 3).astype(np.int32), "y_pred": y_pred, **(extra or {})}

    return make


def _unit(rng, shape):
    x = rng.normal(size=shape)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _circle(rng):
    return {
        "y_true": np.array([0, 0, 1, 1], np.int32),
        "y_pred": _unit(rng, (4, 3)),
        "ref_labels": np.array([0, 1, 1, 0, 2], np.int32),
        "ref_embeddings": _unit(rng, (5, 3)),
        "gamma": 2.0,
        "margin": 0.25,
    }


def _ctc(rng):
    return {
        "y_true": np.array([[1, 2, 2], [3, 1, 0]], np.int32),
        "y_pred": rng.normal(0, 1.5, (2, 7, 4)),
        "logit_length": np.array([7, 5], np.int32),
    }


def _linear(rng):
    return {
        "y_true": np.array([0, 4, -1, 2, 3], np.int32),
        "y_pred": rng.normal(0, 1, (5, 3)),  # features
        "kernel": rng.normal(0, 1, (3, 5)),
        "bias": rng.normal(0, 1, 5),
        "label_smoothing": 0.2,
        "z_loss": 0.05,
        "logit_soft_cap": 2.0,
    }


TY = ("y_true", "y_pred")
SPECS = [
    Spec(jaxloss.mean_squared_error, _dense(-2, 2), TY),
    Spec(jaxloss.mean_absolute_error, _dense(-2, 2), TY),
    Spec(jaxloss.mean_absolute_percentage_error, _dense(0.5, 2), TY),
    Spec(jaxloss.mean_squared_logarithmic_error, _dense(0.1, 3), TY),
    Spec(jaxloss.cosine_similarity, _dense(-2, 2), TY),
    Spec(jaxloss.huber, lambda rng: {**_dense(-2, 2)(rng), "delta": 0.7}, TY + ("delta",)),
    Spec(jaxloss.log_cosh, _dense(-2, 2), TY),
    Spec(jaxloss.hinge, _dense(-1.5, 1.5), TY),  # non-binary labels: no batch-wide conversion switch
    Spec(jaxloss.squared_hinge, _dense(-1.5, 1.5), TY),
    Spec(jaxloss.categorical_hinge, _classification(logits=True), TY),
    Spec(jaxloss.kl_divergence, lambda rng: {"y_true": _probs(rng), "y_pred": _probs(rng)}, TY),  # inside the clip
    Spec(
        jaxloss.poisson,
        lambda rng: {
            "y_true": np.concatenate([np.zeros((1, 4)), rng.uniform(0.1, 3, (2, 4))]),
            "y_pred": rng.uniform(0.1, 3, (3, 4)),
        },
        TY,
    ),
    Spec(jaxloss.binary_crossentropy, _binary(False, {"label_smoothing": 0.1}), TY + ("label_smoothing",)),
    Spec(
        jaxloss.binary_crossentropy,
        _binary(True, {"label_smoothing": 0.1}),
        TY + ("label_smoothing",),
        {"from_logits": True},
    ),
    Spec(
        jaxloss.binary_focal_crossentropy,
        _binary(False, {"alpha": 0.3, "gamma": 1.5, "label_smoothing": 0.1}),
        TY + ("alpha", "gamma", "label_smoothing"),
        {"apply_class_balancing": True},
    ),
    Spec(
        jaxloss.binary_focal_crossentropy,
        _binary(True, {"alpha": 0.3, "gamma": 2.0}),
        TY + ("alpha", "gamma"),
        {"apply_class_balancing": True, "from_logits": True},
    ),
    Spec(jaxloss.categorical_crossentropy, _classification(False, {"label_smoothing": 0.2}), TY + ("label_smoothing",)),
    Spec(
        jaxloss.categorical_crossentropy,
        _classification(True, {"label_smoothing": 0.2}),
        TY + ("label_smoothing",),
        {"from_logits": True},
    ),
    Spec(
        jaxloss.categorical_crossentropy,
        _classification(True, {"label_smoothing": 0.2}, shape=(2, 3, 4)),
        TY + ("label_smoothing",),
        {"from_logits": True, "axis": 1},
    ),
    Spec(
        jaxloss.categorical_focal_crossentropy,
        _classification(False, {"alpha": 0.3, "gamma": 1.5, "label_smoothing": 0.1}),
        TY + ("alpha", "gamma", "label_smoothing"),
    ),
    Spec(
        jaxloss.categorical_focal_crossentropy,
        _classification(True, {"alpha": np.array([0.1, 0.2, 0.3, 0.4]), "gamma": 0.5}),
        TY + ("alpha", "gamma"),
        {"from_logits": True},
    ),
    Spec(jaxloss.sparse_categorical_crossentropy, _sparse(False), ("y_pred",)),
    Spec(jaxloss.sparse_categorical_crossentropy, _sparse(True), ("y_pred",), {"from_logits": True}),
    Spec(jaxloss.categorical_generalized_cross_entropy, _sparse(False, {"q": 0.4}), ("y_pred", "q")),
    Spec(jaxloss.ctc, _ctc, ("y_pred",)),
    # The {-1, 1} labels select the branch: not differentiable.
    Spec(
        jaxloss.cosine_embedding,
        lambda rng: {
            "y_true": rng.choice([-1.0, 1.0], 3),
            "y_pred": rng.normal(size=(3, 4)),
            "other": rng.normal(size=(3, 4)),
            "margin": -0.5,
        },
        ("y_pred", "other", "margin"),
    ),
    Spec(
        jaxloss.triplet_margin,
        lambda rng: {
            "y_true": None,
            "y_pred": rng.normal(size=(4, 3)),
            "positive": rng.normal(size=(4, 3)),
            "negative": rng.normal(size=(4, 3)),
            "margin": 2.0,  # every triplet active: away from the hinge's kink
            "p": 3.0,
            "eps": 1e-3,
        },
        ("y_pred", "positive", "negative", "margin", "p", "eps"),
        {"swap": True},
    ),
    Spec(jaxloss.dice, _dense(0, 1), TY, {"axis": -1}),
    Spec(
        jaxloss.tversky,
        lambda rng: {**_dense(0, 1)(rng), "alpha": 0.3, "beta": 0.6},
        TY + ("alpha", "beta"),
        {"axis": -1},
    ),
    Spec(jaxloss.circle, _circle, ("y_pred", "ref_embeddings", "gamma", "margin")),
    Spec(
        jaxloss.linear_softmax_crossentropy,
        _linear,
        ("y_pred", "kernel", "bias", "label_smoothing", "z_loss", "logit_soft_cap"),
        {"ignore_class": -1, "block_size": (2, 3)},
        modes=("rev",),
    ),
]


def _spec_from_case(case: Case) -> Spec:
    """A loss without a hand-written spec is checked at its test case's inputs and config."""
    config = case.loss.fn_config()
    floats = {k for k, spec in _checks.specs(type(case.loss)).items() if spec.check in _FLOAT_CHECKS}
    y_true, _, extra = case.make(np.random.default_rng(0), (3,))
    wrt = ("y_true", "y_pred") if np.asarray(y_true).dtype.kind == "f" else ("y_pred",)

    def make(rng):
        y_true, y_pred, extra = case.make(rng, (3,))
        return {"y_true": y_true, "y_pred": y_pred, **extra, **{k: config[k] for k in floats}}

    static = {k: v for k, v in config.items() if k not in floats}
    return Spec(case.loss.fn, make, wrt + tuple(sorted(floats)), static)


_FLOAT_CHECKS = {
    t.__metadata__[0].check
    for t in (
        _checks.Fraction,
        _checks.OpenFraction,
        _checks.PositiveFloat,
        _checks.NonNegativeFloat,
        _checks.FiniteFloat,
    )
}
SPECS += [_spec_from_case(c) for c in CASES if c.loss.fn not in {s.fn for s in SPECS}]


def test_every_loss_function_is_covered():
    assert {s.fn for s in SPECS} == {cls.fn for cls in jaxloss._src.classes.LOSSES}


def _check(
    fn: Callable[..., jax.Array],
    values: dict[str, Any],
    wrt: tuple[str, ...],
    modes: tuple[str, ...] = ("fwd", "rev"),
    **static: Any,
) -> None:
    fixed = {k: v for k, v in values.items() if k not in wrt}

    def f(*args):
        arguments = {**fixed, **dict(zip(wrt, args, strict=False))}
        # y_true and y_pred positionally: a loss may name them otherwise (`features`).
        return fn(arguments.pop("y_true"), arguments.pop("y_pred"), **arguments, **static)

    args = tuple(jnp.asarray(values[k], jnp.float64) for k in wrt)
    # jitted: check_grads calls f and its jvp/vjp many times; one compile each, not one per primitive.
    check_grads(jax.jit(f), args, order=1, modes=list(modes), atol=1e-6, rtol=1e-6, eps=1e-6)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_first_derivatives_match_finite_differences(spec: Spec, seed: int):
    with x64():
        _check(spec.fn, spec.make(np.random.default_rng(seed)), spec.wrt, spec.modes, **spec.static)


REDUCED = [s for s in SPECS if s.fn not in (jaxloss.dice, jaxloss.tversky)] + [
    Spec(jaxloss.sparse_categorical_crossentropy, _sparse(True), ("y_pred",), {"from_logits": True, "ignore_class": 3}),
]


@pytest.mark.parametrize("spec", REDUCED, ids=lambda s: s.id)
@pytest.mark.parametrize(
    "reduction",
    ["sum", *(pytest.param(r, marks=pytest.mark.slow) for r in ("sum_over_batch_size", "mean_with_sample_weight"))],
)
def test_sample_weight_gradients_including_zero_weights(spec: Spec, reduction: str):
    rng = np.random.default_rng(2)
    values = spec.make(rng)
    batch = np.shape(values["y_pred"])[0]
    weights = rng.uniform(0.5, 2, batch)
    weights[0] = 0.0  # d/dw at w = 0 is that sample's loss
    reduced = jaxloss.reduce(spec.fn, reduction)
    with x64():
        _check(reduced, {**values, "sample_weight": weights}, ("sample_weight", "y_pred"), spec.modes, **spec.static)
        if reduction != "mean_with_sample_weight":  # its divisor is 0 at all-zero weights
            zeros = {**values, "sample_weight": np.zeros(batch)}
            _check(reduced, zeros, ("sample_weight",), spec.modes, **spec.static)


# ---- the zero-factor gradients, in closed form ------------------------------------------------

X = jnp.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])


def test_weight_gradient_at_zero_weights_is_the_per_sample_loss():
    y_true, y_pred = jnp.array([[1.0, 2.0], [3.0, 4.0]]), jnp.zeros((2, 2))
    grad = jax.grad(lambda w: jaxloss.MeanSquaredError(reduction="sum")(y_true, y_pred, w))(jnp.zeros(2))
    np.testing.assert_allclose(grad, jaxloss.mean_squared_error(y_true, y_pred))  # was [0, 0]


def test_label_gradient_at_zero_labels_cce_from_logits():
    labels = jnp.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    grad = jax.grad(lambda t: jaxloss.categorical_crossentropy(t, X, from_logits=True).sum())(labels)
    np.testing.assert_allclose(grad, -jax.nn.log_softmax(X), rtol=1e-6)


def test_label_gradient_at_zero_labels_bce_from_logits_and_poisson_and_focal():
    zeros = jnp.zeros_like(X)
    bce = jax.grad(lambda t: jaxloss.binary_crossentropy(t, X, from_logits=True).sum())(zeros)
    np.testing.assert_allclose(bce, (jax.nn.softplus(-X) - jax.nn.softplus(X)) / 3, rtol=1e-6, atol=1e-7)
    rates = jnp.abs(X) + 0.5
    poisson = jax.grad(lambda t: jaxloss.poisson(t, rates).sum())(zeros)
    np.testing.assert_allclose(poisson, -jnp.log(rates + 1e-7) / 3, rtol=1e-6)
    focal = jax.grad(
        lambda t: jaxloss.categorical_focal_crossentropy(t, X, from_logits=True, alpha=0.5, gamma=2.0).sum()
    )(zeros)
    log_p = jax.nn.log_softmax(X)
    np.testing.assert_allclose(focal, 0.5 * (1 - jnp.exp(log_p)) ** 2 * -log_p, rtol=1e-5)


def test_gamma_gradient_at_gamma_zero_is_not_dropped():
    # d/dgamma (1 - p)^gamma at gamma = 0 is log(1 - p): a NaN guard on 0 ** 0 must not zero it.
    y_true, p = jnp.array([[1.0, 0.0]]), jnp.array([[0.7, 0.3]])
    grad = jax.grad(lambda g: jaxloss.categorical_focal_crossentropy(y_true, p, gamma=g, alpha=1.0).sum())(0.0)
    np.testing.assert_allclose(grad, -np.log(0.7) * np.log(0.3), rtol=1e-5)


def test_focal_base_of_zero_with_gamma_one_has_slope_one():
    # (1 - p_t)^1 at p_t = 1: the derivative is that of the base, as in Keras's power.
    grad = jax.grad(lambda p: jaxloss.binary_focal_crossentropy(jnp.array([[1.0]]), p, gamma=1.0).sum())(
        jnp.array([[1.0]])
    )
    assert np.isfinite(float(grad[0, 0])) and float(grad[0, 0]) != 0.0


def test_kink_subgradients_match_keras():
    # Huber at |e| == delta: the quadratic branch's slope e (Keras), not 0.5 e.
    grad = jax.grad(lambda p: jaxloss.huber(jnp.array([[0.0]]), p).sum())(jnp.array([[-1.0]]))
    np.testing.assert_allclose(grad, [[-1.0]])
    # Poisson at y_pred == 0: Keras's full slope 1 - y / eps, not half of it.
    grad = jax.grad(lambda p: jaxloss.poisson(jnp.array([[2.0]]), p).sum())(jnp.array([[0.0]]))
    np.testing.assert_allclose(grad, [[1.0 - 2.0 / 1e-7]], rtol=1e-6)
