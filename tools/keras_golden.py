"""Recomputes the `expected` values of tests/data/keras_golden.json with Keras.

The golden cases came from Keras 3.15.1 (../shared/golden). Keras is taken
with its fixes made after 3.15.1 (`keras_differential.keras_reference`), so
the Tversky cases follow #23333. Cases whose value changes are listed.

    python tools/keras_golden.py            # list the changes
    python tools/keras_golden.py --write    # and store them
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tools.keras_differential import keras_reference  # noqa: E402

PATH = pathlib.Path(__file__).parents[1] / "tests" / "data" / "keras_golden.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    import keras

    cases = json.loads(PATH.read_text())
    changed = 0
    for case in cases:
        y_true, y_pred = np.array(case["y_true"]), np.array(case["y_pred"])
        if y_pred.dtype.kind == "f":
            y_pred = y_pred.astype(np.float32)
        kwargs = dict(case["kwargs"])
        if case["loss"] == "circle(fn)":
            refs = np.array(kwargs.pop("ref_embeddings"), np.float32)
            value = keras.losses.circle(y_true, y_pred, np.array(kwargs.pop("ref_labels")), refs, **kwargs)
        else:
            value = keras_reference(keras, case["loss"], kwargs)(y_true, y_pred, case["sample_weight"])
        value = np.asarray(value, np.float64).tolist()
        if not np.allclose(value, case["expected"], rtol=1e-6, atol=1e-8):
            changed += 1
            print(f"{case['loss']} {case['kwargs']}: {case['expected']} -> {value}")
            case["expected"] = value
    print(f"keras {keras.__version__}: {changed} of {len(cases)} golden values changed")
    if args.write:
        PATH.write_text(json.dumps(cases, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
