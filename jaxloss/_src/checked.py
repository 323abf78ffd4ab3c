"""`checked(loss)`: run-time checks of value errors, under `jit`, via checkify.

Shapes, dtypes and configs are checked at trace time everywhere. What depends
on the *values* (a label out of range, a probability of 1.3, a negative count)
cannot raise inside `jit`; `checked` adds `checkify.check`s for those and
returns a function giving `(error, loss)`. Call `error.throw()` (or
`error.get()`) outside the jitted region.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.experimental import checkify

from jaxloss._src.classes import VALUE_CHECKS, Loss


def _finite(name: str, x: Any) -> None:
    x = jnp.asarray(x)
    if jnp.issubdtype(x.dtype, jnp.inexact):
        checkify.check(jnp.all(jnp.isfinite(x)), f"`{name}` has a non-finite value (inf or NaN).")


def _value_check(fn: Callable[..., Any]) -> Callable[..., None] | None:
    """The value checks of `fn`, or of the per-sample function it wraps (`reduce(fn)`, `validates_config`)."""
    while fn not in VALUE_CHECKS and hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    return VALUE_CHECKS.get(fn)


def checked(loss: Loss | Callable[..., jax.Array], **config: Any) -> Callable[..., tuple[checkify.Error, jax.Array]]:
    """Wraps a loss with run-time value checks that work under `jit`.

    Checks, where they apply: labels outside `[0, num_classes)` that are not
    `ignore_class`; probabilities outside [0, 1] when `from_logits=False`;
    negative Poisson counts or rates; a non-finite input or sample weight;
    CTC lengths beyond the padded sizes; Circle embeddings that are not
    L2-normalized. Neither Keras nor optax can report these under `jit`.

    Args:
        loss: a loss class instance, or a built-in per-sample function.
        **config: the per-sample function's configuration (static), e.g.
            `from_logits=True`. Not allowed with a loss instance, which holds its own.

    Returns:
        A function with the loss's call signature (array inputs only) that
        returns `(error, value)`. `error.throw()` raises `JaxRuntimeError`
        naming the first failed check; `error.get()` returns its message or None.

    Example:
        >>> import jax
        >>> import jaxloss
        >>> safe = jax.jit(jaxloss.checked(jaxloss.SparseCategoricalCrossentropy()))
        >>> error, value = safe(jax.numpy.array([0, 3]), jax.numpy.array([[0.9, 0.1], [0.5, 0.5]]))
        >>> print(error.get())
        `y_true` has a class id outside [0, 2): 3. (`check` failed)
    """
    if isinstance(loss, Loss):
        if config:
            raise TypeError(f"Configure the loss instance instead of passing {sorted(config)} to `checked`.")
        fn, cfg = loss._per_sample()
        call = loss
    elif callable(loss):
        fn, cfg = loss, config

        def call(y_true: Any, y_pred: Any, **inputs: Any) -> jax.Array:
            return loss(y_true, y_pred, **inputs, **config)

    else:
        raise TypeError(f"`loss` must be a jaxloss.Loss instance or a per-sample function. Received: {loss!r}")
    value_check = _value_check(fn)

    def run(y_true: Any, y_pred: Any, *args: Any, **inputs: Any) -> jax.Array:
        arrays = {"y_true": y_true, "y_pred": y_pred, **dict(zip(("sample_weight",), args, strict=False)), **inputs}
        for name, value in arrays.items():
            if value is not None:
                _finite(name, value)
        if value_check is not None:
            value_check(cfg, y_true, y_pred, **inputs)
        return call(y_true, y_pred, *args, **inputs)

    return checkify.checkify(run, errors=checkify.user_checks)
