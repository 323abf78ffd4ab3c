"""Every loss is declared once (function + class in its family module); the rest is derived from it.

These tests guard the derivation: a loss cannot be half wired.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import pathlib
import pydoc
import re
import typing

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxloss
from jaxloss._src import _checks
from jaxloss._src.classes import LOSSES
from tests.cases import CASES

README = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
BASE = {f.name for f in dataclasses.fields(jaxloss.Loss)}


def _config_params(fn):
    return {name: p for name, p in inspect.signature(fn).parameters.items() if name in _checks.specs(fn)}


@pytest.mark.parametrize("cls", LOSSES, ids=lambda c: c.__name__)
def test_every_loss_is_public_registered_tested_and_documented(cls):
    fn = cls.fn
    assert getattr(jaxloss, cls.__name__) is cls and getattr(jaxloss, fn.__name__) is fn
    assert cls.__name__ in jaxloss.__all__ and fn.__name__ in jaxloss.__all__
    assert jaxloss.get(cls.__name__) == cls() and jaxloss.get(fn.__name__) is fn
    assert cls in {type(c.loss) for c in CASES}
    assert re.search(rf"`{cls.__name__}[`(]", README) and re.search(rf"`{fn.__name__}[`(]", README)
    module = __import__(cls.__module__, fromlist=["__all__"])
    assert cls.__name__ in module.__all__ and fn.__name__ in module.__all__


@pytest.mark.parametrize("cls", LOSSES, ids=lambda c: c.__name__)
def test_class_fields_are_the_function_config(cls):
    """Same names, same field types (hence the same validation), same defaults (where the function has one)."""
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in BASE}
    params = _config_params(cls.fn)
    assert set(fields) == set(params)
    class_hints = typing.get_type_hints(cls, include_extras=True)
    fn_hints = typing.get_type_hints(cls.fn, include_extras=True)
    for name, field in fields.items():
        assert class_hints[name] == fn_hints[name], name
        if params[name].default is not inspect.Parameter.empty:
            assert field.default == params[name].default, name


# Public functions of a family module that are not a loss's own function: an alias, a CTC companion, a factory.
FAMILY_EXTRAS = {
    "jaxloss._src.probabilistic": {"convex_kl_divergence"},
    "jaxloss._src.ctc": {"ctc_alignment"},
    "jaxloss._src.fenchel_young": {"make_fenchel_young_loss"},
}


def test_family_modules_list_exactly_their_losses():
    declared: dict[str, set[str]] = {}
    for cls in LOSSES:
        declared.setdefault(cls.__module__, set()).update({cls.__name__, cls.fn.__name__})
    for module_name, names in FAMILY_EXTRAS.items():
        declared[module_name] |= names
    for module_name, names in declared.items():
        assert set(__import__(module_name, fromlist=["__all__"]).__all__) == names
    extras = {
        "Loss",
        "LossWithMask",
        "Reduction",
        "checked",
        "deserialize",
        "get",
        "reduce",
        "returns_mask",
        "serialize",
    }
    assert set(jaxloss.__all__) == set().union(*declared.values()) | extras
    assert len(jaxloss.__all__) == len(set(jaxloss.__all__))


@pytest.mark.parametrize("cls", LOSSES, ids=lambda c: c.__name__)
def test_class_docstring_has_its_fields_and_an_example(cls):
    doc = cls.__doc__
    for name in {f.name for f in dataclasses.fields(cls)}:
        assert f"    {name}: " in doc, name
    assert f"jaxloss.{cls.__name__}(" in doc.split("Example:")[1]
    signature = pydoc.render_doc(cls, renderer=pydoc.plaintext).splitlines()[3]  # what help() shows first
    assert all(f"{n}: " in signature for n in [*BASE, *_config_params(cls.fn)])


def test_the_registry_has_the_aliases_declared_with_the_classes():
    assert jaxloss.get("mse") is jaxloss.mean_squared_error and jaxloss.get("BCE") is jaxloss.binary_crossentropy
    assert jaxloss.get("convex_kl_divergence") is jaxloss.convex_kl_divergence is jaxloss.generalized_kl_divergence


def test_showcase_lists_every_loss(capsys):
    from jaxloss._src import showcase

    showcase.main()
    out = capsys.readouterr().out
    assert all(cls.__name__ in out for cls in LOSSES)


# Keras's subclassing idiom.


class ScaledError(jaxloss.Loss):
    scale: float = 1.0

    def call(self, y_true, y_pred):
        return self.scale * jnp.mean(jnp.abs(jnp.asarray(y_true) - jnp.asarray(y_pred)), axis=-1)


def test_overriding_call_is_the_keras_idiom():
    y_true, y_pred = jnp.zeros((3, 2)), jnp.ones((3, 2))
    loss = ScaledError(scale=2.0, reduction="sum")
    assert float(loss(y_true, y_pred)) == 6.0
    assert float(loss(y_true, y_pred, sample_weight=jnp.array([1.0, 0.0, 0.0]))) == 2.0
    np.testing.assert_allclose(ScaledError(reduction=None)(y_true, y_pred), [1.0, 1.0, 1.0])
    assert ScaledError(scale=2.0) == ScaledError(scale=2.0) and hash(ScaledError()) == hash(ScaledError())
    with pytest.raises(dataclasses.FrozenInstanceError):
        loss.scale = 3.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        ScaledError(2.0)  # keyword-only
    assert dataclasses.replace(loss, reduction="mean").reduction == "mean"
    grad = jax.grad(lambda p: ScaledError()(y_true, p))(y_pred)
    np.testing.assert_allclose(grad, np.full((3, 2), 1 / 6))


def test_a_subclass_is_static_under_jit_and_does_not_retrace():
    traces = []

    @jax.jit
    def step(loss, y_pred):
        traces.append(1)
        return loss(jnp.zeros_like(y_pred), y_pred)

    step(ScaledError(scale=2.0), jnp.ones((2, 2)))
    step(ScaledError(scale=2.0), jnp.ones((2, 2)))
    assert len(traces) == 1


def test_a_subclass_naming_a_function_gets_its_config_from_the_fields():
    def scaled_huber(y_true, y_pred, *, scale=1.0):
        return scale * jaxloss.huber(y_true, y_pred)

    class ScaledHuber(jaxloss.Loss, fn=scaled_huber, name="scaled_huber"):
        scale: float = 1.0

    loss = ScaledHuber(scale=3.0)
    assert loss.name == "scaled_huber"
    np.testing.assert_allclose(loss([[0.0, 0.0]], [[0.5, 3.0]]), 3 * 1.3125)
    assert ScaledHuber not in LOSSES  # user classes stay out of the built-in registry


def test_an_fn_attribute_names_the_per_sample_function():
    class OldStyle(jaxloss.Loss):
        fn = staticmethod(jaxloss.mean_squared_error)

    assert float(OldStyle()(jnp.zeros((2, 2)), jnp.ones((2, 2)))) == 1.0


def test_a_subclass_without_call_or_fn_says_what_to_do():
    class Empty(jaxloss.Loss):
        pass

    with pytest.raises(
        TypeError, match=r"Empty defines neither `call` nor `fn`. Override `call\(self, y_true, y_pred\)`"
    ):
        Empty()


# Traced config values: every float field works under jit as a traced value.

FLOAT_FIELDS = [
    (cls, name)
    for cls in LOSSES
    for name, spec in _checks.specs(cls).items()
    if spec
    in (
        _checks.Fraction.__metadata__[0],
        _checks.OpenFraction.__metadata__[0],
        _checks.PositiveFloat.__metadata__[0],
        _checks.NonNegativeFloat.__metadata__[0],
        _checks.FiniteFloat.__metadata__[0],
        _checks.ClassWeights.__metadata__[0],
    )
]


@pytest.mark.parametrize("cls, name", FLOAT_FIELDS, ids=lambda x: getattr(x, "__name__", x))
def test_traced_float_config_equals_concrete(cls, name):
    case = next(c for c in CASES if type(c.loss) is cls)
    y_true, y_pred, extra = case.make(np.random.default_rng(0), (3,))
    config = case.loss.fn_config()
    value = 0.3 if name in ("label_smoothing", "q", "alpha", "beta", "margin") else 1.5
    concrete = cls.fn(y_true, y_pred, **extra, **{**config, name: value})
    traced = jax.jit(lambda v: cls.fn(y_true, y_pred, **extra, **{**config, name: v}))(jnp.float32(value))
    np.testing.assert_allclose(traced, concrete, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("cls, name", FLOAT_FIELDS, ids=lambda x: getattr(x, "__name__", x))
def test_traced_config_in_a_class_raises_a_clear_type_error(cls, name):
    """Classes hold static config: a traced value names the field and points to the function."""
    with pytest.raises(TypeError, match=rf"`{name}` of {cls.__name__} is a traced value.*jaxloss\.{cls.fn.__name__}\("):
        jax.jit(lambda v: cls(**{name: v}))(jnp.float32(0.3))


@pytest.mark.parametrize("axis_name", ["batch", ("data", "model"), ["data", "model"], ["batch"]], ids=repr)
def test_axis_name_round_trips_through_config_and_serialization(axis_name):
    loss = jaxloss.MeanSquaredError(axis_name=axis_name)
    assert loss.axis_name == (tuple(axis_name) if isinstance(axis_name, list) else axis_name)
    hash(loss)
    assert jaxloss.MeanSquaredError.from_config(loss.get_config()) == loss
    assert jaxloss.deserialize(jaxloss.serialize(loss)) == loss


@pytest.mark.parametrize("axis_name", [["a", ["b"]], {"a": 1}, [None]], ids=repr)
def test_an_axis_name_that_is_not_a_name_is_reported(axis_name):
    with pytest.raises(TypeError, match=r"`axis_name` must be a mapped axis name"):
        jaxloss.MeanSquaredError(axis_name=axis_name)


def test_arrays_for_list_fields_are_converted_like_lists():
    for alpha in ([0.1, 0.9], (0.1, 0.9), np.array([0.1, 0.9]), jnp.array([0.1, 0.9])):
        loss = jaxloss.CategoricalFocalCrossentropy(alpha=alpha)
        assert isinstance(loss.alpha, tuple) and np.allclose(loss.alpha, [0.1, 0.9])
        hash(loss)  # static and hashable
    assert jaxloss.Dice(axis=np.array([1, 2])).axis == (1, 2)
    assert jaxloss.Huber(delta=np.float32(0.5)).delta == 0.5


def test_tests_do_not_import_tools_and_helpers_set_no_environment():
    import subprocess
    import sys

    root = pathlib.Path(__file__).parents[1]
    for path in (root / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] != "tools", path
            elif isinstance(node, ast.Import):
                assert all(alias.name.split(".")[0] != "tools" for alias in node.names), path
    code = (
        "import os, json; before = dict(os.environ); import tests.cases, tests.keras_replay; "
        "print(json.dumps(sorted(set(os.environ.items()) ^ set(before.items()))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    assert jaxloss.__version__ == version("jaxloss")
