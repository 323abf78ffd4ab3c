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
