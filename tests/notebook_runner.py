"""Executes the notebooks top to bottom (nbclient), for the test suite and `tools/run_notebooks.py`."""

from __future__ import annotations

import pathlib
import time

NOTEBOOKS = pathlib.Path(__file__).parents[1] / "notebooks"


def notebook_paths() -> list[pathlib.Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def execute(path: pathlib.Path, *, write: bool = False, timeout: int = 300) -> float:
    """Runs every cell in a fresh kernel, in the notebooks folder; raises on the first error; returns seconds.

    With `write`, the outputs are saved into the notebook.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    if write:
        nbformat.write(notebook, path)
    return seconds
