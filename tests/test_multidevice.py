"""Scaling out on 8 devices: sharded results equal the single-device ones.

These tests need 8 devices. CI simulates them on the CPU in a separate run:

    XLA_FLAGS=--xla_force_host_platform_device_count=8 JAXLOSS_REQUIRE_DEVICES=8 python -m pytest -m multidevice -n 0

The default run leaves them out (`-m 'not multidevice'`); collected with fewer
devices, the module is skipped, or fails when `JAXLOSS_REQUIRE_DEVICES` is set.

Two styles are checked, both against one unsharded computation:

- global arrays placed with a `NamedSharding` over a batch axis, under `jit`:
  the losses need nothing special;
- `shard_map` with the loss's `axis_name`: each device reduces its shard and
  the sum and the divisor are `psum`-ed, so every device holds the global loss.

The batches are arranged so that the devices hold different numbers of valid
entries (ignored labels, masks, zero sample weights, infeasible CTC samples).
With inputs on a dyadic grid (MSE), every partial sum is exact and the sharded
result is bit-identical; with transcendental losses, summation order differs
by device and the results agree to float32 rounding (rtol 2e-6).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

import jaxloss
from tests.cases import CASES as ALL_CASES

pytestmark = pytest.mark.multidevice

if jax.device_count() < 8:
    if os.environ.get("JAXLOSS_REQUIRE_DEVICES"):
        raise RuntimeError(
            f"JAXLOSS_REQUIRE_DEVICES is set but JAX sees {jax.device_count()} device(s). "
            "Set XLA_FLAGS=--xla_force_host_platform_device_count=8 before JAX starts."
        )
    pytest.skip("needs 8 devices (XLA_FLAGS=--xla_force_host_platform_device_count=8)", allow_module_level=True)

RTOL = 2e-6
BATCH = 16  # two rows per device


def _batch_inputs(seed: int = 0) -> dict[str, tuple]:
    """name -> (loss with axis_name=None, y_true, y_pred, sample_weight or None, mask or None, extra inputs)."""
    rng = np.random.default_rng(seed)
    dense = rng.normal(size=(BATCH, 6)).astype(np.float32)
    grid_true = (rng.integers(-8, 8, (BATCH, 4)) / 8).astype(np.float32)  # dyadic: exact sums in any order
    grid_pred = (rng.integers(-8, 8, (BATCH, 4)) / 8).astype(np.float32)
    labels = rng.integers(0, 6, BATCH).astype(np.int32)
    labels[:6] = -1  # devices 0-2 hold only ignored labels, the others none
    binary = rng.integers(0, 2, (BATCH, 6)).astype(np.float32)
    weights = rng.uniform(0.5, 2.0, BATCH).astype(np.float32)
    weights[10:] = 0.0  # devices 5-7 weigh nothing
    mask = np.ones(BATCH, bool)
    mask[2:4] = False  # device 1 has no valid row
    mask[8] = False
    ctc_labels = rng.integers(1, 5, (BATCH, 3)).astype(np.int32)
    ctc_logits = rng.normal(size=(BATCH, 4, 5)).astype(np.float32)
    logit_length = np.full(BATCH, 4, np.int32)
    logit_length[12:] = 2  # 3 labels in 2 frames: infeasible, zeroed on devices 6-7
    return {
        "mse_exact": (jaxloss.MeanSquaredError(), grid_true, grid_pred, None, None, {}),
        "scce_ignore_class": (
            jaxloss.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
            labels,
            dense,
            None,
            None,
            {},
        ),
        "bce_mean_with_sample_weight": (
            jaxloss.BinaryCrossentropy(from_logits=True, reduction="mean_with_sample_weight"),
            binary,
            dense,
            weights,
            None,
            {},
        ),
        "huber_masked": (jaxloss.Huber(), dense[:, ::-1].copy(), dense, None, mask, {}),
        "cce_sum": (jaxloss.CategoricalCrossentropy(reduction="sum", from_logits=True), binary, dense, None, None, {}),
        "ctc_zero_infinity": (
            jaxloss.CTC(zero_infinity=True),
            ctc_labels,
            ctc_logits,
            None,
            None,
            {"logit_length": logit_length},
        ),
    }


CASES = _batch_inputs()


def _single_device(loss, y_true, y_pred, weight, mask, extra):
    """The reference: the whole batch on one device."""
    one = jax.devices()[0]
    y_true, y_pred, weight, mask, extra = jax.device_put((y_true, y_pred, weight, mask, extra), one)
    return jax.jit(jax.value_and_grad(lambda p: loss(y_true, p, weight, mask=mask, **extra)))(y_pred)


def _assert_same(got, want, exact: bool) -> None:
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        if exact:
            np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
        else:
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=RTOL, atol=1e-7)


@pytest.mark.parametrize("name", CASES)
def test_global_sharded_arrays_under_jit(name):
    loss, y_true, y_pred, weight, mask, extra = CASES[name]
    mesh = jax.make_mesh((8,), ("batch",), axis_types=(jax.sharding.AxisType.Explicit,))
    # With explicit axis types, every input is placed as its spec says: batch-sharded, leading axis.
    put = lambda x: None if x is None else jax.device_put(x, NamedSharding(mesh, P("batch")))  # noqa: E731
    args = [put(x) for x in (y_true, y_pred, weight, mask)]
    extra_sharded = {k: put(v) for k, v in extra.items()}
    with jax.set_mesh(mesh):
        value, grad = jax.jit(
            jax.value_and_grad(lambda p, t, w, m, e: loss(t, p, w, mask=m, **e)),
        )(args[1], args[0], args[2], args[3], extra_sharded)
    assert grad.sharding.spec[0] == "batch"  # the gradient stays sharded like y_pred
    _assert_same((value, grad), _single_device(loss, y_true, y_pred, weight, mask, extra), exact=name == "mse_exact")


def _shard_mapped(loss, mesh, data_axis, has_weight, has_mask, extra_keys):
    """value_and_grad of a shard_map where each device reduces its shard with `axis_name=data_axis`."""
    spec = P(data_axis)
    in_specs = (spec, spec, spec if has_weight else None, spec if has_mask else None, {k: spec for k in extra_keys})

    @functools.partial(jax.shard_map, mesh=mesh, in_specs=in_specs, out_specs=P())
    def per_device(y_pred, y_true, weight, mask, extra):
        return loss(y_true, y_pred, weight, mask=mask, **extra)

    return jax.jit(jax.value_and_grad(per_device))


@pytest.mark.parametrize("name", CASES)
def test_shard_map_with_axis_name_gives_the_global_loss(name):
    loss, y_true, y_pred, weight, mask, extra = CASES[name]
    mesh = jax.make_mesh((8,), ("batch",), axis_types=(jax.sharding.AxisType.Explicit,))
    sharded_loss = dataclasses.replace(loss, axis_name="batch")
    step = _shard_mapped(sharded_loss, mesh, "batch", weight is not None, mask is not None, tuple(extra))
    put = lambda x: None if x is None else jax.device_put(x, NamedSharding(mesh, P("batch")))  # noqa: E731
    value, grad = step(put(y_pred), put(y_true), put(weight), put(mask), {k: put(v) for k, v in extra.items()})
    _assert_same((value, grad), _single_device(loss, y_true, y_pred, weight, mask, extra), exact=name == "mse_exact")


def test_without_axis_name_each_device_has_only_its_own_mean():
    """The control: the same shard_map without `axis_name` does not give the global loss."""
    loss, y_true, y_pred, weight, mask, extra = CASES["scce_ignore_class"]
    mesh = jax.make_mesh((8,), ("batch",), axis_types=(jax.sharding.AxisType.Explicit,))

    @functools.partial(jax.shard_map, mesh=mesh, in_specs=(P("batch"), P("batch")), out_specs=P("batch"))
    def local(y_pred, y_true):
        return loss(y_true, y_pred)[None]

    put = lambda x: jax.device_put(x, NamedSharding(mesh, P("batch")))  # noqa: E731
    per_device = np.asarray(jax.jit(local)(put(y_pred), put(y_true)))
    want, _ = _single_device(loss, y_true, y_pred, weight, mask, extra)
    assert per_device.shape == (8,)
    assert not np.allclose(per_device, float(want))
    np.testing.assert_array_equal(per_device[:3], 0.0)  # devices holding only ignored labels


@pytest.mark.parametrize(
    "name", ["scce_ignore_class", "bce_mean_with_sample_weight", "huber_masked", "ctc_zero_infinity"]
)
def test_two_dimensional_mesh_reduces_only_the_data_axis(name):
    """A (data=4) x (model=2) mesh: inputs split over data, replicated over model; the loss psums over data only."""
    loss, y_true, y_pred, weight, mask, extra = CASES[name]
    mesh = jax.make_mesh((4, 2), ("data", "model"), axis_types=(jax.sharding.AxisType.Explicit,) * 2)
    sharded_loss = dataclasses.replace(loss, axis_name="data")
    step = _shard_mapped(sharded_loss, mesh, "data", weight is not None, mask is not None, tuple(extra))
    put = lambda x: None if x is None else jax.device_put(x, NamedSharding(mesh, P("data")))  # noqa: E731
    value, grad = step(put(y_pred), put(y_true), put(weight), put(mask), {k: put(v) for k, v in extra.items()})
    _assert_same((value, grad), _single_device(loss, y_true, y_pred, weight, mask, extra), exact=False)


def test_pmap_with_axis_name():
    """The older `pmap` style: one shard per device, the loss psums over the pmapped axis."""
    loss, y_true, y_pred, weight, mask, extra = CASES["scce_ignore_class"]
    sharded_loss = dataclasses.replace(loss, axis_name="devices")
    shards = [x.reshape((8, BATCH // 8) + x.shape[1:]) for x in (y_true, y_pred)]
    value, grad = jax.pmap(
        jax.value_and_grad(lambda p, t: sharded_loss(t, p)),
        axis_name="devices",
    )(shards[1], shards[0])
    want_value, want_grad = _single_device(loss, y_true, y_pred, weight, mask, extra)
    np.testing.assert_allclose(np.asarray(value), np.full(8, float(want_value)), rtol=RTOL)
    # pmap's psum transposes to a psum: each of the 8 identical copies of the global loss sends back its
    # cotangent, so the gradient w.r.t. a shard is 8x the global one. Divide by the axis size (or use
    # shard_map, whose replicated output avoids this).
    np.testing.assert_allclose(np.asarray(grad).reshape(y_pred.shape) / 8, np.asarray(want_grad), rtol=RTOL, atol=1e-7)


def test_the_readme_scaling_out_snippets_run_and_agree():
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Scaling out")[1].split("\n## ")[0]
    global_arrays, in_shard_map = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, BATCH).astype(np.int32)
    labels[:5] = -1
    namespace = {
        "jax": jax,
        "functools": functools,
        "jaxloss": jaxloss,
        "NamedSharding": NamedSharding,
        "P": P,
        "model": lambda params, x: x @ params,
        "params": np.asarray(rng.normal(size=(3, 4)), np.float32),
        "x": rng.normal(size=(BATCH, 3)).astype(np.float32),
        "y": labels,
    }
    exec(compile(global_arrays, "README.md", "exec"), namespace)
    first = namespace["value"], namespace["grads"]
    exec(compile(in_shard_map, "README.md", "exec"), namespace)
    second = namespace["value"], namespace["grads"]
    _assert_same(first, second, exact=False)
    assert float(first[0]) > 0


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_every_loss_on_a_batch_sharded_over_eight_devices(case):
    """Every case of the property table (beyond-Keras losses included), batch-sharded under jit."""
    y_true, y_pred, extra = case.make(np.random.default_rng(7), (BATCH,))
    weight = np.random.default_rng(8).uniform(0.5, 2.0, BATCH).astype(np.float32)
    mesh = jax.make_mesh((8,), ("batch",), axis_types=(jax.sharding.AxisType.Explicit,))
    # Per-sample inputs are split with the batch; shared ones (Circle's references) are replicated.
    batched = {k for k in extra if k in case.batched_inputs}
    put = lambda x, spec: None if x is None else jax.device_put(x, NamedSharding(mesh, spec))  # noqa: E731
    extra_sharded = {k: put(v, P("batch") if k in batched else P()) for k, v in extra.items()}
    with jax.set_mesh(mesh):
        value, grad = jax.jit(jax.value_and_grad(lambda p, t, w, e: case.loss(t, p, w, **e)))(
            put(y_pred, P("batch")), put(y_true, P("batch")), put(weight, P("batch")), extra_sharded
        )
    _assert_same((value, grad), _single_device(case.loss, y_true, y_pred, weight, None, extra), exact=False)


COUPLED = [c for c in ALL_CASES if not c.independent]


def test_every_loss_whose_function_takes_axis_name_has_a_coupled_case():
    assert {type(c.loss) for c in COUPLED} == {cls for cls in jaxloss._src.classes.LOSSES if cls.couples_batch}


@pytest.mark.parametrize("case", COUPLED, ids=lambda c: c.id)
def test_batch_coupled_losses_under_shard_map_with_axis_name(case):
    """Losses whose values couple the batch (NT-Xent's negatives, the generalized Dice's class counts,
    Dice/Tversky over the whole batch, Circle's references, the hinge's label test): each device holds
    two samples, gathers or psums the batch statistics over `axis_name`, and every device holds the
    single-device value; the gradients are the single-device ones too."""
    y_true, y_pred, extra = case.make(np.random.default_rng(7), (BATCH,))
    weight = np.random.default_rng(8).uniform(0.5, 2.0, BATCH).astype(np.float32)
    mesh = jax.make_mesh((8,), ("batch",), axis_types=(jax.sharding.AxisType.Explicit,))
    loss = dataclasses.replace(case.loss, axis_name="batch")
    batched = {k: v for k, v in extra.items() if k in case.batched_inputs}
    shared = {k: v for k, v in extra.items() if k not in case.batched_inputs}

    @functools.partial(
        jax.shard_map, mesh=mesh, in_specs=(P("batch"), P("batch"), P("batch"), P("batch")), out_specs=P()
    )
    def per_device(y_pred, y_true, weight, batched):
        return loss(y_true, y_pred, weight, **batched, **shared)

    put = lambda x: jax.device_put(x, NamedSharding(mesh, P("batch")))  # noqa: E731
    got = jax.jit(jax.value_and_grad(per_device))(put(y_pred), put(y_true), put(weight), jax.tree.map(put, batched))
    want = _single_device(case.loss, y_true, y_pred, weight, None, extra)
    _assert_same(got, want, exact=False)
    # The control: without axis_name each device has its own batch's value, which differs here.
    local = jax.jit(
        jax.shard_map(
            lambda p, t, w, b: case.loss(t, p, w, **b, **shared)[None],
            mesh=mesh,
            in_specs=(P("batch"), P("batch"), P("batch"), P("batch")),
            out_specs=P("batch"),
        )
    )(put(y_pred), put(y_true), put(weight), jax.tree.map(put, batched))
    assert not np.allclose(np.asarray(local), float(want[0]), rtol=1e-4)


def test_dice_over_the_batch_and_other_axes_with_axis_name_is_refused():
    mesh = jax.make_mesh((8,), ("batch",), axis_types=(jax.sharding.AxisType.Explicit,))
    loss = jaxloss.Dice(axis=(0,), axis_name="batch")
    x = jax.device_put(np.ones((BATCH, 3), np.float32), NamedSharding(mesh, P("batch")))
    step = jax.shard_map(lambda t, p: loss(t, p), mesh=mesh, in_specs=(P("batch"), P("batch")), out_specs=P())
    with pytest.raises(ValueError, match=r"With `axis_name`, `axis` must be None.*axis=\(0,\)"):
        jax.jit(step)(x, x)


def test_circle_against_its_own_batch_on_an_explicit_mesh():
    """Circle's default references are the batch itself: the pairwise product gathers the other side."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, BATCH).astype(np.int32)
    emb = rng.normal(size=(BATCH, 4)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=-1, keepdims=True)
    loss = jaxloss.Circle()
    mesh = jax.make_mesh((8,), ("batch",), axis_types=(jax.sharding.AxisType.Explicit,))
    put = lambda x: jax.device_put(x, NamedSharding(mesh, P("batch")))  # noqa: E731
    with jax.set_mesh(mesh):
        got = jax.jit(jax.value_and_grad(lambda p, t: loss(t, p)))(put(emb), put(labels))
    _assert_same(got, _single_device(loss, labels, emb, None, None, {}), exact=False)


LINEAR_LAYOUTS = [  # (features, kernel): data parallel, tensor parallel, both, and tokens over the whole mesh
    (P("data"), P()),
    (P(), P(None, "model")),
    (P("data"), P(None, "model")),
    (P(("data", "model")), P()),
    (P("data", "model"), P("model", None)),  # hidden axes split (FSDP-like): gathered first
]


@pytest.mark.parametrize("explicit", [True, False], ids=["explicit", "auto"])
@pytest.mark.parametrize("layout", LINEAR_LAYOUTS, ids=str)
def test_linear_crossentropy_data_and_tensor_parallel(explicit, layout):
    """Tokens split over `data` and classes over `model` give the single-device value and gradients.

    On an explicit mesh each device computes its own (tokens x classes) share under `shard_map`, the
    logsumexp statistics are combined across the class shards, and the gradients keep the inputs' layout.
    """
    rng = np.random.default_rng(11)
    n, h, v = 64, 8, 40
    x = rng.normal(size=(n, h)).astype(np.float32)
    w = rng.normal(size=(h, v)).astype(np.float32)
    b = rng.normal(size=v).astype(np.float32)
    y = rng.integers(-1, v, n).astype(np.int32)
    weight = rng.uniform(0.5, 2.0, n).astype(np.float32)
    loss = jaxloss.LinearSoftmaxCrossentropy(
        ignore_class=-1, label_smoothing=0.1, z_loss=1e-2, logit_soft_cap=3.0, block_size=(4, 3)
    )
    f = jax.value_and_grad(lambda x, w, b, y, s: loss(y, x, s, kernel=w, bias=b), argnums=(0, 1, 2))
    want = jax.jit(f)(*jax.device_put((x, w, b, y, weight), jax.devices()[0]))
    kind = jax.sharding.AxisType.Explicit if explicit else jax.sharding.AxisType.Auto
    mesh = jax.make_mesh((4, 2), ("data", "model"), axis_types=(kind, kind))
    x_spec, w_spec = layout
    tokens = x_spec[0] if len(x_spec) else None
    classes = w_spec[1] if len(w_spec) > 1 else None
    put = lambda a, spec: jax.device_put(a, NamedSharding(mesh, spec))  # noqa: E731
    args = (put(x, x_spec), put(w, w_spec), put(b, P(classes)), put(y, P(tokens)), put(weight, P(tokens)))
    with jax.set_mesh(mesh):
        got = jax.jit(f)(*args)
    _assert_same(got, want, exact=False)
    if explicit:  # gradients laid out as the tokens and classes were split
        d_x, d_w, d_b = got[1]
        assert d_x.sharding.spec[0] == tokens and d_w.sharding.spec[1] == classes
        assert d_b.sharding.spec[0] == d_w.sharding.spec[1]


@pytest.mark.parametrize("use_vmap", [False, True], ids=["leading-axes", "vmap"])
def test_linear_crossentropy_sequences_sharded_with_a_tensor_parallel_kernel(use_vmap):
    """(batch, time, hidden) features split over `data`, no bias, the kernel's classes over `model`."""
    rng = np.random.default_rng(12)
    x = rng.normal(size=(8, 6, 8)).astype(np.float32)
    w = rng.normal(size=(8, 40)).astype(np.float32)
    y = rng.integers(0, 40, (8, 6)).astype(np.int32)

    def total(x, w, y):
        if use_vmap:
            per_token = jax.vmap(lambda xs, ys: jaxloss.linear_softmax_crossentropy(ys, xs, w, block_size=(4, 16)))
            return jnp.sum(per_token(x, y))
        return jnp.sum(jaxloss.linear_softmax_crossentropy(y, x, w, block_size=(4, 16)))

    f = jax.value_and_grad(total, argnums=(0, 1))
    want = jax.jit(f)(*jax.device_put((x, w, y), jax.devices()[0]))
    mesh = jax.make_mesh((4, 2), ("data", "model"), axis_types=(jax.sharding.AxisType.Explicit,) * 2)
    put = lambda a, spec: jax.device_put(a, NamedSharding(mesh, spec))  # noqa: E731
    with jax.set_mesh(mesh):
        got = jax.jit(f)(put(x, P("data")), put(w, P(None, "model")), put(y, P("data")))
    for g, w_ in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        # Gradients of order 1 summed over 40 classes in another order: absolute rounding up to ~1e-7.
        np.testing.assert_allclose(np.asarray(g), np.asarray(w_), rtol=RTOL, atol=1e-6)
    assert got[1][0].sharding.spec[0] == "data" and got[1][1].sharding.spec[1] == "model"
