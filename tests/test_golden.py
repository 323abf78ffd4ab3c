"""Values Keras really produced: its doc examples and the golden cases."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import jaxloss
from jaxloss._src import showcase

GOLDEN = json.loads((pathlib.Path(__file__).parent / "data" / "keras_golden.json").read_text())


def _case_id(case: dict) -> str:
    return f"{case['loss']}{case['kwargs'] or ''}{'-sw' if case['sample_weight'] is not None else ''}"


@pytest.mark.floor
@pytest.mark.parametrize("case", GOLDEN, ids=[f"{i}-{_case_id(c)}" for i, c in enumerate(GOLDEN)])
def test_keras_golden_case(case: dict):
    y_true, y_pred = np.array(case["y_true"]), np.array(case["y_pred"])
    if y_pred.dtype.kind == "f":
        y_pred = y_pred.astype(np.float32)
    kwargs = dict(case["kwargs"])
    if case["loss"] == "circle(fn)":
        refs = np.array(kwargs.pop("ref_embeddings"), np.float32)
        got = jaxloss.circle(y_true, y_pred, np.array(kwargs.pop("ref_labels")), refs, **kwargs)
    else:
        got = getattr(jaxloss, case["loss"])(**kwargs)(y_true, y_pred, case["sample_weight"])
    expected = np.asarray(case["expected"], np.float64)
    assert np.shape(got) == expected.shape
    np.testing.assert_allclose(np.asarray(got), expected, rtol=2e-5, atol=1e-7)


@pytest.mark.floor
@pytest.mark.parametrize("example", showcase.EXAMPLES, ids=[e.call for e in showcase.EXAMPLES])
def test_keras_doc_example(example: showcase.DocExample):
    got, ok = showcase.check(example)
    assert ok, f"{example.call}: jaxloss {got}, documented {example.expected()}"


def test_showcase_exits_zero(capsys):
    assert showcase.main() == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line[:2] in ("ok", "XX")]
    assert len(rows) == len(showcase.EXAMPLES)
    assert all(line[2] == " " and line[3] != " " for line in rows)  # the status column, a space, the call
    assert f"{len(showcase.EXAMPLES)} of {len(showcase.EXAMPLES)} documented examples reproduced" in out


def test_showcase_flags_a_mismatch():
    wrong = showcase.DocExample(
        "test", "deliberately wrong", "mean_squared_error", [1.5], y_true=[[1.0]], y_pred=[[0.0]]
    )
    assert not showcase.check(wrong)[1]


def test_a_documented_formula_is_stored_with_its_value():
    formulas = [e for e in showcase.EXAMPLES if e.formula is not None]
    assert len(formulas) == 2
    for example in formulas:
        y_true, y_pred = np.asarray(example.y_true, np.float32), np.asarray(example.y_pred, np.float32)
        value = eval(example.formula, {"np": np, "y_true": y_true, "y_pred": y_pred})  # the docs' numpy formula
        np.testing.assert_allclose(value, example.expected(), rtol=1e-6)
