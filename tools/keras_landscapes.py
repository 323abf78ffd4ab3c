"""Stores Keras's loss and gradient curves for notebooks/05_loss_landscapes.ipynb.

Each curve follows one loss along a path `x -> (y_true, y_pred(x))` on a grid:
the error (regression), the margin (hinge), the logit or the probability of
the true class (crossentropies), the angle (cosine). For every point the file
keeps `y_true`, `y_pred`, the direction `d y_pred / dx`, Keras's value and
Keras's derivative along the path (`jax.grad` through `keras.losses` on the
JAX backend), so the notebook evaluates jaxloss on the same inputs without
Keras installed.

    python tools/keras_landscapes.py   # writes notebooks/data/keras_landscapes.json
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import sys  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tools.keras_differential import keras_reference  # noqa: E402

PATH = pathlib.Path(__file__).parents[1] / "notebooks" / "data" / "keras_landscapes.json"


def scalar(target):
    """y_pred = [[x]] against [[target]]."""
    return lambda x: (jnp.asarray([[target]]), jnp.reshape(x, (1, 1)))


def three_class_logits(sparse=False):
    """The true class 0 has logit x; the others have 0.5 and -0.5."""
    y_true = jnp.asarray([0]) if sparse else jnp.asarray([[1.0, 0.0, 0.0]])
    return lambda x: (y_true, jnp.stack([x, jnp.asarray(0.5, x.dtype), jnp.asarray(-0.5, x.dtype)])[None])


def three_class_probs(sparse=False):
    """The true class 0 has probability x; the rest is shared 2:1."""
    y_true = jnp.asarray([0]) if sparse else jnp.asarray([[1.0, 0.0, 0.0]])
    return lambda x: (y_true, jnp.stack([x, (1 - x) * 2 / 3, (1 - x) / 3])[None])


def angle(x):
    return jnp.asarray([[1.0, 0.0]]), jnp.stack([jnp.cos(x), jnp.sin(x)])[None]


# name -> (keras function, config, path, start, stop, points, what x is, dtype)
CURVES = {
    "mean_squared_error": ("mean_squared_error", {}, scalar(0.0), -3.0, 3.0, 61, "error", "float32"),
    "mean_absolute_error": ("mean_absolute_error", {}, scalar(0.0), -3.0, 3.0, 61, "error", "float32"),
    "mean_absolute_percentage_error": (
        "mean_absolute_percentage_error", {}, scalar(2.0), -1.0, 5.0, 61, "prediction (target 2)", "float32"),
    "mean_squared_logarithmic_error": (
        "mean_squared_logarithmic_error", {}, scalar(2.0), 0.0, 6.0, 61, "prediction (target 2)", "float32"),
    "huber": ("huber", {"delta": 1.0}, scalar(0.0), -3.0, 3.0, 61, "error", "float32"),
    "log_cosh": ("log_cosh", {}, scalar(0.0), -3.0, 3.0, 61, "error", "float32"),
    "cosine_similarity": ("cosine_similarity", {}, angle, -3.0, 3.0, 61, "angle (rad)", "float32"),
    "hinge": ("hinge", {}, scalar(1.0), -2.0, 3.0, 51, "margin", "float32"),
    "squared_hinge": ("squared_hinge", {}, scalar(1.0), -2.0, 3.0, 51, "margin", "float32"),
    "categorical_hinge": ("categorical_hinge", {}, three_class_logits(), -2.0, 3.0, 51, "true-class score",
                          "float32"),
    "poisson": ("poisson", {}, scalar(2.0), 0.05, 6.0, 60, "rate (count 2)", "float32"),
    "kl_divergence": ("kl_divergence", {}, three_class_probs(), 0.02, 0.98, 49, "true-class probability",
                      "float32"),
    "binary_crossentropy": ("binary_crossentropy", {"from_logits": True}, scalar(1.0), -8.0, 8.0, 65, "logit",
                            "float32"),
    "categorical_crossentropy": ("categorical_crossentropy", {"from_logits": True}, three_class_logits(), -6.0,
                                 6.0, 61, "true-class logit", "float32"),
    "sparse_categorical_crossentropy": ("sparse_categorical_crossentropy", {"from_logits": True},
                                        three_class_logits(sparse=True), -6.0, 6.0, 61, "true-class logit",
                                        "float32"),
    "categorical_focal_crossentropy": ("categorical_focal_crossentropy", {"from_logits": True},
                                       three_class_logits(), -6.0, 6.0, 61, "true-class logit", "float32"),
    "categorical_generalized_cross_entropy": ("categorical_generalized_cross_entropy", {"q": 0.5},
                                              three_class_probs(sparse=True), 0.02, 0.98, 49,
                                              "true-class probability", "float32"),
    "dice": ("dice", {}, scalar(1.0), 0.0, 1.0, 41, "prediction (target 1)", "float32"),
    "tversky": ("tversky", {"alpha": 0.7, "beta": 0.3}, scalar(1.0), 0.0, 1.0, 41, "prediction (target 1)",
                "float32"),
    # Where Keras saturates: its sigmoid-then-clip, and its clip rounding to 1 in float16.
    "binary_focal_crossentropy": (
        "binary_focal_crossentropy", {"from_logits": True, "gamma": 2.0}, scalar(1.0), -100.0, 20.0, 121, "logit",
        "float32"),
    "binary_crossentropy_probs_float16": ("binary_crossentropy", {}, scalar(0.0), 0.9, 1.0, 41, "probability",
                                          "float16"),
}  # fmt: skip


def main() -> int:
    import keras

    out = {"keras": keras.__version__, "curves": {}}
    for name, (fn_name, config, path, start, stop, num, kind, dtype) in CURVES.items():
        fn = getattr(keras.losses, fn_name)
        if fn_name == "tversky":  # Keras with its fix #23333 (alpha on the false positives), as jaxloss
            fixed = keras_reference(keras, "Tversky", {**config, "reduction": None})
            fn = lambda t, p, fixed=fixed, **_: fixed(t, p)  # noqa: E731

        def loss(x, fn=fn, config=config, path=path, dtype=dtype):
            y_true, y_pred = path(x)
            if jnp.issubdtype(y_true.dtype, jnp.floating):
                y_true = y_true.astype(dtype)
            return jnp.reshape(fn(y_true, y_pred.astype(dtype), **config), ())

        xs = np.linspace(start, stop, num).astype(np.float32)
        points = [path(jnp.asarray(x)) for x in xs]
        directions = [jax.jacfwd(lambda x, path=path: path(x)[1])(jnp.asarray(x)) for x in xs]
        out["curves"][name] = {
            "keras_fn": fn_name,
            "config": config,
            "x": xs.astype(float).tolist(),
            "x_is": kind,
            "dtype": dtype,
            "y_true": [np.asarray(t).tolist() for t, _ in points],
            "y_pred": [np.asarray(p, np.float32).tolist() for _, p in points],
            "direction": [np.asarray(d, np.float32).tolist() for d in directions],
            "value": [float(loss(jnp.asarray(x))) for x in xs],
            "grad": [float(jax.grad(lambda x: loss(x).astype(jnp.float32))(jnp.asarray(x))) for x in xs],
        }
    PATH.parent.mkdir(parents=True, exist_ok=True)
    PATH.write_text(json.dumps(out, allow_nan=True) + "\n")
    print(f"wrote {len(out['curves'])} curves to {PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
