"""The README's example runs, and its Quick start commands are the ones CI runs."""

import pathlib
import re

ROOT = pathlib.Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_example_runs():
    # The first Python block is the introduction's example; the "Scaling out" blocks need 8 devices and
    # run in tests/test_multidevice.py.
    code = re.findall(r"```python\n(.*?)```", README, flags=re.S)[0]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert float(namespace["value"]) > 0


def test_quick_start_test_command_is_what_ci_runs():
    command = 'pip install -e ".[test]" && python -m pytest'
    assert command in README
    assert command in (ROOT / ".ci" / "run").read_text()
    assert "pip install -e . && python -m jaxloss" in README
