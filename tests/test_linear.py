"""linear_softmax_crossentropy: equal to the materialized logits, in value and gradients, without forming them."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxloss

N, H, V = 13, 6, 11  # V is a multiple of no block size below but 1 and 11


def _reference(y, x, w, b=None, *, ignore_class=None, label_smoothing=0.0, z_loss=0.0, logit_soft_cap=None):
    """The materialized definition: logits, then the sparse crossentropy, plus the z-loss."""
    z = jnp.dot(x.astype(jnp.float32), w.astype(jnp.float32), precision="highest")
    if b is not None:
        z = z + b.astype(jnp.float32)
    if logit_soft_cap is not None:
        z = logit_soft_cap * jnp.tanh(z / logit_soft_cap)
    ce = jaxloss.sparse_categorical_crossentropy(
        y, z, from_logits=True, ignore_class=ignore_class, label_smoothing=label_smoothing
    )
    lse = jax.nn.logsumexp(z, axis=-1)
    keep = jnp.ones_like(ce, bool) if ignore_class is None else y != ignore_class
    return ce + jnp.where(keep, z_loss * jnp.square(lse), 0.0)


def _inputs(seed=0, n=N, dtype=jnp.float32, scale=1.0):
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.normal(size=(n, H)) * scale, dtype)
    w = jnp.asarray(rng.normal(size=(H, V)) * 0.7, dtype)
    b = jnp.asarray(rng.normal(size=V), dtype)
    y = rng.integers(0, V, n).astype(np.int32)
    y[[1, 4]] = -1  # ignored tokens
    return jnp.asarray(y), x, w, b


OPTIONS = [
    {},
    {"ignore_class": -1},
    {"label_smoothing": 0.2},
    {"z_loss": 0.01},
    {"logit_soft_cap": 2.5},
    {"ignore_class": -1, "label_smoothing": 0.1, "z_loss": 1e-3, "logit_soft_cap": 4.0},
]
BLOCKS = [None, 1, 4, (1, 1), (5, 3), (64, 64)]  # None: one block of all 13 tokens x 11 classes


def _labels(y, options):
    return y if "ignore_class" in options else jnp.abs(y)  # without ignore_class, -1 would be out of range


@pytest.mark.floor
@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("block_size", BLOCKS, ids=str)
def test_values_and_gradients_equal_the_materialized_logits(options, block_size):
    y, x, w, b = _inputs()
    y = _labels(y, options)
    weights = jnp.asarray(np.random.default_rng(1).uniform(0.5, 2.0, N), jnp.float32).at[0].set(0.0)
    floats = {k: v for k, v in options.items() if k != "ignore_class"}
    static = {"ignore_class": options.get("ignore_class")}

    def ours(x, w, b, floats):
        per_token = jaxloss.linear_softmax_crossentropy(y, x, w, bias=b, block_size=block_size, **static, **floats)
        return jnp.sum(weights * per_token)

    def reference(x, w, b, floats):
        return jnp.sum(weights * _reference(y, x, w, b, **static, **floats))

    value, grads = jax.jit(jax.value_and_grad(ours, argnums=(0, 1, 2, 3)))(x, w, b, floats)
    want_value, want_grads = jax.value_and_grad(reference, argnums=(0, 1, 2, 3))(x, w, b, floats)
    np.testing.assert_allclose(value, want_value, rtol=2e-6)
    for got, want in zip(jax.tree.leaves(grads), jax.tree.leaves(want_grads), strict=True):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_the_class_reduces_over_valid_tokens_with_sample_weights():
    y, x, w, b = _inputs(2)
    weights = jnp.linspace(0.0, 2.0, N)
    loss = jaxloss.LinearSoftmaxCrossentropy(ignore_class=-1, z_loss=1e-2)

    @jaxloss.returns_mask
    def materialized(t, p):
        return jaxloss.LossWithMask(_reference(t, p, w, b, ignore_class=-1, z_loss=1e-2), t != -1)

    masked = jaxloss.reduce(materialized)
    got = jax.value_and_grad(lambda x, w, b: loss(y, x, weights, kernel=w, bias=b), argnums=(0, 1, 2))(x, w, b)
    want = jax.value_and_grad(lambda x: masked(y, x, weights), argnums=0)(x)
    np.testing.assert_allclose(got[0], want[0], rtol=2e-6)
    np.testing.assert_allclose(got[1][0], want[1], rtol=2e-5, atol=2e-6)
    # The mean divides by the 11 valid tokens, not by 13.
    per_token = jaxloss.linear_softmax_crossentropy(y, x, w, bias=b, ignore_class=-1, z_loss=1e-2)
    np.testing.assert_allclose(got[0], jnp.sum(weights * per_token) / 11, rtol=2e-6)


def test_bf16_inputs_accumulate_in_float32():
    y, x, w, b = _inputs(3, dtype=jnp.bfloat16)
    f = lambda x, w, b: jnp.sum(jaxloss.linear_softmax_crossentropy(y, x, w, bias=b, ignore_class=-1, block_size=4))  # noqa: E731
    r = lambda x, w, b: jnp.sum(_reference(y, x, w, b, ignore_class=-1))  # noqa: E731
    value, grads = jax.value_and_grad(f, argnums=(0, 1, 2))(x, w, b)
    want_value, want_grads = jax.value_and_grad(r, argnums=(0, 1, 2))(x, w, b)  # the same bf16 values, in float32
    assert value.dtype == jnp.float32 and [g.dtype for g in grads] == [jnp.bfloat16] * 3
    np.testing.assert_allclose(value, want_value, rtol=2e-6)
    for got, want in zip(grads, want_grads, strict=True):  # rounded once, to bf16
        np.testing.assert_allclose(np.float32(got), np.float32(want.astype(jnp.bfloat16)), rtol=1e-2, atol=1e-3)


@pytest.mark.parametrize("scale", [1e2, 1e4])
def test_extreme_features_give_finite_values_and_gradients(scale):
    y, x, w, b = _inputs(4, scale=scale)
    for options in ({}, {"label_smoothing": 0.1, "z_loss": 1e-4}, {"logit_soft_cap": 30.0}):
        f = lambda x, w, b: jnp.sum(
            jaxloss.linear_softmax_crossentropy(jnp.abs(y), x, w, bias=b, block_size=3, **options)
        )  # noqa: E731
        r = lambda x, w, b: jnp.sum(_reference(jnp.abs(y), x, w, b, **options))  # noqa: E731
        value, grads = jax.value_and_grad(f, argnums=(0, 1, 2))(x, w, b)
        want_value, want_grads = jax.value_and_grad(r, argnums=(0, 1, 2))(x, w, b)
        assert np.isfinite(value) and all(np.isfinite(g).all() for g in grads)
        np.testing.assert_allclose(value, want_value, rtol=1e-5)
        # Logits near 1e4 * |w| carry an absolute rounding error of about 1e-3: so do their softmax ratios.
        tolerance = 1e-6 * scale
        for got, want in zip(grads, want_grads, strict=True):
            np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance * float(jnp.max(jnp.abs(want))))


def test_an_all_ignored_batch_gives_zero_value_and_exactly_zero_gradients():
    _, x, w, b = _inputs(5)
    y = jnp.full(N, -100)
    loss = jaxloss.LinearSoftmaxCrossentropy(ignore_class=-100, label_smoothing=0.1, z_loss=1e-3, logit_soft_cap=5.0)
    value, grads = jax.value_and_grad(lambda x, w, b: loss(y, x, kernel=w, bias=b), argnums=(0, 1, 2))(x, w, b)
    assert float(value) == 0.0
    for g in grads:
        assert np.all(np.asarray(g) == 0.0)


def test_ignored_tokens_contribute_exactly_nothing():
    y, x, w, b = _inputs(6)
    f = lambda x: jaxloss.linear_softmax_crossentropy(y, x, w, bias=b, ignore_class=-1, z_loss=0.1)  # noqa: E731
    values = f(x)
    jac = jax.jacrev(lambda x: jnp.sum(f(x)))(x)
    assert float(values[1]) == 0.0 and float(values[4]) == 0.0
    assert np.all(np.asarray(jac[1]) == 0.0) and np.all(np.asarray(jac[4]) == 0.0)
    assert np.all(np.asarray(jac[0]) != 0.0)


def test_leading_axes_vmap_and_trailing_one_labels():
    rng = np.random.default_rng(7)
    x = jnp.asarray(rng.normal(size=(3, 5, H)), jnp.float32)
    y = jnp.asarray(rng.integers(0, V, (3, 5)), jnp.int32)
    w = jnp.asarray(rng.normal(size=(H, V)), jnp.float32)
    f = lambda y, x: jaxloss.linear_softmax_crossentropy(y, x, w, block_size=(2, 4))  # noqa: E731
    batched = f(y, x)
    assert batched.shape == (3, 5)
    np.testing.assert_allclose(batched, _reference(y, x, w), rtol=2e-6)
    np.testing.assert_allclose(jax.vmap(f)(y, x), batched, rtol=2e-6)
    np.testing.assert_allclose(f(y[..., None], x), batched, rtol=0)
    grad = jax.grad(lambda x: jnp.sum(jax.vmap(f)(y, x)))(x)
    want = jax.grad(lambda x: jnp.sum(_reference(y, x, w)))(x)
    np.testing.assert_allclose(grad, want, rtol=2e-5, atol=2e-6)
    assert f(y[:, :0], x[:, :0]).shape == (3, 0)  # no tokens


def test_checked_reports_labels_outside_the_vocabulary():
    _, x, w, _ = _inputs(8)
    safe = jax.jit(jaxloss.checked(jaxloss.LinearSoftmaxCrossentropy(ignore_class=-1)))
    y = jnp.zeros(N, jnp.int32).at[3].set(V)
    error, _ = safe(y, x, kernel=w)
    assert error.get().startswith(f"`y_true` has a class id outside [0, {V}) or ignore_class=-1: {V}.")
    error, value = safe(y.at[3].set(-1), x, kernel=w)
    assert error.get() is None and np.isfinite(value)


def test_no_full_size_logits_are_held():
    """The compiled value_and_grad's temporary memory is far below one (N x V) float32 array."""
    n, h, v = 2048, 64, 8192
    x = jax.ShapeDtypeStruct((n, h), jnp.float32)
    w = jax.ShapeDtypeStruct((h, v), jnp.float32)
    y = jax.ShapeDtypeStruct((n,), jnp.int32)
    f = lambda x, w, y: jaxloss.LinearSoftmaxCrossentropy(block_size=(256, 512))(y, x, kernel=w)  # noqa: E731
    memory = jax.jit(jax.value_and_grad(f, argnums=(0, 1))).lower(x, w, y).compile().memory_analysis()
    logits_bytes = n * v * 4
    assert memory.temp_size_in_bytes < logits_bytes / 8


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"kernel": np.ones((H + 1, V))}, ValueError, r"`kernel` must have shape \(H, V\)"),
        ({"kernel": np.ones((H, V, 1))}, ValueError, "`kernel` must have rank 2"),
        ({"bias": np.ones(V + 1)}, ValueError, r"`bias` must have shape \(V,\)"),
        ({"block_size": 0}, ValueError, "`block_size` must be >= 1"),
        ({"block_size": (4, 0)}, ValueError, "`block_size` must be >= 1"),
        ({"block_size": 2.0}, TypeError, "`block_size` must be None, an int or a pair of ints"),
        ({"logit_soft_cap": 0.0}, ValueError, "`logit_soft_cap` must be > 0"),
        ({"z_loss": -1.0}, ValueError, "`z_loss` must be >= 0"),
        ({"y_true": np.zeros(N, np.complex64)}, TypeError, "`y_true` must be a numeric array of real numbers"),
        ({"y_true": np.zeros(N + 1, np.int32)}, ValueError, r"one class id per row of `features`"),
    ],
)
def test_bad_input_is_named(kwargs, error, match):
    y, x, w, _ = _inputs(9)
    args = {"y_true": jnp.abs(y), "features": x, "kernel": w, **kwargs}
    with pytest.raises(error, match=match):
        jaxloss.linear_softmax_crossentropy(**args)


def test_forward_mode_is_refused_with_jax_s_message():
    y, x, w, _ = _inputs(10)
    with pytest.raises(TypeError, match="can't apply forward-mode autodiff"):
        jax.jvp(lambda x: jaxloss.linear_softmax_crossentropy(jnp.abs(y), x, w), (x,), (x,))


def test_the_readme_example_runs_and_equals_the_materialized_loss():
    import pathlib
    import re

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("[start:large-vocabulary]")[1].split("[end:large-vocabulary]")[0]
    namespace: dict = {}
    exec(compile(re.findall(r"```python\n(.*?)```", section, flags=re.S)[0], "README.md", "exec"), namespace)
    labels, features, kernel = namespace["labels"], namespace["features"], namespace["kernel"]
    valid = labels != -1
    per_token = _reference(labels, features, kernel, ignore_class=-1, z_loss=1e-4, logit_soft_cap=30.0)
    np.testing.assert_allclose(namespace["value"], jnp.sum(per_token) / jnp.sum(valid), rtol=2e-6)
    assert namespace["d_kernel"].shape == kernel.shape and np.isfinite(namespace["d_features"]).all()


def test_overflowing_logits_give_no_nan():
    """Features of 1e30 overflow the float32 logits: they read as max float, never as inf - inf.

    Without z-loss the values and gradients are finite. With it, lse^2 ~ 1e77 overflows, as it truly
    does in float32: the value and some gradients are inf, but none is NaN, ignored tokens included.
    """
    y, x, w, b = _inputs(11, scale=1e30)
    cases = [({}, True), ({"label_smoothing": 0.1}, True), ({"logit_soft_cap": 0.5}, True), ({"z_loss": 1e-4}, False)]
    for options, finite in cases:
        f = lambda x, w, b: jnp.sum(  # noqa: E731
            jaxloss.linear_softmax_crossentropy(y, x, w, bias=b, ignore_class=-1, block_size=3, **options)
        )
        value, grads = jax.value_and_grad(f, argnums=(0, 1, 2))(x, w, b)
        leaves = [value, *grads]
        assert not any(np.isnan(leaf).any() for leaf in leaves), options
        assert all(np.isfinite(leaf).all() for leaf in leaves) or not finite, options
    smoothing = jax.grad(
        lambda s: jnp.sum(jaxloss.linear_softmax_crossentropy(y, x, w, ignore_class=-1, label_smoothing=s))
    )
    z_loss = jax.grad(lambda z: jnp.sum(jaxloss.linear_softmax_crossentropy(y, x, w, ignore_class=-1, z_loss=z)))
    assert not np.isnan(smoothing(0.1)) and not np.isnan(z_loss(0.0))
