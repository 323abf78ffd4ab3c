"""The plain textbook form of every loss whose value is rewritten or whose derivative is hand-written.

jaxloss writes some losses in select-free forms for XLA's CPU fusions and gives others a custom
derivative (see the policy in `jaxloss/_src/_numerics.py`). Each such loss has here its textbook form,
written with `jnp.clip`, `jnp.where`, `jax.nn` and autodiff, as its specification: the values and the
gradients in every float input must equal it, at random points and at the kinks, zeros and infinities
where the textbook form is defined (a NaN in the textbook's gradient is the textbook's own failure, and
not compared).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxloss

EPS = 1e-7


class Spec(NamedTuple):
    name: str
    loss: Callable[..., jax.Array]
    textbook: Callable[..., jax.Array]
    inputs: Callable[[np.random.Generator], tuple[Any, Any]]  # (y_true, y_pred) at random points
    special: tuple[tuple[Any, Any], ...]  # kinks, zeros, infinities
    differentiable_true: bool = True  # float y_true: compare its gradient too


def _normalize(x):
    return x * jax.lax.rsqrt(jnp.maximum(jnp.sum(x * x, axis=-1, keepdims=True), EPS**2))


def _huber(t, p, delta=1.0):
    e = p - t
    return jnp.mean(jnp.where(jnp.abs(e) <= delta, 0.5 * e**2, delta * (jnp.abs(e) - 0.5 * delta)), -1)


def _bce_logits(t, x):
    return -t * jax.nn.log_sigmoid(x) - (1.0 - t) * jax.nn.log_sigmoid(-x)


def _signs(t):
    return jnp.where(jnp.all((t == 0) | (t == 1)), 2.0 * t - 1.0, t)


def _real(low, high, shape=(4, 5)):
    return lambda rng: (rng.uniform(low, high, shape), rng.uniform(low, high, shape))


def _probs(rng, shape=(4, 5)):
    t = rng.dirichlet(np.ones(shape[-1]), shape[0])
    return t, rng.dirichlet(np.ones(shape[-1]), shape[0])


def _labels_logits(rng, shape=(4, 5)):
    return rng.uniform(0, 1, shape).round(), rng.normal(0, 3, shape)


def _onehot_logits(rng, shape=(4, 5)):
    return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[0])], rng.normal(0, 3, shape)


def _ids_logits(rng, shape=(4, 5)):
    return rng.integers(0, shape[-1], shape[0]), rng.normal(0, 3, shape)


def _sparse_ce(t, x, smoothing=0.0):
    log_p = jax.nn.log_softmax(x, -1)
    picked = jnp.take_along_axis(log_p, t[:, None], -1)[:, 0]
    return -(1.0 - smoothing) * picked - smoothing * jnp.mean(log_p, -1)


def _focal(t, x, alpha=0.25, gamma=2.0):
    log_p = jax.nn.log_softmax(x, -1)
    return jnp.sum(alpha * (1.0 - jnp.exp(log_p)) ** gamma * -t * log_p, -1)


def _binary_focal(t, x, gamma=2.0):
    p = jax.nn.sigmoid(x)
    pt = t * p + (1.0 - t) * (1.0 - p)
    return jnp.mean((1.0 - pt) ** gamma * _bce_logits(t, x), -1)


def _kl(t, p):
    t, p = jnp.clip(t, EPS, 1.0), jnp.clip(p, EPS, 1.0)
    return jnp.sum(t * jnp.log(t / p), -1)


def _multiclass_hinge(t, s, margin=1.0):
    one_hot = jax.nn.one_hot(t, s.shape[-1])
    return jnp.max(s + margin * (1.0 - one_hot), -1) - jnp.sum(one_hot * s, -1)


SPECS = [
    Spec("huber", jaxloss.huber, _huber, _real(-3, 3), (([0.0, 0.0, 0.0], [1.0, -1.0, 0.0]), ([0.0], [jnp.inf]))),
    Spec(
        "smooth_l1",
        lambda t, p: jaxloss.smooth_l1(t, p, beta=0.5),
        lambda t, p: _huber(t, p, 0.5) / 0.5,
        _real(-3, 3),
        (([0.0, 0.0, 0.0], [0.5, -0.5, 0.0]),),
    ),
    Spec(
        "log_cosh",
        jaxloss.log_cosh,
        lambda t, p: jnp.mean(jnp.log(jnp.cosh(p - t)), -1),
        _real(-20, 20),
        (([0.0, 0.0], [0.0, 30.0]),),
    ),
    Spec(
        "hinge",
        jaxloss.hinge,
        lambda t, p: jnp.mean(jnp.maximum(1.0 - _signs(t) * p, 0.0), -1),
        lambda rng: (rng.choice([-1.0, 1.0], (4, 5)), rng.normal(0, 2, (4, 5))),
        (([1.0, -1.0, 1.0], [1.0, -1.0, jnp.inf]),),
        differentiable_true=False,  # the {0, 1} -> {-1, 1} switch is a batch-wide test
    ),
    Spec(
        "squared_hinge",
        jaxloss.squared_hinge,
        lambda t, p: jnp.mean(jnp.square(jnp.maximum(1.0 - _signs(t) * p, 0.0)), -1),
        lambda rng: (rng.choice([-1.0, 1.0], (4, 5)), rng.normal(0, 2, (4, 5))),
        (([1.0, -1.0, 1.0], [1.0, -1.0, 0.0]),),
        differentiable_true=False,
    ),
    Spec(
        "categorical_hinge",
        jaxloss.categorical_hinge,
        lambda t, p: jnp.maximum(jnp.max((1.0 - t) * p, -1) - jnp.sum(t * p, -1) + 1.0, 0.0),
        _onehot_logits,
        (([0.0, 1.0, 0.0], [0.0, 1.0, 0.0]),),
    ),
    Spec(
        "mean_absolute_percentage_error",
        jaxloss.mean_absolute_percentage_error,
        lambda t, p: 100.0 * jnp.mean(jnp.abs(t - p) / jnp.maximum(jnp.abs(t), EPS), -1),
        _real(0.5, 3),
        (([1.0, 2.0, 0.0], [1.0, 1.0, 0.5]),),
    ),
    Spec(
        "mean_squared_logarithmic_error",
        jaxloss.mean_squared_logarithmic_error,
        lambda t, p: jnp.mean(jnp.square(jnp.log(jnp.maximum(p, EPS) + 1.0) - jnp.log(jnp.maximum(t, EPS) + 1.0)), -1),
        _real(0.0, 3),
        (([1.0, 0.0, 2.0], [1.0, 0.5, 0.0]),),
    ),
    Spec(
        "cosine_similarity",
        jaxloss.cosine_similarity,
        lambda t, p: -jnp.sum(_normalize(t) * _normalize(p), -1),
        _real(-2, 2),
        (([1.0, 0.0, 0.0], [2.0, 0.0, 0.0]), ([0.0, 0.0, 0.0], [1.0, 2.0, 3.0])),
    ),
    Spec("kl_divergence", jaxloss.kl_divergence, _kl, _probs, (([0.0, 1.0, 0.0], [0.5, 0.5, 0.0]),)),
    Spec(
        "poisson",
        jaxloss.poisson,
        lambda t, p: jnp.mean(p - t * jnp.log(p + EPS), -1),
        _real(0.1, 3),
        (([0.0, 1.0, 2.0], [1.0, 0.5, 2.0]),),
    ),
    Spec(
        "binary_crossentropy",
        jaxloss.binary_crossentropy,
        lambda t, p: jnp.mean(
            -(t * jnp.log(jnp.clip(p, EPS, 1 - EPS)) + (1 - t) * jnp.log(1 - jnp.clip(p, EPS, 1 - EPS))),
            -1,
        ),
        lambda rng: (rng.uniform(0, 1, (4, 5)).round(), rng.uniform(0.01, 0.99, (4, 5))),
        (([0.0, 1.0, 1.0], [0.0, 1.0, 0.5]),),
    ),
    Spec(
        "binary_crossentropy(from_logits)",
        lambda t, p: jaxloss.binary_crossentropy(t, p, from_logits=True),
        lambda t, x: jnp.mean(_bce_logits(t, x), -1),
        _labels_logits,
        (([0.0, 1.0, 0.5], [0.0, 0.0, 0.0]), ([0.0, 1.0], [-jnp.inf, jnp.inf])),
    ),
    Spec(
        "binary_focal_crossentropy(from_logits)",
        lambda t, p: jaxloss.binary_focal_crossentropy(t, p, from_logits=True),
        _binary_focal,
        _labels_logits,
        (([0.0, 1.0, 0.5], [0.0, 0.0, 0.0]),),
    ),
    Spec(
        "categorical_crossentropy(from_logits)",
        lambda t, p: jaxloss.categorical_crossentropy(t, p, from_logits=True),
        lambda t, x: -jnp.sum(t * jax.nn.log_softmax(x, -1), -1),
        _onehot_logits,
        (([0.0, 1.0, 0.0], [0.0, 0.0, 0.0]), ([0.0, 1.0, 0.0], [0.0, 100.0, -100.0])),
    ),
    Spec(
        "categorical_focal_crossentropy(from_logits)",
        lambda t, p: jaxloss.categorical_focal_crossentropy(t, p, from_logits=True),
        _focal,
        _onehot_logits,
        (([0.0, 1.0, 0.0], [0.0, 0.0, 0.0]), ([0.0, 1.0, 0.0], [0.0, 5.0, -5.0])),
    ),
    Spec(
        "sparse_categorical_crossentropy(from_logits)",
        lambda t, p: jaxloss.sparse_categorical_crossentropy(t, p, from_logits=True),
        _sparse_ce,
        _ids_logits,
        (([1], [[0.0, 0.0, 0.0]]), ([1], [[0.0, 100.0, -100.0]])),
        differentiable_true=False,
    ),
    Spec(
        "sparse_categorical_crossentropy(from_logits, label_smoothing)",
        lambda t, p: jaxloss.sparse_categorical_crossentropy(t, p, from_logits=True, label_smoothing=0.1),
        lambda t, x: _sparse_ce(t, x, 0.1),
        _ids_logits,
        (([1], [[0.0, 0.0, 0.0]]),),
        differentiable_true=False,
    ),
    Spec(
        "multiclass_hinge",
        jaxloss.multiclass_hinge,
        _multiclass_hinge,
        _ids_logits,
        (([0], [[1.0, 0.0, 0.0]]), ([0], [[1.0, 2.0, 2.0]])),
        differentiable_true=False,
    ),
    Spec(
        "generalized_kl_divergence",
        jaxloss.generalized_kl_divergence,
        lambda t, x: jnp.sum(jax.scipy.special.xlogy(t, t) - t * x + jnp.exp(x) - t, -1),
        _real(0.1, 3),
        (([0.0, 1.0, 2.0], [1.0, 1.0, 2.0]),),
    ),
]


def _arrays(y_true, y_pred, spec):
    y_pred = jnp.asarray(y_pred, jnp.float32)
    y_true = jnp.asarray(y_true, jnp.float32 if spec.differentiable_true else jnp.int32)
    return y_true, y_pred


def _compare(spec, y_true, y_pred):
    y_true, y_pred = _arrays(y_true, y_pred, spec)
    want = spec.textbook(y_true, y_pred)
    got = spec.loss(y_true, y_pred)
    defined = np.isfinite(want) | np.isinf(want)
    np.testing.assert_allclose(np.asarray(got)[defined], np.asarray(want)[defined], rtol=2e-5, atol=1e-6)
    argnums = (0, 1) if spec.differentiable_true else (1,)
    got_grads = jax.grad(lambda t, p: jnp.sum(spec.loss(t, p)), argnums)(y_true, y_pred)
    want_grads = jax.grad(lambda t, p: jnp.sum(spec.textbook(t, p)), argnums)(y_true, y_pred)
    for got_grad, want_grad in zip(got_grads, want_grads, strict=True):
        assert np.all(np.isfinite(got_grad)), got_grad  # never NaN for finite or infinite inputs
        defined = np.isfinite(want_grad)
        np.testing.assert_allclose(np.asarray(got_grad)[defined], np.asarray(want_grad)[defined], rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_values_and_gradients_equal_the_textbook_form(spec):
    rng = np.random.default_rng(0)
    _compare(spec, *spec.inputs(rng))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_at_kinks_zeros_and_infinities(spec):
    for y_true, y_pred in spec.special:
        t, p = np.asarray(y_true), np.asarray(y_pred, np.float32)
        if p.ndim == 1:
            t, p = t[None], p[None]
        _compare(spec, t, p)


def test_every_hand_derived_loss_has_its_textbook_form():
    """The public losses built on a custom derivative or a select-free rewrite, by name: each is in SPECS."""
    covered = {spec.name.split("(")[0] for spec in SPECS}
    hand_derived = {
        "huber",
        "smooth_l1",
        "log_cosh",
        "hinge",
        "squared_hinge",
        "categorical_hinge",
        "mean_absolute_percentage_error",
        "mean_squared_logarithmic_error",
        "cosine_similarity",
        "kl_divergence",
        "poisson",
        "binary_crossentropy",
        "binary_focal_crossentropy",
        "categorical_crossentropy",
        "categorical_focal_crossentropy",
        "sparse_categorical_crossentropy",
        "multiclass_hinge",
        "generalized_kl_divergence",
    }
    assert hand_derived <= covered
