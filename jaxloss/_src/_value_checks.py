"""Run-time value checks, for `checked`: the building blocks, and the checks several losses share.

A loss declares its check next to its class (`value_check=`). A check is a
function `(cfg, y_true, y_pred, **inputs) -> None` that adds `checkify.check`s;
`cfg` is the per-sample function's configuration. `checked` runs it under
`checkify`; outside `checked` these are never called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.experimental import checkify

from jaxloss._src._labels import are_class_ids
from jaxloss._src._numerics import as_labels

ValueCheck = Callable[..., None]

# ---- building blocks ------------------------------------------------------------------------------


def check_all(bad: jax.Array, values: jax.Array, message: str) -> None:
    """Fails with `message` (which has a `{value}` slot) naming the first offending entry."""
    first = jnp.argmax(bad.ravel()) if values.size else 0
    checkify.check(~jnp.any(bad), message, value=values.ravel()[first] if values.size else 0)


def within(name: str, x: Any, low: float, high: float | None, what: str) -> None:
    """Every entry of `x` in `[low, high]` (`high=None`: at least `low`)."""
    x = jnp.asarray(x)
    bad = x < low if high is None else (x < low) | (x > high)
    bound = f">= {low}" if high is None else f"in [{low}, {high}]"
    check_all(bad, x, f"`{name}` must be {bound} ({what}); found {{value}}.")


def class_ids(name: str, labels: Any, num_classes: int, ignore: int | None = None) -> None:
    """Class ids in `[0, num_classes)` or equal to `ignore`; float ids whole numbers."""
    raw = jnp.asarray(labels)
    if jnp.issubdtype(raw.dtype, jnp.floating):  # float class ids (Keras's fit): the losses truncate them
        check_all(
            raw != jnp.trunc(raw), raw, f"`{name}` holds class ids as floats, which must be whole numbers: {{value}}."
        )
    labels = as_labels(name, labels)  # saturating, as the losses read them: 2**32 + 1 stays out of range
    bad = (labels < 0) | (labels >= num_classes)
    if ignore is not None:
        bad = bad & (labels != ignore)
    allowed = f"[0, {num_classes})" + ("" if ignore is None else f" or ignore_class={ignore}")
    check_all(bad, labels, f"`{name}` has a class id outside {allowed}: {{value}}.")


def unit_rows(name: str, x: Any) -> None:
    """Rows of L2 norm 1, to the rounding of `x`'s dtype."""
    x = jnp.asarray(x)
    # A unit vector rounded to x's dtype has a norm within about one ulp of 1 (bf16: 2**-8 relative).
    tolerance = max(1e-3, float(jnp.finfo(x.dtype).eps)) if jnp.issubdtype(x.dtype, jnp.floating) else 1e-3
    norms = jnp.linalg.norm(x.astype(jnp.float32), axis=-1)
    within(f"{name} row norms", norms, 1.0 - tolerance, 1.0 + tolerance, "Circle expects L2-normalized embeddings")


# ---- checks several losses declare ----------------------------------------------------------------


def all_of(*checks: ValueCheck) -> ValueCheck:
    """A check that runs each of `checks`."""

    def check(cfg: dict[str, Any], y_true: Any, y_pred: Any, **inputs: Any) -> None:
        for one in checks:
            one(cfg, y_true, y_pred, **inputs)

    return check


def labels_within(low: float, high: float | None, what: str) -> ValueCheck:
    """`y_true` in `[low, high]`; `what` names the labels in the message."""

    def check(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
        within("y_true", y_true, low, high, what)

    return check


def probabilities(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    """`y_pred` in [0, 1], unless the loss is configured `from_logits=True`."""
    if not cfg.get("from_logits", False):
        within("y_pred", y_pred, 0.0, 1.0, "probabilities, since from_logits=False")


def sign_labels(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    """`y_true` in {-1, 1}."""
    values = jnp.asarray(y_true)
    check_all((values != 1) & (values != -1), values, "`y_true` must be -1 or 1; found {value}.")


def zero_one_labels(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    """`y_true` in {0, 1}."""
    within("y_true", y_true, 0.0, 1.0, "binary labels")
    values = jnp.asarray(y_true)
    check_all((values != 0) & (values != 1), values, "`y_true` must be 0 or 1; found {value}.")


def class_ids_or(dense: ValueCheck) -> ValueCheck:
    """For a loss taking class ids (one axis less than `y_pred`; `ignore_class` from the config) or dense
    labels: checks the ids, or runs `dense`."""

    def check(cfg: dict[str, Any], y_true: Any, y_pred: Any, **inputs: Any) -> None:
        if are_class_ids(y_true, y_pred):
            class_ids("y_true", y_true, jnp.shape(y_pred)[-1], cfg.get("ignore_class"))
        else:
            dense(cfg, y_true, y_pred, **inputs)

    return check


def class_ids_in_range(cfg: dict[str, Any], y_true: Any, y_pred: Any, **_: Any) -> None:
    """Class ids `y_true` in `[0, y_pred.shape[-1])` or `ignore_class`."""
    class_ids("y_true", y_true, jnp.shape(y_pred)[-1], cfg.get("ignore_class"))
