"""Replays stored Keras results (tests/data/keras_*.json) against jaxloss: values and gradients.

Shared by the tests, which replay without Keras, and by tools/keras_differential.py,
which produces the data with Keras. Importing this module changes no settings.
"""

from __future__ import annotations

import jax
import numpy as np

import jaxloss

# float32 tolerances; in float64 (Keras with floatx="float64", jaxloss with x64) the results agree far closer.
TOLERANCES = {"float32": (2e-5, 1e-6, 1e-4, 1e-6), "float64": (1e-10, 1e-13, 1e-9, 1e-13)}
# Keras's JAX `ops.mean` keeps only float32 precision for float64 inputs (it differs from
# jnp.mean by ~1e-8), and its CTC hard-codes float32: with floatx="float64" these losses are
# only float32-accurate in Keras, so they are compared at float32 precision.
KERAS_FLOAT32_INTERNALS = {
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "Huber",
    "LogCosh",
    "Hinge",
    "SquaredHinge",
    "Poisson",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CTC",
}


def tolerances(case: dict) -> tuple[float, float, float, float]:
    dtype = case.get("dtype", "float32")
    if dtype == "float64" and case["loss"] in KERAS_FLOAT32_INTERNALS:
        return (1e-6, 1e-7, 1e-5, 1e-7)
    return TOLERANCES[dtype]


def _inputs(case: dict):
    dtype = case.get("dtype", "float32")
    y_true = np.asarray(case["y_true"])
    y_true = y_true.astype(np.int32) if y_true.dtype.kind in "iu" else y_true.astype(dtype)
    sw = case["sample_weight"]
    return y_true, np.asarray(case["y_pred"], dtype), (None if sw is None else np.asarray(sw, dtype))


def value_and_grad(loss_obj, case: dict) -> dict:
    """The reduced loss and its gradients w.r.t. y_pred and, where they are float, y_true and sample_weight."""
    y_true, y_pred, sw = _inputs(case)
    float_true = y_true.dtype.kind == "f"
    array_weight = sw is not None and np.ndim(sw) > 0

    def total(p, t, w):
        return jax.numpy.sum(loss_obj(t if float_true else y_true, p, w if array_weight else sw))

    # One jitted call per case: eager mode would compile every primitive for every new shape.
    value, grads = jax.jit(lambda p, t, w: (loss_obj(y_true, p, sw), jax.grad(total, argnums=(0, 1, 2))(p, t, w)))(
        y_pred, y_true if float_true else np.zeros(0, y_pred.dtype), sw if array_weight else np.zeros(0, y_pred.dtype)
    )
    out = {"value": value, "grad": grads[0]}
    if float_true:
        out["grad_true"] = grads[1]
    if array_weight:
        out["grad_weight"] = grads[2]
    return {k: np.asarray(v, np.float64) for k, v in out.items()}


def compare(case: dict, expected: dict) -> str | None:
    """None if jaxloss agrees with the stored Keras value and every stored gradient, else what differs."""
    rtol, atol, grad_rtol, grad_atol = tolerances(case)
    got = value_and_grad(getattr(jaxloss, case["loss"])(**case["config"]), case)
    if got["value"].shape != np.shape(expected["value"]):
        return f"shape {got['value'].shape} vs {np.shape(expected['value'])}"
    if not np.allclose(got["value"], expected["value"], rtol=rtol, atol=atol):
        return f"value {got['value']} vs {expected['value']}"
    for key in ("grad", "grad_true", "grad_weight"):
        if key in expected and not np.allclose(got[key], expected[key], rtol=grad_rtol, atol=grad_atol):
            return f"{key} max diff {np.max(np.abs(got[key] - np.asarray(expected[key])))}"
    return None
