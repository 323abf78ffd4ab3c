"""Replays random cases that Keras 3 really computed (tools/keras_differential.py)."""

from __future__ import annotations

import json
import pathlib

import pytest

from tools.keras_differential import compare

DATA = json.loads((pathlib.Path(__file__).parent / "data" / "keras_differential.json").read_text())


def test_covers_every_loss_class():
    import jaxloss

    assert {c["loss"] for c in DATA["cases"]} == {cls.__name__ for cls in jaxloss._src.classes.LOSS_CLASSES}


@pytest.mark.parametrize("case", DATA["cases"], ids=[f"{i}-{c['loss']}" for i, c in enumerate(DATA["cases"])])
def test_matches_keras_value_and_gradient(case):
    problem = compare(case, case["keras_value"], case["keras_grad"])
    assert problem is None, f"{case['loss']} {case['config']}: {problem}"


FLOAT64 = json.loads((pathlib.Path(__file__).parent / "data" / "keras_float64.json").read_text())


@pytest.mark.parametrize("case", FLOAT64["cases"], ids=[f"f64-{i}-{c['loss']}" for i, c in enumerate(FLOAT64["cases"])])
def test_float64_matches_keras_with_floatx_float64(case):
    import jax

    with jax.enable_x64(True):
        problem = compare(case, case["keras_value"], case["keras_grad"])
    assert problem is None, f"{case['loss']} {case['config']}: {problem}"
