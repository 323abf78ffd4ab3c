"""Stores Keras's loss and gradient curves for notebooks/05_loss_landscapes.ipynb.

Each curve is one loss of one scalar input (an error, a margin or a logit), on
a grid, with `jax.grad` through `keras.losses` on the JAX backend. The notebook
overlays these stored values on jaxloss's curves, without Keras installed.

    python tools/keras_landscapes.py   # writes notebooks/data/keras_landscapes.json
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

PATH = pathlib.Path(__file__).parents[1] / "notebooks" / "data" / "keras_landscapes.json"

# name -> (keras function name, config, y_true, grid start, stop, points, what x is, dtype)
CURVES = {
    "mean_squared_error": ("mean_squared_error", {}, 0.0, -3.0, 3.0, 61, "error", "float32"),
    "mean_absolute_error": ("mean_absolute_error", {}, 0.0, -3.0, 3.0, 61, "error", "float32"),
    "huber": ("huber", {"delta": 1.0}, 0.0, -3.0, 3.0, 61, "error", "float32"),
    "log_cosh": ("log_cosh", {}, 0.0, -3.0, 3.0, 61, "error", "float32"),
    "hinge": ("hinge", {}, 1.0, -2.0, 3.0, 51, "margin", "float32"),
    "squared_hinge": ("squared_hinge", {}, 1.0, -2.0, 3.0, 51, "margin", "float32"),
    "binary_crossentropy": ("binary_crossentropy", {"from_logits": True}, 1.0, -8.0, 8.0, 65, "logit", "float32"),
    "binary_focal_crossentropy": (
        "binary_focal_crossentropy", {"from_logits": True, "gamma": 2.0}, 1.0, -100.0, 20.0, 121, "logit", "float32"),
    "binary_crossentropy_probs_float16": (
        "binary_crossentropy", {}, 0.0, 0.9, 1.0, 41, "probability", "float16"),
}  # fmt: skip


def main() -> int:
    import keras

    out = {"keras": keras.__version__, "curves": {}}
    for name, (fn_name, config, target, start, stop, num, kind, dtype) in CURVES.items():
        fn = getattr(keras.losses, fn_name)
        xs = np.linspace(start, stop, num).astype(dtype)

        def loss(x, fn=fn, config=config, target=target, dtype=dtype):
            return fn(jnp.asarray([[target]], dtype), jnp.reshape(x.astype(dtype), (1, 1)), **config)[0]

        values = [float(loss(jnp.asarray(x))) for x in xs]
        grads = [float(jax.grad(lambda x: loss(x).astype(jnp.float32))(jnp.asarray(x, jnp.float32))) for x in xs]
        out["curves"][name] = {
            "keras_fn": fn_name, "config": config, "y_true": target, "x": xs.astype(float).tolist(), "x_is": kind,
            "dtype": dtype, "value": values, "grad": grads,
        }  # fmt: skip
    PATH.parent.mkdir(parents=True, exist_ok=True)
    PATH.write_text(json.dumps(out, indent=1, allow_nan=True) + "\n")
    print(f"wrote {len(out['curves'])} curves to {PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
