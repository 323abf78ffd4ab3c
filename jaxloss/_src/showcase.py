"""`python -m jaxloss`: every example of the Keras docs, recomputed with jaxloss.

Each row is a documented call from the Keras 3 loss pages (and the tf.keras
BinaryCrossentropy page) with the value printed there. A documented value is
printed to a few digits, rounded or truncated (0.243 for Keras's own
0.24364), so an entry passes when jaxloss agrees within one unit of its
last printed digit. The exit status is 1 on any mismatch.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable

import numpy as np

import jaxloss as jl
from jaxloss._src.classes import LOSSES

_BIN_T, _BIN_L = [[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]]
_CAT_T, _CAT_P = [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
_RNG = np.random.default_rng(0)
_RAND_T, _RAND_P = _RNG.integers(0, 2, size=(2, 3)).astype(np.float32), _RNG.random((2, 3)).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class DocExample:
    source: str
    call: str
    compute: Callable[[], object]
    documented: object  # the printed value (digits as printed), or a callable reference formula

    def expected(self) -> np.ndarray:
        value = self.documented() if callable(self.documented) else self.documented
        return np.asarray(value, np.float64)

    def tolerance(self) -> np.ndarray:
        """Per entry: one unit in its last printed digit; float32 rounding for a formula."""
        if callable(self.documented):
            return np.asarray(1e-5)
        digits = [
            len(f"{float(v):.10g}".split(".")[1]) if "." in f"{float(v):.10g}" else 0 for v in np.ravel(self.documented)
        ]
        units = [
            abs(float(v)) * 1e-7 if "e" in f"{float(v):.10g}" else 10.0**-d
            for v, d in zip(np.ravel(self.documented), digits, strict=False)
        ]
        return np.reshape(units, np.shape(self.documented))


def _bfce(**kw):
    return jl.BinaryFocalCrossentropy(from_logits=True, **kw)


REF = "keras.io/api/losses"
EXAMPLES: tuple[DocExample, ...] = (
    DocExample(
        REF,
        "BinaryCrossentropy(from_logits=True), 4 samples",
        lambda: jl.BinaryCrossentropy(from_logits=True)([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]),
        0.865,
    ),
    DocExample(
        REF,
        "BinaryCrossentropy(from_logits=True)",
        lambda: jl.BinaryCrossentropy(from_logits=True)(_BIN_T, _BIN_L),
        0.865,
    ),
    DocExample(
        REF,
        "BinaryCrossentropy(from_logits=True), sample_weight",
        lambda: jl.BinaryCrossentropy(from_logits=True)(_BIN_T, _BIN_L, sample_weight=[0.8, 0.2]),
        0.243,
    ),
    DocExample(
        REF,
        "BinaryCrossentropy(from_logits=True, reduction='sum')",
        lambda: jl.BinaryCrossentropy(from_logits=True, reduction="sum")(_BIN_T, _BIN_L),
        1.730,
    ),
    DocExample(
        REF,
        "BinaryCrossentropy(from_logits=True, reduction=None)",
        lambda: jl.BinaryCrossentropy(from_logits=True, reduction=None)(_BIN_T, _BIN_L),
        [0.235, 1.496],
    ),
    DocExample(
        REF,
        "BinaryFocalCrossentropy(gamma=2, from_logits=True), 4 samples",
        lambda: _bfce(gamma=2)([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]),
        0.691,
    ),
    DocExample(
        REF,
        "BinaryFocalCrossentropy(apply_class_balancing, gamma=2)",
        lambda: _bfce(apply_class_balancing=True, gamma=2)([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]),
        0.51,
    ),
    DocExample(REF, "BinaryFocalCrossentropy(gamma=3)", lambda: _bfce(gamma=3)(_BIN_T, _BIN_L), 0.647),
    DocExample(
        REF,
        "BinaryFocalCrossentropy(apply_class_balancing, gamma=3)",
        lambda: _bfce(apply_class_balancing=True, gamma=3)(_BIN_T, _BIN_L),
        0.482,
    ),
    DocExample(
        REF,
        "BinaryFocalCrossentropy(gamma=3), sample_weight",
        lambda: _bfce(gamma=3)(_BIN_T, _BIN_L, sample_weight=[0.8, 0.2]),
        0.133,
    ),
    DocExample(
        REF,
        "BinaryFocalCrossentropy(apply_class_balancing, gamma=3), sample_weight",
        lambda: _bfce(apply_class_balancing=True, gamma=3)(_BIN_T, _BIN_L, sample_weight=[0.8, 0.2]),
        0.097,
    ),
    DocExample(
        REF,
        "BinaryFocalCrossentropy(gamma=4, reduction='sum')",
        lambda: _bfce(gamma=4, reduction="sum")(_BIN_T, _BIN_L),
        1.222,
    ),
    DocExample(
        REF,
        "BinaryFocalCrossentropy(apply_class_balancing, gamma=4, reduction='sum')",
        lambda: _bfce(apply_class_balancing=True, gamma=4, reduction="sum")(_BIN_T, _BIN_L),
        0.914,
    ),
    DocExample(
        REF,
        "BinaryFocalCrossentropy(gamma=5, reduction=None)",
        lambda: _bfce(gamma=5, reduction=None)(_BIN_T, _BIN_L),
        [0.0017, 1.1561],
    ),
    DocExample(
        REF,
        "BinaryFocalCrossentropy(apply_class_balancing, gamma=5, reduction=None)",
        lambda: _bfce(apply_class_balancing=True, gamma=5, reduction=None)(_BIN_T, _BIN_L),
        [0.0004, 0.8670],
    ),
    DocExample(REF, "CategoricalCrossentropy()", lambda: jl.CategoricalCrossentropy()(_CAT_T, _CAT_P), 1.177),
    DocExample(
        REF,
        "CategoricalCrossentropy(), sample_weight",
        lambda: jl.CategoricalCrossentropy()(_CAT_T, _CAT_P, sample_weight=np.array([0.3, 0.7])),
        0.814,
    ),
    DocExample(
        REF,
        "CategoricalCrossentropy(reduction='sum')",
        lambda: jl.CategoricalCrossentropy(reduction="sum")(_CAT_T, _CAT_P),
        2.354,
    ),
    DocExample(
        REF,
        "CategoricalCrossentropy(reduction=None)",
        lambda: jl.CategoricalCrossentropy(reduction=None)(_CAT_T, _CAT_P),
        [0.0513, 2.303],
    ),
    DocExample(
        REF, "CategoricalFocalCrossentropy()", lambda: jl.CategoricalFocalCrossentropy()(_CAT_T, _CAT_P), 0.23315276
    ),
    DocExample(
        REF,
        "CategoricalFocalCrossentropy(), sample_weight",
        lambda: jl.CategoricalFocalCrossentropy()(_CAT_T, _CAT_P, sample_weight=np.array([0.3, 0.7])),
        0.1632,
    ),
    DocExample(
        REF,
        "CategoricalFocalCrossentropy(reduction='sum')",
        lambda: jl.CategoricalFocalCrossentropy(reduction="sum")(_CAT_T, _CAT_P),
        0.46631,
    ),
    DocExample(
        REF,
        "CategoricalFocalCrossentropy(reduction=None)",
        lambda: jl.CategoricalFocalCrossentropy(reduction=None)(_CAT_T, _CAT_P),
        [3.2058331e-05, 4.6627346e-01],
    ),
    DocExample(
        REF, "SparseCategoricalCrossentropy()", lambda: jl.SparseCategoricalCrossentropy()([1, 2], _CAT_P), 1.177
    ),
    DocExample(
        REF,
        "SparseCategoricalCrossentropy(), sample_weight",
        lambda: jl.SparseCategoricalCrossentropy()([1, 2], _CAT_P, sample_weight=np.array([0.3, 0.7])),
        0.814,
    ),
    DocExample(
        REF,
        "SparseCategoricalCrossentropy(reduction='sum')",
        lambda: jl.SparseCategoricalCrossentropy(reduction="sum")([1, 2], _CAT_P),
        2.354,
    ),
    DocExample(
        REF,
        "SparseCategoricalCrossentropy(reduction=None)",
        lambda: jl.SparseCategoricalCrossentropy(reduction=None)([1, 2], _CAT_P),
        [0.0513, 2.303],
    ),
    DocExample(
        REF,
        "binary_crossentropy(y_true, y_pred)",
        lambda: jl.binary_crossentropy(_BIN_T, [[0.6, 0.4], [0.4, 0.6]]),
        [0.916, 0.714],
    ),
    DocExample(
        REF,
        "categorical_crossentropy(y_true, y_pred)",
        lambda: jl.categorical_crossentropy(_CAT_T, _CAT_P),
        [0.0513, 2.303],
    ),
    DocExample(
        REF,
        "sparse_categorical_crossentropy(y_true, y_pred)",
        lambda: jl.sparse_categorical_crossentropy([1, 2], _CAT_P),
        [0.0513, 2.303],
    ),
    DocExample(
        REF,
        "poisson(random) vs mean(p - t*log(p + 1e-7))",
        lambda: jl.poisson(_RAND_T, _RAND_P),
        lambda: np.mean((_RAND_P + 1e-7) - _RAND_T * np.log(_RAND_P + 1e-7), axis=-1),
    ),
    DocExample(
        REF,
        "kl_divergence(random) vs sum(t*log(t/p)), clipped",
        lambda: jl.kl_divergence(_RAND_T, _RAND_P),
        lambda: np.sum(
            np.clip(_RAND_T, 1e-7, 1) * np.log(np.clip(_RAND_T, 1e-7, 1) / np.clip(_RAND_P, 1e-7, 1)), axis=-1
        ),
    ),
    DocExample(
        REF,
        "mean_squared_error(ones((2,2)), zeros((2,2)))",
        lambda: jl.mean_squared_error(np.ones((2, 2)), np.zeros((2, 2))),
        [1.0, 1.0],
    ),
    DocExample(
        REF,
        "MeanSquaredError(reduction='sum_over_batch_size')",
        lambda: jl.MeanSquaredError(reduction="sum_over_batch_size")(np.ones((2, 2)), np.zeros((2, 2))),
        1.0,
    ),
    DocExample(
        REF,
        "MeanSquaredError(reduction='sum')",
        lambda: jl.MeanSquaredError(reduction="sum")(np.ones((2, 2)), np.zeros((2, 2))),
        2.0,
    ),
    DocExample(
        REF,
        "MeanSquaredError(reduction='none')",
        lambda: jl.MeanSquaredError(reduction="none")(np.ones((2, 2)), np.zeros((2, 2))),
        [1.0, 1.0],
    ),
    DocExample(
        "tf.keras BinaryCrossentropy",
        "BinaryCrossentropy()",
        lambda: jl.BinaryCrossentropy()(_BIN_T, [[0.6, 0.4], [0.4, 0.6]]),
        0.815,
    ),
    DocExample(
        "tf.keras BinaryCrossentropy",
        "BinaryCrossentropy(), sample_weight=[1, 0]",
        lambda: jl.BinaryCrossentropy()(_BIN_T, [[0.6, 0.4], [0.4, 0.6]], sample_weight=[1, 0]),
        0.458,
    ),
    DocExample(
        "tf.keras BinaryCrossentropy",
        "BinaryCrossentropy(reduction='sum')",
        lambda: jl.BinaryCrossentropy(reduction="sum")(_BIN_T, [[0.6, 0.4], [0.4, 0.6]]),
        1.630,
    ),
    DocExample(
        "tf.keras BinaryCrossentropy",
        "BinaryCrossentropy(reduction='none')",
        lambda: jl.BinaryCrossentropy(reduction="none")(_BIN_T, [[0.6, 0.4], [0.4, 0.6]]),
        [0.916, 0.714],
    ),
)


def check(example: DocExample) -> tuple[np.ndarray, bool]:
    got = np.asarray(example.compute(), np.float64)
    expected = example.expected()
    ok = got.shape == expected.shape and bool(
        np.all(np.abs(got - expected) <= example.tolerance() + 2e-5 * np.abs(expected))
    )
    return got, ok


def _fmt(value: np.ndarray) -> str:
    return np.array2string(np.asarray(value), precision=4, separator=", ", suppress_small=False)


def main() -> int:
    print(f"jaxloss {jl.__version__}: the Keras documentation examples, recomputed\n")
    header = f"{'':2} {'call':<68} {'jaxloss':>22} {'documented':>22}"
    print(header)
    print("-" * len(header))
    failures = 0
    for example in EXAMPLES:
        got, ok = check(example)
        failures += not ok
        print(f"{'ok' if ok else 'XX':<2} {example.call[:68]:<68} {_fmt(got):>22} {_fmt(example.expected()):>22}")
    print(f"\n{len(EXAMPLES) - failures} of {len(EXAMPLES)} documented examples reproduced.")
    print(f"\nThe {len(LOSSES)} losses (class / per-sample function):")
    for cls in LOSSES:
        print(f"  {cls.__name__:<38} {cls.fn.__name__}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
