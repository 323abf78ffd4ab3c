"""Showcase: `python -m jaxloss` recomputes every Keras documentation example."""

import sys

from jaxloss._src.showcase import main

if __name__ == "__main__":  # not on import (the docs build inspects every module)
    sys.exit(main())
