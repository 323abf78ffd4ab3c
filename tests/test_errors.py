"""Static problems raise ValueError/TypeError naming the argument, before computing."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import jaxloss


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: jaxloss.MeanSquaredError(reduction="auto"), ValueError, "Invalid value for argument `reduction`.*reduction='auto'"),
        (lambda: jaxloss.BinaryCrossentropy(label_smoothing=1.5), ValueError, r"`label_smoothing` must be in \[0, 1\]. Received: label_smoothing=1.5"),
        (lambda: jaxloss.CategoricalCrossentropy(label_smoothing=-0.1), ValueError, "label_smoothing"),
        (lambda: jaxloss.Huber(delta=0.0), ValueError, "`delta` must be > 0. Received: delta=0.0"),
        (lambda: jaxloss.CategoricalGeneralizedCrossEntropy(q=1.0), ValueError, r"`q` must be in the open interval \(0, 1\)"),
        (lambda: jaxloss.CategoricalGeneralizedCrossEntropy(q=0), ValueError, "`q`"),
        (lambda: jaxloss.CategoricalCrossentropy(axis=1.5), ValueError, "`axis` must be of type `int`"),
        (lambda: jaxloss.CategoricalCrossentropy(axis=True), ValueError, "`axis` must be of type `int`"),
        (lambda: jaxloss.BinaryFocalCrossentropy(gamma=-1.0), ValueError, "`gamma` must be >= 0"),
        (lambda: jaxloss.BinaryCrossentropy(from_logits="yes"), TypeError, "`from_logits` must be a bool"),
        (lambda: jaxloss.CTC(blank_index=-1), ValueError, "`blank_index` must be >= 0"),
        (lambda: jaxloss.SparseCategoricalCrossentropy(ignore_class=1.5), TypeError, "`ignore_class` must be an int or None"),
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
        (lambda: jaxloss.mean_squared_error(np.ones((2, 3)), np.ones((2, 4))), ValueError, r"y_true.shape=\(2, 3\), y_pred.shape=\(2, 4\)"),
        (lambda: jaxloss.poisson(np.ones((3,)), np.ones((3, 2))), ValueError, "same shape"),
        (lambda: jaxloss.binary_crossentropy(np.ones((2, 2)), np.ones((2, 3))), ValueError, "same shape"),
        (lambda: jaxloss.MeanSquaredError()(np.ones((2, 3)), np.ones((2, 3)), np.ones((3,))), ValueError, r"`sample_weight` cannot be broadcast.*sample_weight.shape=\(3,\)"),
        (lambda: jaxloss.MeanSquaredError()(np.ones((2, 3)), np.ones((2, 3)), mask=np.ones(2)), TypeError, "`mask` must be boolean"),
        (lambda: jaxloss.sparse_categorical_crossentropy(np.array([0.0, 1.0]), np.ones((2, 3))), TypeError, "`y_true` must hold integer class ids.*float"),
        (lambda: jaxloss.sparse_categorical_crossentropy(np.array([0, 1, 2]), np.ones((2, 3))), ValueError, r"target.shape=\(3,\), output.shape=\(2, 3\)"),
        (lambda: jaxloss.categorical_focal_crossentropy(np.eye(3), np.eye(3), alpha=[0.5, 0.5]), ValueError, "`alpha` must have one weight per class: expected a list of length 3.*length 2"),
        (lambda: jaxloss.ctc(np.ones((2, 3), np.int32), np.ones((2, 5))), ValueError, r"`y_pred` must have rank 3.*y_pred.shape=\(2, 5\)"),
        (lambda: jaxloss.ctc(np.ones((2,), np.int32), np.ones((2, 5, 4))), ValueError, "`y_true` must have rank 2"),
        (lambda: jaxloss.ctc(np.ones((2, 3), np.int32), np.ones((2, 5, 4)), blank_index=4), ValueError, r"`blank_index` must be in \[0, 4\)"),
        (lambda: jaxloss.ctc(np.ones((2, 3), np.int32), np.ones((2, 5, 4)), logit_length=np.ones(3, np.int32)), ValueError, r"`logit_length` must have shape \(batch,\) = \(2,\)"),
        (lambda: jaxloss.circle(np.array([0, 1]), np.ones((2, 3, 1))), ValueError, "`y_pred` must have rank 2"),
        (lambda: jaxloss.mean_squared_error(np.ones(2), np.array(["a", "b"])), TypeError, "`y_pred` must be a numeric array"),
    ],
)
def test_invalid_inputs_raise_at_trace_time(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_shape_errors_raise_under_jit_at_trace_time():
    with pytest.raises(ValueError, match="same shape"):
        jax.jit(jaxloss.mean_squared_error)(np.ones((2, 3)), np.ones((2, 4)))


def test_class_axis_needs_rank_at_least_one():
    with pytest.raises(ValueError, match=r"`y_pred` must have rank >= 1 \(it needs a class axis\). Received: y_pred.shape=\(\)"):
        jaxloss.categorical_crossentropy(np.float32(1.0), np.float32(1.0))
    with pytest.raises(ValueError, match=r"`y_pred` must have rank >= 1"):
        jaxloss.sparse_categorical_crossentropy(np.int32(0), np.float32(1.0))
