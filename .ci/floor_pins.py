"""Print the floor of every runtime and test dependency: each `>=` pin of pyproject.toml as `==`.

CI installs these as constraints (`pip install -c`) to test that the declared floors are true.
"""

import pathlib
import re
import tomllib

project = tomllib.loads((pathlib.Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
for requirement in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
    name, floor = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement).groups()
    print(f"{name}=={floor}")
    if name == "jax":  # jaxlib is jax's own dependency; its floor is jax's
        print(f"jaxlib=={floor}")
