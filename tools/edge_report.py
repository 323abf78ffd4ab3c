"""Edge cases side by side: jaxloss vs Keras 3 (JAX backend) vs optax, measured.

    python tools/edge_report.py

Each row computes the same edge case with the three libraries and prints the
value and whether the gradient is finite. Needs keras and optax (references).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import jaxloss  # noqa: E402


def vg(f, x):
    """'value; grad finite|NaN' for a scalar function of x."""
    try:
        value, grad = jax.value_and_grad(lambda z: jnp.sum(f(z)))(jnp.asarray(x, jnp.float32))
    except Exception as err:  # noqa: BLE001 - report what the library does
        return f"error: {type(err).__name__}"
    finite = "finite" if bool(jnp.all(jnp.isfinite(grad))) else "NaN/inf"
    return f"{float(value):.6g}; grad {finite}"


def val(f):
    try:
        return np.array2string(np.asarray(f(), np.float64), precision=6)
    except Exception as err:  # noqa: BLE001
        return f"error: {type(err).__name__}"


NEG_INF = [[2.0, -np.inf, 0.5]]
ONE_HOT = jnp.array([[1.0, 0.0, 0.0]])
CTC_LOGITS = jnp.asarray(np.random.default_rng(0).normal(size=(1, 3, 4)), jnp.float32)
CONFIDENT = jnp.zeros((1, 5, 3)).at[:, :, 1].set(60.0)

ROWS = [
    (
        "CCE from logits, -inf logit on a 0 label",
        lambda: vg(lambda x: jaxloss.categorical_crossentropy(ONE_HOT, x, from_logits=True), NEG_INF),
        lambda: vg(lambda x: keras.losses.categorical_crossentropy(ONE_HOT, x, from_logits=True), NEG_INF),
        lambda: vg(lambda x: optax.softmax_cross_entropy(x, ONE_HOT), NEG_INF),
    ),
    (
        "KL divergence, gradient w.r.t. a zero target",
        lambda: vg(lambda t: jaxloss.kl_divergence(t, jnp.array([[0.5, 0.5]])), [[0.0, 1.0]]),
        lambda: vg(lambda t: keras.losses.kl_divergence(t, jnp.array([[0.5, 0.5]])), [[0.0, 1.0]]),
        lambda: vg(lambda t: optax.kl_divergence(jnp.log(jnp.array([[0.5, 0.5]])), t), [[0.0, 1.0]]),
    ),
    (
        "cosine similarity, zero vector",
        lambda: vg(lambda x: jaxloss.cosine_similarity(jnp.array([[1.0, 0.0]]), x), [[0.0, 0.0]]),
        lambda: vg(lambda x: keras.losses.cosine_similarity(jnp.array([[1.0, 0.0]]), x), [[0.0, 0.0]]),
        lambda: vg(lambda x: -optax.cosine_similarity(x, jnp.array([[1.0, 0.0]])), [[0.0, 0.0]]),
    ),
    (
        "sigmoid focal (gamma=0.5), logits +-100, labels (0, 1)",
        lambda: vg(
            lambda x: jaxloss.binary_focal_crossentropy(jnp.array([[0.0, 1.0]]), x, from_logits=True, gamma=0.5),
            [[100.0, -100.0]],
        ),
        lambda: vg(
            lambda x: keras.losses.binary_focal_crossentropy(jnp.array([[0.0, 1.0]]), x, from_logits=True, gamma=0.5),
            [[100.0, -100.0]],
        ),
        lambda: vg(
            lambda x: jnp.mean(optax.sigmoid_focal_loss(x, jnp.array([[0.0, 1.0]]), gamma=0.5)), [[100.0, -100.0]]
        ),
    ),
    (
        "sparse CE, labels 5 and -1 with 3 classes",
        lambda: val(
            lambda: jaxloss.sparse_categorical_crossentropy(jnp.array([5, -1]), jnp.zeros((2, 3)), from_logits=True)
        ),
        lambda: val(
            lambda: keras.losses.sparse_categorical_crossentropy(
                jnp.array([5, -1]), jnp.zeros((2, 3)), from_logits=True
            )
        ),
        lambda: val(lambda: optax.softmax_cross_entropy_with_integer_labels(jnp.zeros((2, 3)), jnp.array([5, -1]))),
    ),
    (
        "  ... under jit with jaxloss.checked",
        lambda: str(
            jax.jit(jaxloss.checked(jaxloss.sparse_categorical_crossentropy, from_logits=True))(
                jnp.array([5, -1]), jnp.zeros((2, 3))
            )[0].get()
        ).replace(" (`check` failed)", ""),
        lambda: "no check",
        lambda: "no check",
    ),
    (
        "CCE with probabilities summing to 0",
        lambda: vg(lambda x: jaxloss.categorical_crossentropy(jnp.array([[1.0, 0.0]]), x), [[0.0, 0.0]]),
        lambda: vg(lambda x: keras.losses.categorical_crossentropy(jnp.array([[1.0, 0.0]]), x), [[0.0, 0.0]]),
        lambda: "n/a (logits only)",
    ),
    (
        "BCE in float16, y=0, p=1",
        lambda: val(lambda: jaxloss.BinaryCrossentropy(dtype="float16")(jnp.array([[0.0]]), jnp.array([[1.0]]))),
        lambda: val(lambda: keras.losses.BinaryCrossentropy(dtype="float16")(jnp.array([[0.0]]), jnp.array([[1.0]]))),
        lambda: "n/a (logits only)",
    ),
    (
        "sparse CE with dtype bfloat16, label 257 of 300 (logit 30)",
        lambda: val(
            lambda: jaxloss.SparseCategoricalCrossentropy(from_logits=True, dtype="bfloat16", reduction=None)(
                jnp.array([257]), jnp.zeros((1, 300)).at[0, 257].set(30.0)
            )
        ),
        lambda: val(
            lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="bfloat16", reduction=None)(
                jnp.array([257]), jnp.zeros((1, 300)).at[0, 257].set(30.0)
            )
        ),
        lambda: val(
            lambda: optax.softmax_cross_entropy_with_integer_labels(
                jnp.zeros((1, 300), jnp.bfloat16).at[0, 257].set(30.0), jnp.array([257])
            )
        ),
    ),
    (
        "CTC, label longer than the input allows",
        lambda: vg(lambda x: jaxloss.ctc(jnp.array([[1, 1, 2]]), x), CTC_LOGITS),
        lambda: vg(lambda x: keras.losses.ctc(jnp.array([[1, 1, 2]]), x), CTC_LOGITS),
        lambda: vg(
            lambda x: optax.ctc_loss(x, jnp.zeros((1, 3)), jnp.array([[1, 1, 2]]), jnp.zeros((1, 3))), CTC_LOGITS
        ),
    ),
    (
        "  ... with zero_infinity=True",
        lambda: vg(lambda x: jaxloss.ctc(jnp.array([[1, 1, 2]]), x, zero_infinity=True), CTC_LOGITS),
        lambda: "no option",
        lambda: "no option",
    ),
    (
        "CTC, near-certain alignment (min over 3 samples)",
        lambda: val(lambda: jnp.min(jaxloss.ctc(jnp.array([[1]] * 3), jnp.tile(CONFIDENT, (3, 1, 1))))),
        lambda: val(lambda: jnp.min(keras.losses.ctc(jnp.array([[1]] * 3), jnp.tile(CONFIDENT, (3, 1, 1))))),
        lambda: val(
            lambda: jnp.min(
                optax.ctc_loss(
                    jnp.tile(CONFIDENT, (3, 1, 1)), jnp.zeros((3, 5)), jnp.array([[1]] * 3), jnp.zeros((3, 1))
                )
            )
        ),
    ),
    (
        "MSE, every sample masked out",
        lambda: vg(
            lambda x: jaxloss.MeanSquaredError()(jnp.ones((2, 2)), x, mask=jnp.zeros(2, bool)), jnp.zeros((2, 2))
        ),
        lambda: vg(
            lambda x: keras.losses.MeanSquaredError()(jnp.ones((2, 2)), x, sample_weight=jnp.zeros(2)),
            jnp.zeros((2, 2)),
        ),
        lambda: "n/a (no reduction)",
    ),
]


def main() -> int:
    print(
        f"jaxloss {jaxloss.__version__} | keras {keras.__version__} (JAX backend) | optax {optax.__version__} | jax {jax.__version__}\n"
    )
    print("| edge case | jaxloss | Keras | optax |\n|---|---|---|---|")
    for name, *cells in ROWS:
        print(f"| {name} | " + " | ".join(cell() for cell in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
