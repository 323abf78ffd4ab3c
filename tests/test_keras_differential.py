"""Replays cases that Keras 3 really computed (tools/keras_differential.py).

Each case stores Keras's value and its gradients w.r.t. `y_pred`, a float
`y_true` and an array `sample_weight`. Keras is taken with its fixes made
after 3.15.1 (Tversky #23333, CCE smoothing on a custom axis #23437).
"""

from __future__ import annotations

import json
import pathlib

import pytest

import jaxloss
from tests.compat import x64
from tests.keras_replay import compare

_DATA = pathlib.Path(__file__).parent / "data"
RANDOM = json.loads((_DATA / "keras_differential.json").read_text())
FLOAT64 = json.loads((_DATA / "keras_float64.json").read_text())
KINKS = json.loads((_DATA / "keras_kinks.json").read_text())


def _cases(prefix: str, data: dict, every: int = 1) -> list:
    """The stored cases; all but every `every`-th are `slow` (the default run replays a spread of them)."""
    return [
        pytest.param(c, id=f"{prefix}{i}-{c['loss']}", marks=() if i % every == 0 else pytest.mark.slow)
        for i, c in enumerate(data["cases"])
    ]


def test_covers_every_loss_class_and_every_gradient():
    assert {c["loss"] for c in RANDOM["cases"]} == {cls.__name__ for cls in jaxloss._src.classes.LOSSES if cls.in_keras}
    for key in ("grad", "grad_true", "grad_weight"):
        assert any(key in c["keras"] for c in RANDOM["cases"]), key
    assert any(c["config"].get("axis") == 1 and c["config"].get("label_smoothing") for c in RANDOM["cases"])


@pytest.mark.parametrize("case", _cases("", RANDOM, every=4))
def test_matches_keras_value_and_gradients(case):
    problem = compare(case, case["keras"])
    assert problem is None, f"{case['loss']} {case['config']}: {problem}"


@pytest.mark.parametrize("case", _cases("kink-", KINKS, every=2))
def test_matches_keras_subgradient_on_kinks(case):
    problem = compare(case, case["keras"])
    assert problem is None, f"{case['loss']} {case['config']}: {problem}"


@pytest.mark.parametrize("case", _cases("f64-", FLOAT64, every=6))
def test_float64_matches_keras_with_floatx_float64(case):
    with x64():
        problem = compare(case, case["keras"])
    assert problem is None, f"{case['loss']} {case['config']}: {problem}"
