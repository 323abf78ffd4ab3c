"""Static problems raise ValueError/TypeError naming the argument, before computing."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import jaxloss


@pytest.mark.parametrize(
    "make, error, match",
    [
        (
            lambda: jaxloss.MeanSquaredError(reduction="auto"),
            ValueError,
            "Invalid value for argument `reduction`.*reduction='auto'",
        ),
        (
            lambda: jaxloss.BinaryCrossentropy(label_smoothing=1.5),
            ValueError,
            r"`label_smoothing` must be in \[0, 1\]. Received: label_smoothing=1.5",
        ),
        (lambda: jaxloss.CategoricalCrossentropy(label_smoothing=-0.1), ValueError, "label_smoothing"),
        (lambda: jaxloss.Huber(delta=0.0), ValueError, "`delta` must be > 0 and finite. Received: delta=0.0"),
        (
            lambda: jaxloss.CategoricalGeneralizedCrossEntropy(q=1.0),
            ValueError,
            r"`q` must be in the open interval \(0, 1\)",
        ),
        (lambda: jaxloss.CategoricalGeneralizedCrossEntropy(q=0), ValueError, "`q`"),
        (lambda: jaxloss.CategoricalCrossentropy(axis=1.5), TypeError, "`axis` must be of type `int`"),
        (lambda: jaxloss.CategoricalCrossentropy(axis=True), TypeError, "`axis` must be of type `int`"),
        (lambda: jaxloss.Dice(axis=[1, 2.0]), TypeError, "`axis` must be an int, a tuple of ints or None"),
        (
            lambda: jaxloss.Tversky(alpha=[0.1, 0.2]),
            TypeError,
            "`alpha` must be a number. Received: alpha=.0.1, 0.2. of type list",
        ),
        (lambda: jaxloss.Huber(delta=None), TypeError, "`delta` must be a number. Received: delta=None"),
        (lambda: jaxloss.Huber(delta="2"), TypeError, "`delta` must be a number"),
        (
            lambda: jaxloss.BinaryFocalCrossentropy(alpha=[0.2, 0.8], apply_class_balancing=True),
            TypeError,
            "`alpha` must be a number",
        ),
        (
            lambda: jaxloss.CategoricalFocalCrossentropy(alpha=[[0.2, 0.8]]),
            ValueError,
            "`alpha` must be a number or a non-empty 1-D list",
        ),
        (lambda: jaxloss.CTC(blank_index=True), TypeError, "`blank_index` must be an int"),
        (lambda: jaxloss.CTC(blank_index=1.0), TypeError, "`blank_index` must be an int"),
        (
            lambda: jaxloss.SparseCategoricalCrossentropy(ignore_class=True),
            TypeError,
            "`ignore_class` must be an int or None",
        ),
        (lambda: jaxloss.Circle(remove_diagonal=1), TypeError, "`remove_diagonal` must be a bool"),
        (lambda: jaxloss.reduce(jaxloss.huber, dtype="int32"), ValueError, "`dtype` must be a floating dtype"),
        (lambda: jaxloss.reduce(jaxloss.huber, dtype="float31"), ValueError, "`dtype` must be a floating dtype name"),
        (lambda: jaxloss.BinaryFocalCrossentropy(gamma=-1.0), ValueError, "`gamma` must be >= 0"),
        (lambda: jaxloss.BinaryCrossentropy(from_logits="yes"), TypeError, "`from_logits` must be a bool"),
        (lambda: jaxloss.CTC(blank_index=-1), ValueError, r"`blank_index` must be in \[0, 2147483647\]"),
        (
            lambda: jaxloss.LinearSoftmaxCrossentropy(block_size=(1, 2, 3)),
            TypeError,
            r"`block_size` must be None, an int or a pair of ints. Received: block_size=\(1, 2, 3\)",
        ),
        (lambda: jaxloss.LinearSoftmaxCrossentropy(block_size=0), ValueError, "`block_size` must be >= 1"),
        (
            lambda: jaxloss.SparseCategoricalCrossentropy(ignore_class=1.5),
            TypeError,
            "`ignore_class` must be an int or None",
        ),
        (lambda: jaxloss.MeanSquaredError(dtype="int32"), ValueError, "`dtype` must be a floating dtype"),
        (lambda: jaxloss.MeanSquaredError(name=3), TypeError, "`name` must be a string"),
        (lambda: jaxloss.MeanSquaredError(0.5), TypeError, "positional"),
        (lambda: jaxloss.reduce(jaxloss.hinge, "avg"), ValueError, "reduction='avg'"),
    ],
)
def test_invalid_config_raises_at_construction(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_functions_validate_config_too():
    with pytest.raises(ValueError, match="`delta` must be > 0"):
        jaxloss.huber([[1.0]], [[2.0]], delta=-1.0)
    with pytest.raises(ValueError, match="label_smoothing"):
        jaxloss.categorical_crossentropy([[1.0, 0.0]], [[0.5, 0.5]], label_smoothing=2)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: jaxloss.mean_squared_error(np.ones((2, 3)), np.ones((2, 4))),
            ValueError,
            r"y_true.shape=\(2, 3\), y_pred.shape=\(2, 4\)",
        ),
        (lambda: jaxloss.poisson(np.ones((3,)), np.ones((3, 2))), ValueError, "same shape"),
        (lambda: jaxloss.binary_crossentropy(np.ones((2, 2)), np.ones((2, 3))), ValueError, "same shape"),
        (
            lambda: jaxloss.MeanSquaredError()(np.ones((2, 3)), np.ones((2, 3)), np.ones((3,))),
            ValueError,
            r"`sample_weight` cannot be broadcast.*sample_weight.shape=\(3,\)",
        ),
        (
            lambda: jaxloss.MeanSquaredError()(np.ones((2, 3)), np.ones((2, 3)), mask=np.ones(2)),
            TypeError,
            "`mask` must be boolean",
        ),
        (
            lambda: jaxloss.sparse_categorical_crossentropy(np.array([0.0j, 1.0]), np.ones((2, 3))),
            TypeError,
            "`y_true` must be a numeric array of real numbers, not complex",
        ),
        (
            lambda: jaxloss.sparse_categorical_crossentropy(np.array([0, 1, 2]), np.ones((2, 3))),
            ValueError,
            r"`y_true` and `y_pred` must have the same shape up until the last dimension.*y_true.shape=\(3,\), y_pred.shape=\(2, 3\)",
        ),
        (
            lambda: jaxloss.sparse_categorical_crossentropy(np.eye(3, dtype=np.int32), np.ones((3, 3))),
            ValueError,
            "one-hot.*CategoricalCrossentropy",
        ),
        (
            lambda: jaxloss.categorical_focal_crossentropy(np.eye(3), np.eye(3), alpha=[0.5, 0.5]),
            ValueError,
            "`alpha` must have one weight per class: expected a list of length 3.*length 2",
        ),
        (
            lambda: jaxloss.ctc(np.ones((2, 3), np.int32), np.ones((2, 5))),
            ValueError,
            r"`y_pred` must have rank 3.*y_pred.shape=\(2, 5\)",
        ),
        (lambda: jaxloss.ctc(np.ones((2,), np.int32), np.ones((2, 5, 4))), ValueError, "`y_true` must have rank 2"),
        *[
            (
                lambda fn=fn, axis=axis: fn(np.ones((2, 3)), np.ones((2, 3)), axis=axis),
                ValueError,
                r"`axis` (is out of range for an input of rank 2|names an axis twice)",
            )
            for fn, axis in [
                (jaxloss.binary_crossentropy, 2),
                (jaxloss.binary_focal_crossentropy, -3),
                (jaxloss.cosine_similarity, 2),
                (jaxloss.cosine_similarity, (1, 1)),
                (jaxloss.dice, (0, 2)),
                (jaxloss.tversky, 3),
                (jaxloss.categorical_crossentropy, 2),
            ]
        ],
        (
            lambda: jaxloss.ctc(np.ones((2, 3), np.int32), np.ones((2, 5, 4)), blank_index=4),
            ValueError,
            r"`blank_index` must be in \[0, 4\)",
        ),
        (
            lambda: jaxloss.ctc(np.ones((2, 3), np.int32), np.ones((2, 5, 4)), logit_length=np.ones(3, np.int32)),
            ValueError,
            r"`logit_length` must have shape \(batch,\) = \(2,\)",
        ),
        (lambda: jaxloss.circle(np.array([0, 1]), np.ones((2, 3, 1))), ValueError, "`y_pred` must have rank 2"),
        (
            lambda: jaxloss.mean_squared_error(np.ones(2), np.array(["a", "b"])),
            TypeError,
            "`y_pred` must be a numeric array",
        ),
        (lambda: jaxloss.mean_squared_error(np.ones(2), ["a", "b"]), TypeError, "`y_pred` must be a numeric array"),
        (lambda: jaxloss.MeanSquaredError()(None, np.ones(2)), TypeError, "`y_true` must be a numeric array"),
        (lambda: jaxloss.mean_squared_error({"a": 1}, np.ones(2)), TypeError, "`y_true` must be a numeric array"),
        (
            lambda: jaxloss.mean_squared_error(np.ones(2), np.array([1j, 2j])),
            TypeError,
            "`y_pred` must be a numeric array of real",
        ),
    ],
)
def test_invalid_inputs_raise_at_trace_time(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_shape_errors_raise_under_jit_at_trace_time():
    with pytest.raises(ValueError, match="same shape"):
        jax.jit(jaxloss.mean_squared_error)(np.ones((2, 3)), np.ones((2, 4)))


def test_class_axis_needs_rank_at_least_one():
    with pytest.raises(
        ValueError, match=r"`y_pred` must have rank >= 1 \(it needs a class axis\). Received: y_pred.shape=\(\)"
    ):
        jaxloss.categorical_crossentropy(np.float32(1.0), np.float32(1.0))
    with pytest.raises(ValueError, match=r"`y_pred` must have rank >= 1"):
        jaxloss.sparse_categorical_crossentropy(np.int32(0), np.float32(1.0))


def test_config_passed_again_at_call_time_names_the_class():
    with pytest.raises(TypeError, match=r"Huber holds \['delta'\] as configuration.*Huber\(delta=...\)") as info:
        jaxloss.Huber()(np.ones((2, 2)), np.zeros((2, 2)), delta=2.0)
    assert "_src" not in str(info.value)


def test_unknown_identifier_suggests_the_close_name():
    with pytest.raises(ValueError, match="Did you mean .*'log_cosh'"):
        jaxloss.get("logcosh")
    with pytest.raises(ValueError, match="Did you mean 'Huber'"):
        jaxloss.get("huber_")


def test_same_rule_for_every_field_type_error_vs_value_error():
    """A wrong type is a TypeError and a right type out of range a ValueError, for every field of every class."""
    wrong_type = {
        "axis": 1.5,
        "delta": "1",
        "from_logits": 1,
        "label_smoothing": "0.1",
        "apply_class_balancing": 0,
        "alpha": "a",
        "gamma": None,
        "ignore_class": 2.0,
        "q": [0.5],
        "blank_index": True,
        "zero_infinity": "no",
        "beta": None,
        "margin": "m",
        "remove_diagonal": None,
        "full": 1,
        "log_input": "yes",
        "eps": "1e-6",
        "pos_weight": "w",
        "log_target": 1,
        "epsilon": "e",
        "ignore_background": 0,
        "smooth": "s",
        "temperature": None,
        "p": "2",
        "swap": 0,
        "weighted": 1,
        "z_loss": "1e-4",
        "logit_soft_cap": "30",
        "block_size": 2.5,
    }
    out_of_range = {
        "delta": -1.0,
        "label_smoothing": 2.0,
        "gamma": -1.0,
        "q": 1.5,
        "blank_index": -1,
        "alpha": float("inf"),
        "beta": float("nan"),
        "margin": float("inf"),
        "eps": -1.0,
        "pos_weight": [1.0, float("inf")],
        "epsilon": float("inf"),
        "smooth": -1.0,
        "temperature": 0.0,
        "p": 0.5,
        "z_loss": -1.0,
        "logit_soft_cap": 0.0,
        "block_size": (4, 0),
    }
    for cls in jaxloss._src.classes.LOSSES:
        for field in cls().fn_config():
            with pytest.raises(TypeError, match=f"`{field}` must"):
                cls(**{field: wrong_type[field]})
            if field in out_of_range:
                with pytest.raises(ValueError, match=f"`{field}` must"):
                    cls(**{field: out_of_range[field]})
