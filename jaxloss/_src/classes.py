"""The `Loss` base class, and the tables every loss declaration fills.

A loss is declared once, in its family module: the per-sample function, with
its config annotated by the field types of `_checks`, and right below it
the class, which names the function and repeats its config as fields:

    class Huber(Loss, fn=huber, name="huber_loss", in_keras=True):
        delta: PositiveFloat = 1.0

`Loss.__init_subclass__` makes every subclass a frozen, keyword-only
dataclass registered as a static pytree, and records each built-in class in
`LOSSES`, from which the registry (`get`, `serialize`), `checked` and the
package's listings are derived. Its docstring is built from the function's.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import textwrap
from collections.abc import Callable, Hashable, Sequence
from typing import Any, ClassVar, dataclass_transform

import jax
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src.reduce import Reduction, reduce

# Every built-in loss class, in declaration order; filled by `Loss.__init_subclass__`.
LOSSES: list[type[Loss]] = []
# Function name aliases ("mse", ...) and `checked`'s value checks, keyed by per-sample function.
ALIASES: dict[str, Callable[..., jax.Array]] = {}
VALUE_CHECKS: dict[Callable[..., Any], Callable[..., None]] = {}

_BASE_DOCS = """\
    reduction: `"sum_over_batch_size"` (default), `"mean"`, `"sum"`,
        `"mean_with_sample_weight"`, or `None`/`"none"` for the weighted
        per-sample loss.
    name: the loss's name (default {name!r}).
    dtype: result dtype (`None`: the per-sample function's). Half dtypes are
        computed in float32 and only the result is cast.
    axis_name: a mapped axis (`pmap`, `shard_map`) over which means and sums
        are taken globally; a loss whose values couple the batch gathers its
        batch statistics over it too."""


def _make_dataclass(cls: type) -> None:
    dataclasses.dataclass(frozen=True, kw_only=True)(cls)
    jax.tree_util.register_static(cls)


@dataclass_transform(kw_only_default=True, frozen_default=True)
class _DataclassMaker:
    """Tells type checkers that `Loss` and its subclasses are frozen, keyword-only dataclasses.

    A class marked with `dataclass_transform` is not itself a dataclass for them, so the
    marker sits here and `Loss`, below it, declares the base fields.
    """


class Loss(_DataclassMaker):
    """Base class: a reduced loss built from a per-sample function.

    Subclass it as in Keras, overriding `call`, with one field per setting.
    Subclasses are frozen, keyword-only dataclasses; no decorator is needed:

    >>> import jax.numpy as jnp
    >>> import jaxloss
    >>> class ScaledError(jaxloss.Loss):
    ...     scale: float = 1.0
    ...     def call(self, y_true, y_pred):
    ...         return self.scale * jnp.mean(jnp.abs(y_true - y_pred), axis=-1)
    >>> print(ScaledError(scale=2.0)(jnp.zeros((2, 2)), jnp.ones((2, 2))))
    2.0

    Or name an existing per-sample function with `fn`; its configuration is
    then passed from the fields: `class MyHuber(jaxloss.Loss, fn=my_huber)`.

    Attributes:
        reduction: `"sum_over_batch_size"`, `"mean"`, `"sum"`,
            `"mean_with_sample_weight"`, or `None`/`"none"`.
        name: the loss's name.
        dtype: result dtype (`None`: the per-sample function's). Half dtypes
            are computed in float32 and only the result is cast.
        axis_name: mapped axis over which means and sums are taken globally (and
            the batch statistics of a loss that couples the batch).
    """

    fn: ClassVar[Callable[..., jax.Array]]
    in_keras: ClassVar[bool] = False  # A built-in loss that is Keras's (compared against it): `in_keras=True`.
    default_name: ClassVar[str | None] = None  # What `name=None` becomes: `name=` in the class statement.
    # The function takes `axis_name` (its values couple the batch): the class passes its own.
    couples_batch: ClassVar[bool] = False
    _field_specs: ClassVar[dict[str, _checks.Spec]] = {}  # Field name -> validator, from the annotations.
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    reduction: Reduction = "sum_over_batch_size"
    name: str | None = None
    dtype: Any = None
    axis_name: Hashable | None = None

    def __init_subclass__(
        cls,
        *,
        fn: Callable[..., jax.Array] | None = None,
        name: str | None = None,
        aliases: Sequence[str] = (),
        value_check: Callable[..., None] | None = None,
        in_keras: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if fn is not None:
            cls.fn = staticmethod(fn)  # type: ignore[assignment]
            cls.couples_batch = "axis_name" in inspect.signature(fn).parameters
        if name is not None:
            cls.default_name = name
        own_doc = cls.__dict__.get("__doc__")  # Before the dataclass fills in a signature.
        _make_dataclass(cls)
        cls._field_specs = _checks.specs(cls)
        if cls.__module__.startswith("jaxloss.") and fn is not None:
            LOSSES.append(cls)
            cls.in_keras = in_keras
            ALIASES.update(dict.fromkeys(aliases, fn))
            if value_check is not None:
                VALUE_CHECKS[fn] = value_check
            cls.__doc__ = _class_doc(cls, fn, own_doc or "")

    def __post_init__(self) -> None:
        cls = type(self)
        if "fn" not in dir(cls) and cls.call is Loss.call:
            raise TypeError(
                f"{cls.__name__} defines neither `call` nor `fn`. Override "
                "`call(self, y_true, y_pred)` to return the per-sample loss, or name a per-sample "
                f"function: `class {cls.__name__}(jaxloss.Loss, fn=my_loss)`."
            )
        for f in dataclasses.fields(self):
            if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(getattr(self, f.name))):
                fn_name = getattr(getattr(cls, "fn", None), "__name__", "the per-sample function")
                raise TypeError(
                    f"`{f.name}` of {cls.__name__} is a traced value. Loss classes hold static configuration "
                    "(hashable, a static argument of jitted functions); for a traced or learned value, call "
                    f"the function instead: jaxloss.{fn_name}(y_true, y_pred, {f.name}=...). "
                    f"Received: {f.name} of type {type(getattr(self, f.name)).__name__}"
                )
        _checks.check_reduction(self.reduction)
        if self.name is None:
            object.__setattr__(self, "name", cls.default_name)
        elif not isinstance(self.name, str):
            raise TypeError(f"`name` must be a string. Received: name={self.name!r}")
        object.__setattr__(self, "dtype", _checks.canonical_dtype(self.dtype))
        object.__setattr__(self, "axis_name", _checks.canonical_axis_name(self.axis_name))
        for key, value in self.fn_config().items():
            spec = cls._field_specs.get(key)
            if spec is not None:
                spec.check(key, value)
                object.__setattr__(self, key, spec.convert(value))
            elif isinstance(value, list):  # A user field: lists become tuples so the instance stays hashable.
                object.__setattr__(self, key, tuple(value))
        try:
            hash(self)
        except TypeError as err:
            raise TypeError(f"Every field of {cls.__name__} must be hashable: {err}") from None

    def fn_config(self) -> dict[str, Any]:
        """The keyword arguments this instance passes to its per-sample function."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in _BASE_FIELDS}

    def call(self, y_true: ArrayLike, y_pred: ArrayLike, **inputs: ArrayLike) -> jax.Array:
        """The unreduced, unweighted per-sample loss. Override it, or name a function with `fn`."""
        return type(self).fn(y_true, y_pred, **inputs, **self.fn_config())

    def _per_sample(self) -> tuple[Callable[..., jax.Array], dict[str, Any]]:
        """The function `reduce` wraps, and the config it is given (with `axis_name` if it couples the batch)."""
        if type(self).call is Loss.call:
            config = self.fn_config()
            if type(self).couples_batch:
                config["axis_name"] = self.axis_name
            return type(self).fn, config
        return self.call, {}

    def __call__(
        self,
        y_true: ArrayLike | None,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        mask: ArrayLike | None = None,
        **inputs: ArrayLike,
    ) -> jax.Array:
        """Computes the reduced loss.

        Args:
            y_true: targets.
            y_pred: predictions.
            sample_weight: optional weights, broadcast to the per-sample loss
                from the leading axes (a trailing 1 is matched as in Keras).
            mask: optional boolean mask of the per-sample loss, True = keep.
            **inputs: extra array inputs of the per-sample function, such as
                CTC's `label_length`/`logit_length` or Circle's references.

        Returns:
            A scalar, or the weighted per-sample loss for `reduction=None`.
        """
        fn, config = self._per_sample()
        settings = sorted(set(inputs) & set(config))
        if settings:
            raise TypeError(
                f"{type(self).__name__} holds {settings} as configuration: set it when building the loss, "
                f"e.g. {type(self).__name__}({settings[0]}=...), not when calling it."
            )
        reduced = reduce(fn, self.reduction, axis_name=self.axis_name, dtype=self.dtype)
        return reduced(y_true, y_pred, sample_weight, mask=mask, **inputs, **config)

    def get_config(self) -> dict[str, Any]:
        """Every field, lists for tuples, so `from_config` rebuilds an equal loss."""
        return {
            f.name: list(getattr(self, f.name)) if isinstance(getattr(self, f.name), tuple) else getattr(self, f.name)
            for f in dataclasses.fields(self)
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(
                f"Unknown config keys for {cls.__name__}: {unknown}. Expected a subset of {sorted(known)}."
            )
        return cls(**config)


_make_dataclass(Loss)
# The fields every loss has; the others are its per-sample function's config.
_BASE_FIELDS = tuple(f.name for f in dataclasses.fields(Loss))


def _section(doc: str, title: str) -> str:
    """The body of a Google-style docstring section ("Args", "Example"), dedented."""
    match = re.search(rf"^([ \t]*){title}:\n(.*?)(?=^\1\S|\Z)", doc, flags=re.M | re.S)
    return textwrap.dedent(match.group(2)) if match else ""


def _arg_docs(doc: str) -> dict[str, str]:
    """name -> its (possibly multi-line) description, from an Args section."""
    entries: dict[str, str] = {}
    for block in re.split(r"^(?=\S)", _section(doc, "Args"), flags=re.M):
        if ":" in block:
            name, text = block.split(":", 1)
            entries[name.strip()] = " ".join(text.split())
    return entries


def _class_example(cls: type[Loss], fn: Callable[..., Any], doc: str) -> str:
    """The function's example, rewritten as a call of the class with `reduction=None` (same values)."""
    lines = _section(doc, "Example").splitlines()
    fields = {f.name for f in dataclasses.fields(cls)}
    out = []
    for _i, line in enumerate(lines):
        call = re.fullmatch(rf">>> print\((jaxloss\.{fn.__name__}\(.*\))\)", line.strip())
        if not call:
            out.append(line)
            continue
        node = ast.parse(call.group(1), mode="eval").body
        if not isinstance(node, ast.Call):  # not a call of the function itself: kept as written
            out.append(line)
            continue
        src = call.group(1)
        config = [f"{k.arg}={ast.get_source_segment(src, k.value)}" for k in node.keywords if k.arg in fields]
        inputs = [ast.get_source_segment(src, a) for a in node.args]
        inputs += [f"{k.arg}={ast.get_source_segment(src, k.value)}" for k in node.keywords if k.arg not in fields]
        out.append(f">>> loss = jaxloss.{cls.__name__}({', '.join([*config, 'reduction=None'])})")
        out.append(f">>> print(loss({', '.join(str(x) for x in inputs)}))")
    return "\n".join(out).strip()


def _class_doc(cls: type[Loss], fn: Callable[..., Any], own_doc: str) -> str:
    """Class docstring: the function's summary and formula, the fields, and an example."""
    doc = inspect.getdoc(fn) or ""
    own = inspect.cleandoc(own_doc)
    summary = doc.split("\n\n")[0].strip()
    formula = next((p for p in doc.split("\n\n") if ".. math::" in p), "")
    args = _arg_docs(doc)
    config = [f.name for f in dataclasses.fields(cls) if f.name not in _BASE_FIELDS]
    field_lines = [f"    {name}: {args.get(name, '')}".rstrip() for name in config]
    base = _BASE_DOCS.format(name=cls.default_name)
    parts = [f"{summary}\n\nThe class form of `{fn.__name__}`: the config is held, `__call__` reduces."]
    if formula:
        parts.append(formula)
    parts.append("Args:\n" + "\n".join([*field_lines, base]))
    example = own if ">>>" in own else _class_example(cls, fn, doc)
    if own and ">>>" not in own:
        parts.append(own)
    if example:
        parts.append("Example:\n" + textwrap.indent(example, "    "))
    return "\n\n".join(parts)
