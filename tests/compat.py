"""What the tests need from JAX that moved between the declared floor (0.4.33) and today's release."""

from __future__ import annotations

from typing import Any

import jax


def x64() -> Any:
    """A context with 64-bit types on: `jax.enable_x64` (JAX 0.6 and later) or its experimental form."""
    enable = getattr(jax, "enable_x64", None)
    if enable is None:  # JAX before 0.6
        from jax.experimental import enable_x64 as enable
    return enable(True)
