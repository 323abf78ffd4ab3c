"""Runs Keras's own loss tests (keras/src/losses/losses_test.py) against jaxloss.

The installed Keras test file (or the one given with `--test-file`, such as
Keras's main-branch `keras/src/losses/losses_test.py`, which has the Tversky
and label-smoothing fixes made after 3.15.1) is copied with its `losses`
module bound to jaxloss, then run with pytest under the JAX backend. The serialization tests
(`test_config`, which go through `keras.saving`) are deselected: jaxloss has
its own `get_config`/`serialize`. Needs `keras` installed (a reference only;
jaxloss never imports it).

    python tools/keras_suite.py [--test-file PATH] [extra pytest args]
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile


def main(argv: list[str]) -> int:
    os.environ["KERAS_BACKEND"] = "jax"
    import keras  # noqa: F401  (reference only)

    source = pathlib.Path(keras.__file__).parent / "src" / "losses" / "losses_test.py"
    if argv[:1] == ["--test-file"]:
        source, argv = pathlib.Path(argv[1]).resolve(), argv[2:]
    text = source.read_text()
    binding = "from keras.src.losses import losses\n"
    if binding not in text:
        raise SystemExit(f"Unexpected layout of {source}: cannot bind `losses` to jaxloss.")
    text = text.replace(binding, "import jaxloss as losses\n")
    with tempfile.TemporaryDirectory() as tmp:
        target = pathlib.Path(tmp) / "keras_losses_test_on_jaxloss.py"
        target.write_text(text)
        print(f"Keras {keras.__version__}: {source}")
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            str(target),
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-W",
            "ignore::DeprecationWarning",
            "-k",
            "not test_config",
            *argv,
        ]
        return subprocess.call(cmd, cwd=tmp, env={**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).parents[1])})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
