"""`python -m jaxloss`: every example of the Keras docs, recomputed with jaxloss.

Each entry of `keras_doc_examples.json` is a documented call from the Keras 3
loss pages (and the tf.keras BinaryCrossentropy page): the loss, its config,
the inputs, and the value printed there. A documented value is printed to a
few digits, rounded or truncated (0.243 for Keras's own 0.24364), so an entry
passes when jaxloss agrees within one unit of its last printed digit. Two
examples document a formula on random inputs instead (`formula`, its value
stored): those pass within float32 rounding. The exit status is 1 on any
mismatch.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import sys
from typing import Any

import numpy as np

import jaxloss as jl
from jaxloss._src.classes import LOSSES

DATA = pathlib.Path(__file__).with_name("keras_doc_examples.json")


@dataclasses.dataclass(frozen=True)
class DocExample:
    """One documented call: `loss` names a class (called with `sample_weight`) or a per-sample function."""

    source: str
    call: str
    loss: str
    documented: Any  # the printed value (digits as printed), or the value of `formula`
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    y_true: Any = None
    y_pred: Any = None
    sample_weight: Any = None
    formula: str | None = None  # the reference formula the docs give, in numpy, on these inputs

    def compute(self) -> Any:
        loss = getattr(jl, self.loss)
        if isinstance(loss, type):
            return loss(**self.config)(self.y_true, self.y_pred, sample_weight=self.sample_weight)
        return loss(self.y_true, self.y_pred, **self.config)

    def expected(self) -> np.ndarray:
        return np.asarray(self.documented, np.float64)

    def tolerance(self) -> np.ndarray:
        """Per entry: one unit in its last printed digit; float32 rounding for a formula."""
        if self.formula is not None:
            return np.asarray(1e-5)
        digits = [
            len(f"{float(v):.10g}".split(".")[1]) if "." in f"{float(v):.10g}" else 0 for v in np.ravel(self.documented)
        ]
        units = [
            abs(float(v)) * 1e-7 if "e" in f"{float(v):.10g}" else 10.0**-d
            for v, d in zip(np.ravel(self.documented), digits, strict=False)
        ]
        return np.reshape(units, np.shape(self.documented))


EXAMPLES: tuple[DocExample, ...] = tuple(DocExample(**entry) for entry in json.loads(DATA.read_text()))


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
