"""jaxloss objects in Keras's own training loop: `model.compile(loss=jaxloss.X())` trains as `keras.losses.X()`.

    KERAS_BACKEND=jax python examples/keras_compile.py [--epochs 3]

For every Keras loss class, a small model is trained twice from the same initial weights on the same
batches, once with Keras's loss and once with jaxloss's class of the same name and config, and the two
loss histories and final weights must agree. Keras hands a loss float labels (class ids included, which
jaxloss casts as Keras does) and reduces what the loss returns; a jaxloss object already returns the
reduced value, which Keras's reduction leaves as it is.

Needs Keras 3 with the JAX backend (`pip install keras`); jaxloss itself never imports Keras.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import jaxloss  # noqa: E402

N, FEATURES = 64, 5

# Data for each kind of target, and the output layer that gives the right kind of prediction.
Task = tuple[np.ndarray, np.ndarray, Callable[[], list[keras.layers.Layer]]]


def _tasks(rng: np.random.Generator) -> dict[str, Task]:
    x = rng.normal(size=(N, FEATURES)).astype(np.float32)
    classes = rng.integers(0, 3, N)
    one_hot = np.eye(3, dtype=np.float32)[classes]
    sequences = rng.normal(size=(N, 6, FEATURES)).astype(np.float32)
    labels = rng.integers(1, 4, (N, 2)).astype(np.int32)
    return {
        "regression": (x, rng.normal(size=(N, 3)).astype(np.float32), lambda: [keras.layers.Dense(3)]),
        "positive": (x, rng.uniform(0.1, 3.0, (N, 3)).astype(np.float32), lambda: [keras.layers.Dense(3, "softplus")]),
        "signs": (x, rng.choice([-1.0, 1.0], (N, 3)).astype(np.float32), lambda: [keras.layers.Dense(3)]),
        "binary": (x, rng.integers(0, 2, (N, 3)).astype(np.float32), lambda: [keras.layers.Dense(3, "sigmoid")]),
        "binary logits": (x, rng.integers(0, 2, (N, 3)).astype(np.float32), lambda: [keras.layers.Dense(3)]),
        "one-hot": (x, one_hot, lambda: [keras.layers.Dense(3, "softmax")]),
        "one-hot logits": (x, one_hot, lambda: [keras.layers.Dense(3)]),
        "scores": (x, one_hot, lambda: [keras.layers.Dense(3)]),
        "distribution": (
            x,
            rng.dirichlet(np.ones(3), N).astype(np.float32),
            lambda: [keras.layers.Dense(3, "softmax")],
        ),
        "class ids": (x, classes.astype(np.int32), lambda: [keras.layers.Dense(3, "softmax")]),
        "class id logits": (x, classes.astype(np.int32), lambda: [keras.layers.Dense(3)]),
        "embeddings": (
            x,
            classes.astype(np.int32),
            lambda: [keras.layers.Dense(4), keras.layers.UnitNormalization()],
        ),
        "sequences": (sequences, labels, lambda: [keras.layers.Dense(4)]),
    }


# Each Keras loss class, with a config that is not all defaults where it has one, and its kind of data.
LOSSES: list[tuple[str, dict[str, Any], str]] = [
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "positive"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("Huber", {"delta": 0.5}, "regression"),
    ("LogCosh", {}, "regression"),
    ("Hinge", {}, "signs"),
    ("SquaredHinge", {}, "signs"),
    ("CategoricalHinge", {}, "scores"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary logits"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "gamma": 1.5}, "binary"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "one-hot"),
    ("CategoricalCrossentropy", {"from_logits": True}, "one-hot logits"),
    ("CategoricalFocalCrossentropy", {}, "one-hot"),
    ("SparseCategoricalCrossentropy", {}, "class ids"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "class id logits"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.7}, "class ids"),
    ("CTC", {}, "sequences"),
    ("Dice", {}, "binary"),
    # alpha == beta: Keras 3.15.1 swaps alpha and beta (fixed on its main branch, #23333), jaxloss follows the fix.
    ("Tversky", {"alpha": 0.4, "beta": 0.4}, "binary"),
    ("Circle", {}, "embeddings"),
]


def _train(loss: Any, task: Task, epochs: int, seed: int) -> tuple[list[float], list[np.ndarray]]:
    x, y, head = task
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.Dense(8, "tanh"), *head()])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=loss)
    history = model.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0)
    return history.history["loss"], [np.asarray(w) for w in model.get_weights()]


def main(epochs: int) -> None:
    tasks = _tasks(np.random.default_rng(0))
    covered = set()
    for name, config, kind in LOSSES:
        covered.add(name)
        keras_loss = getattr(keras.losses, name)(**config)
        ours = getattr(jaxloss, name)(**config)
        want, want_weights = _train(keras_loss, tasks[kind], epochs, seed=1)
        got, got_weights = _train(ours, tasks[kind], epochs, seed=1)
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6, err_msg=f"{name}{config} loss history")
        for g, w in zip(got_weights, want_weights, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6, err_msg=f"{name}{config} final weights")
        print(f"{name + str(config or ''):<70} history {np.round(got, 5).tolist()} = Keras's")
    keras_classes = {cls.__name__ for cls in jaxloss._src.classes.LOSSES if cls.in_keras}
    assert covered == keras_classes, sorted(keras_classes ^ covered)
    print(f"\n{len(LOSSES)} trainings with {len(covered)} Keras loss classes: equal histories and weights.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    main(parser.parse_args().epochs)
