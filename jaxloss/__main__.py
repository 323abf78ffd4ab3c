"""Showcase: `python -m jaxloss` recomputes every Keras documentation example."""

import sys

from jaxloss._src.showcase import main

sys.exit(main())
