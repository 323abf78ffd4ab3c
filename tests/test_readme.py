"""The README's example runs, and its Quick start commands are the ones CI runs."""

import pathlib
import re

ROOT = pathlib.Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_example_runs():
    (code,) = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert float(namespace["value"]) > 0


def test_quick_start_test_command_is_what_ci_runs():
    command = 'pip install -e ".[test]" && python -m pytest'
    assert command in README
    assert command in (ROOT / ".ci" / "run").read_text()
    assert "pip install -e . && python -m jaxloss" in README
