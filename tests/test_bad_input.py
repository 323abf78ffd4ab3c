"""Bad input, across every loss: a ValueError/TypeError that names the argument, or the documented value.

Every case of the table is called, as its per-sample function and as its class, with a catalogue of bad
inputs built from its valid ones:

- arrays: text, complex numbers, a batch size that differs from the labels', a zero-size class or feature
  axis, an empty batch, an extra leading axis;
- config: +inf, NaN, a value beyond the float range, a class id beyond int32, a traced value in a class;
- weights and masks: shape (B, 1, 1), complex or text weights, a float mask, a mask of the wrong length;
- the extra inputs (a kernel, a second embedding, a variance...): text.

An error must be a ValueError or TypeError whose message names the argument (`name`, `name.shape=...` or
`name=...`): never a message from inside JAX or NumPy, never an IndexError. Where the input is valid in
an edge (an empty batch, a leading axis), the documented value is checked instead.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxloss
from jaxloss._src import _checks
from tests.cases import CASES, Case

BATCH = 4
NAME_OF_Y_PRED = {jaxloss.LinearSoftmaxCrossentropy: "features"}  # what the function calls its y_pred


def _names(message: str, *names: str) -> bool:
    return any(re.search(rf"`{re.escape(n)}`|\b{re.escape(n)}(\.shape|\.dtype|=| row)", message) for n in names)


class Failures(list):
    def check(self, label: str, call: Callable[[], Any], names: tuple[str, ...], value: Callable | None = None):
        """`call` raises a ValueError/TypeError naming one of `names`, or (if `value` is given) returns a
        result `value` accepts."""
        try:
            result = call()
        except (ValueError, TypeError) as err:
            if not _names(str(err), *names):
                self.append(f"{label}: {type(err).__name__} not naming {names}: {str(err)[:200]}")
            return
        except Exception as err:  # noqa: BLE001 - any other error is a failure of the rule
            self.append(f"{label}: {type(err).__name__}: {str(err)[:200]}")
            return
        if value is None:
            self.append(f"{label}: no error, returned {np.asarray(result)!r:.200}")
        elif not value(result):
            self.append(f"{label}: returned {np.asarray(result)!r:.200}")


def _forms(case: Case) -> dict[str, Callable[..., Any]]:
    """The per-sample function (with the case's config) and the class, called alike."""
    loss = case.loss
    fn, config = type(loss).fn, loss.fn_config()
    return {
        "function": lambda t, p, w=None, mask=None, **extra: fn(t, p, **extra, **config),
        "class": lambda t, p, w=None, mask=None, **extra: loss(t, p, w, mask=mask, **extra),
    }


def _with_batch(case: Case, batch: int):
    return case.make(np.random.default_rng(0), (batch,))


def _zero_size_last_axis(case: Case, y_true, y_pred, extra):
    """The same inputs with a class or feature axis of size 0 (y_pred's last axis; the labels follow)."""
    y_pred = y_pred[..., :0]
    if isinstance(case.loss, jaxloss.LinearSoftmaxCrossentropy):
        return y_true, y_pred, {**extra, "kernel": extra["kernel"][:0]}
    if y_true is not None and np.ndim(y_true) == np.ndim(y_pred) and not isinstance(case.loss, jaxloss.CTC):
        y_true = y_true[..., :0]
    extra = {
        k: (v[..., :0] if np.shape(v) == np.shape(y_pred[..., :0]) + (np.shape(v)[-1],) else v)
        for k, v in extra.items()
    }
    if isinstance(case.loss, jaxloss.Circle) and "ref_embeddings" in extra:
        extra["ref_embeddings"] = extra["ref_embeddings"][:, :0]
    return y_true, y_pred, extra


def _empty_value(result) -> bool:
    result = np.asarray(result)
    return (result.shape == () and float(result) == 0.0) or result.size == 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_raises_a_named_error_or_gives_the_documented_value(case: Case):
    failures = Failures()
    y_true, y_pred, extra = _with_batch(case, BATCH)
    pred_name = NAME_OF_Y_PRED.get(type(case.loss), "y_pred")
    for form, call in _forms(case).items():
        tag = f"{form}"
        failures.check(f"{tag} y_pred text", lambda: call(y_true, ["a"] * BATCH, **extra), (pred_name,))
        failures.check(f"{tag} y_pred complex", lambda: call(y_true, y_pred * 1j, **extra), (pred_name,))
        if y_true is not None:
            failures.check(f"{tag} y_true text", lambda: call(["a"] * BATCH, y_pred, **extra), ("y_true",))
            # One sample's labels for a batch: never broadcast to every row.
            failures.check(
                f"{tag} y_true of one sample", lambda: call(y_true[:1], y_pred, **extra), ("y_true", pred_name)
            )
            failures.check(f"{tag} y_true complex", lambda: call(np.asarray(y_true) * 1j, y_pred, **extra), ("y_true",))
        else:
            failures.check(f"{tag} y_true given", lambda: call(np.ones(BATCH), y_pred, **extra), ("y_true",))
        # A batch size that differs from the labels' (or the other inputs').
        more = np.concatenate([y_pred, y_pred[:1]])
        failures.check(
            f"{tag} y_pred batch + 1",
            lambda: call(y_true, more, **extra),
            (pred_name, "y_true", *extra),
            None if case.independent or y_true is not None else _empty_value,
        )
        # Ranks that differ from the labels': an extra leading axis on y_pred alone, or a scalar y_pred.
        every_name = (pred_name, "y_true", *extra)
        failures.check(f"{tag} y_pred extra axis", lambda: call(y_true, y_pred[None], **extra), every_name)
        failures.check(f"{tag} y_pred scalar", lambda: call(y_true, y_pred.reshape(-1)[0], **extra), every_name)
        # A zero-size class or feature axis: no loss is defined.
        zt, zp, ze = _zero_size_last_axis(case, y_true, y_pred, extra)
        failures.check(f"{tag} zero-size last axis", lambda: call(zt, zp, **ze), (pred_name, "kernel"))
        # An empty batch: 0 (a mean or sum over nothing), or an empty per-sample array.
        et, ep, ee = _with_batch(case, 0)
        failures.check(f"{tag} empty batch", lambda: call(et, ep, **ee), (), _empty_value)
        # Extra inputs as text.
        for key in extra:
            failures.check(f"{tag} {key} text", lambda key=key: call(y_true, y_pred, **{**extra, key: ["a"]}), (key,))
        if form == "class":
            weights = np.ones(BATCH, np.float32)
            whole_batch_value = np.ndim(dataclasses.replace(case.loss, reduction=None)(y_true, y_pred, **extra)) == 0
            failures.check(
                "class sample_weight (B, 1, 1)",
                lambda: call(y_true, y_pred, weights[:, None, None], **extra),
                ("sample_weight",),
                (lambda r: np.isfinite(np.asarray(r)).all()) if whole_batch_value else None,
            )
            failures.check(
                "class sample_weight complex", lambda: call(y_true, y_pred, weights * 1j, **extra), ("sample_weight",)
            )
            failures.check(
                "class sample_weight text", lambda: call(y_true, y_pred, ["a"] * BATCH, **extra), ("sample_weight",)
            )
            failures.check("class mask float", lambda: call(y_true, y_pred, mask=weights, **extra), ("mask",))
            if not whole_batch_value:
                failures.check(
                    "class mask too long",
                    lambda: call(y_true, y_pred, mask=np.ones(BATCH + 1, bool), **extra),
                    ("mask",),
                )
    # Config: every field of the class, as the class and as the function.
    fn, config = type(case.loss).fn, case.loss.fn_config()
    hints = typing.get_type_hints(type(case.loss))
    for field in _checks.specs(type(case.loss)):
        kinds = set(typing.get_args(hints[field])) | {hints[field]}
        bad_values: list[Any] = []
        if bool in kinds:
            bad_values = ["yes", 1.5]
        elif float in kinds:
            bad_values = [float("inf"), float("nan"), 10**400]
        elif int in kinds:
            bad_values = [2**40, 1.5]
        # A huge block is valid: it is cut to the array's size.
        valid = (lambda r: np.isfinite(np.asarray(r)).all()) if field == "block_size" else None
        for bad in bad_values:
            # The class raises at construction, or (a value that needs the input's rank: an axis) when called.
            failures.check(
                f"class {field}={bad!r:.12}",
                lambda field=field, bad=bad: type(case.loss)(**{**config, field: bad})(y_true, y_pred, **extra),
                (field,),
                valid if bad == 2**40 else None,
            )
            failures.check(
                f"function {field}={bad!r:.12}",
                lambda field=field, bad=bad: fn(y_true, y_pred, **extra, **{**config, field: bad}),
                (field,),
                valid if bad == 2**40 else None,
            )
        if float in kinds:
            failures.check(
                f"class traced {field}",
                lambda field=field: jax.jit(lambda v: type(case.loss)(**{**config, field: v}))(jnp.float32(0.5)),
                (field,),
            )
    assert not failures, "\n".join(failures)
