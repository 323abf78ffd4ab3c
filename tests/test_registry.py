"""`get`, `serialize`, `deserialize` and config round trips."""

from __future__ import annotations

import dataclasses
import typing

import pytest

import jaxloss
from jaxloss._src import _checks
from jaxloss._src.classes import LOSSES as LOSS_CLASSES

LOSS_FUNCTIONS = [cls.fn for cls in LOSS_CLASSES]

ALIASES = {
    "mse": jaxloss.mean_squared_error,
    "MSE": jaxloss.mean_squared_error,
    "mae": jaxloss.mean_absolute_error,
    "MAE": jaxloss.mean_absolute_error,
    "mape": jaxloss.mean_absolute_percentage_error,
    "MAPE": jaxloss.mean_absolute_percentage_error,
    "msle": jaxloss.mean_squared_logarithmic_error,
    "MSLE": jaxloss.mean_squared_logarithmic_error,
    "kld": jaxloss.kl_divergence,
    "KLD": jaxloss.kl_divergence,
    "bce": jaxloss.binary_crossentropy,
    "BCE": jaxloss.binary_crossentropy,
}

# A non-default value for every field of every class: by name for the base fields, by field type for the config.
NON_DEFAULT = {"reduction": "sum", "name": "custom", "dtype": "bfloat16", "axis_name": "batch"}
BY_TYPE = {
    _checks.Fraction: 0.2,
    _checks.OpenFraction: 0.3,
    _checks.PositiveFloat: 0.3,
    _checks.NonNegativeFloat: 3.0,
    _checks.FiniteFloat: 0.1,
    _checks.ClassWeights: 0.7,
    _checks.OptionalClassWeights: 0.7,
    _checks.NormDegree: 3.0,
    _checks.OptionalPositiveFloat: 30.0,
    _checks.BlockSize: (256, 2048),
    _checks.Axis: 1,
    _checks.Axes: 1,
    _checks.ClassId: 2,
    _checks.OptionalClassId: 255,
}


def _non_default(cls, field: dataclasses.Field):
    if field.name in NON_DEFAULT:
        return NON_DEFAULT[field.name]
    hint = typing.get_type_hints(cls, include_extras=True)[field.name]
    return (not field.default) if hint == _checks.Flag else BY_TYPE[hint]


@pytest.mark.parametrize("cls", LOSS_CLASSES, ids=lambda c: c.__name__)
def test_class_name_gives_default_instance(cls):
    assert jaxloss.get(cls.__name__) == cls()


@pytest.mark.parametrize("fn", LOSS_FUNCTIONS, ids=lambda f: f.__name__)
def test_function_name_gives_the_function(fn):
    assert jaxloss.get(fn.__name__) is fn
    assert jaxloss.deserialize(jaxloss.serialize(fn)) is fn


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases(alias):
    assert jaxloss.get(alias) is ALIASES[alias]


@pytest.mark.parametrize("cls", LOSS_CLASSES, ids=lambda c: c.__name__)
def test_every_field_round_trips(cls):
    changed = {f.name: _non_default(cls, f) for f in dataclasses.fields(cls)}
    if cls is jaxloss.SparseCategoricalCrossentropy:
        changed["axis"] = -1  # the class axis must be last
    loss = cls(**changed)
    for name, value in changed.items():
        assert getattr(loss, name) == value
    assert cls.from_config(loss.get_config()) == loss
    assert jaxloss.deserialize(jaxloss.serialize(loss)) == loss
    assert jaxloss.get(jaxloss.serialize(loss)) == loss


def test_list_config_is_stored_as_tuple_and_serialized_as_list():
    loss = jaxloss.CategoricalFocalCrossentropy(alpha=[0.1, 0.5, 2.0])
    assert loss.alpha == (0.1, 0.5, 2.0)
    hash(loss)
    assert loss.get_config()["alpha"] == [0.1, 0.5, 2.0]
    assert jaxloss.deserialize(jaxloss.serialize(loss)) == loss
    assert jaxloss.Dice(axis=[1, 2, 3]).axis == (1, 2, 3)


def test_reads_keras_loss_dicts():
    keras_dict = {
        "module": "keras.losses",
        "class_name": "Huber",
        "config": {"name": "huber_loss", "reduction": "sum"},
        "registered_name": None,
    }
    assert jaxloss.deserialize(keras_dict) == jaxloss.Huber(reduction="sum")


def test_none_and_callables_pass_through():
    assert jaxloss.get(None) is None
    custom = lambda y_true, y_pred: y_pred  # noqa: E731
    assert jaxloss.get(custom) is custom


@pytest.mark.parametrize("bad", ["logcosh", "cce", "huber_loss", "", 3, 1.5])
def test_unknown_identifiers_raise(bad):
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        jaxloss.get(bad)


def test_unknown_config_keys_raise():
    with pytest.raises(ValueError, match="Unknown config keys for Huber: \\['fn'\\]"):
        jaxloss.deserialize({"class_name": "Huber", "config": {"fn": "huber"}})
    with pytest.raises(ValueError, match="class_name"):
        jaxloss.deserialize({"class_name": "NotALoss", "config": {}})
