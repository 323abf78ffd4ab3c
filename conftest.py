"""Pytest configuration shared by the doctests (jaxloss/) and the test suite (tests/)."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _doctest_print_precision(doctest_namespace):
    """Doctest examples print 4 significant decimals, as optax's docs do."""
    with np.printoptions(precision=4, suppress=True):
        yield
