"""Executes the notebooks and saves their outputs; prints each one's run time.

    python tools/run_notebooks.py [--only 04] [--no-write]

Needs the `notebooks` extra (`pip install -e ".[notebooks]"`).
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tests.notebook_runner import execute, notebook_paths  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    for path in notebook_paths():
        if args.only and args.only not in path.name:
            continue
        seconds = execute(path, write=not args.no_write)
        print(f"{path.name}: {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
