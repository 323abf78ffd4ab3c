"""The notebooks and the examples run top to bottom (CI runs these with the `notebooks` extra).

    pip install -e ".[notebooks]" && python -m pytest -m notebooks

Left out of the default run (`-m 'not notebooks'`). Each notebook's own cells
assert the figures it shows (accuracies, agreement with Keras), so a
regression there fails here.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from tests.notebook_runner import execute, notebook_paths

pytestmark = pytest.mark.notebooks

ROOT = pathlib.Path(__file__).parents[1]


def test_there_are_five_notebooks():
    assert [p.name[:2] for p in notebook_paths()] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_notebook_runs(path):
    pytest.importorskip("nbclient", reason="needs the `notebooks` extra")
    seconds = execute(path)
    assert seconds < 120, f"{path.name} took {seconds:.0f} s; notebooks must run in under 2 minutes"


# Tiny sizes: CI checks that the examples run and that their own assertions hold.
EXAMPLES = {
    "optax_train.py": ["--steps", "100"],
    "flax_nnx_train.py": ["--steps", "60"],
    "per_example.py": ["--n", "256", "--steps", "100"],
    "data_parallel.py": ["--steps", "5"],
    "keras_compile.py": ["--epochs", "2"],  # Keras (the `examples` extra) with the JAX backend
}


def test_every_example_is_run():
    assert sorted(p.name for p in (ROOT / "examples").glob("*.py")) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_runs(name):
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}  # data_parallel needs 8 devices
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name), *EXAMPLES[name]],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
