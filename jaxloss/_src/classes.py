"""Loss classes: frozen, hashable, static dataclasses holding a loss's config.

Every class is a thin shell around its per-sample function and `reduce`:
`Loss.__call__` is `reduce(fn, reduction, ...)(y_true, y_pred, sw, **config)`.
Instances are registered as static pytrees, so they can be passed to a jitted
function as ordinary arguments, and equal configs share one trace.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxloss._src import _checks, categorical, ctc as ctc_lib, hinge, metric_learning, probabilistic
from jaxloss._src import regression, segmentation
from jaxloss._src.reduce import Reduction, reduce

_T = TypeVar("_T", bound=type)
_BASE_FIELDS = ("reduction", "name", "dtype", "axis_name")


def _canonical_dtype(dtype: Any) -> str | None:
    """A dtype (or Keras policy name) as a hashable name: 'mixed_float16' -> 'float16'."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        dtype = dtype[len("mixed_") :]
    try:
        canonical = jnp.dtype(dtype)
    except TypeError:
        raise ValueError(f"`dtype` must be a floating dtype name such as 'float32' or 'bfloat16'. Received: dtype={dtype!r}") from None
    if not jnp.issubdtype(canonical, jnp.floating):
        raise ValueError(f"`dtype` must be a floating dtype. Received: dtype={dtype!r}")
    return canonical.name


def loss_class(cls: _T) -> _T:
    """Makes `cls` a frozen keyword-only dataclass registered as a static pytree."""
    return jax.tree_util.register_static(dataclasses.dataclass(frozen=True, kw_only=True)(cls))


@loss_class
class Loss:
    """Base class: a reduced loss built from a per-sample function `fn`.

    Subclass it with the `loss_class` decorator, a `fn` class attribute and
    one field per configuration argument of `fn`:

    >>> import jax.numpy as jnp
    >>> import jaxloss
    >>> def scaled_error(y_true, y_pred, *, scale=1.0):
    ...     return scale * jnp.mean(jnp.abs(y_true - y_pred), axis=-1)
    >>> @jaxloss.loss_class
    ... class ScaledError(jaxloss.Loss):
    ...     fn = staticmethod(scaled_error)
    ...     scale: float = 1.0
    ...     name: str = "scaled_error"
    >>> print(ScaledError(scale=2.0)(jnp.zeros((2, 2)), jnp.ones((2, 2))))
    2.0

    Attributes:
        reduction: `"sum_over_batch_size"`, `"mean"`, `"sum"`,
            `"mean_with_sample_weight"`, or `None`/`"none"`.
        name: the loss's name.
        dtype: result dtype (`None`: the per-sample function's). Half dtypes
            are computed in float32 and only the result is cast.
        axis_name: mapped axis over which means and sums are taken globally.
    """

    fn: ClassVar[Callable[..., jax.Array]]

    reduction: Reduction = "sum_over_batch_size"
    name: str | None = None
    dtype: Any = None
    axis_name: Any = None

    def __post_init__(self) -> None:
        _checks.check_reduction(self.reduction)
        if self.name is not None and not isinstance(self.name, str):
            raise TypeError(f"`name` must be a string. Received: name={self.name!r}")
        object.__setattr__(self, "dtype", _canonical_dtype(self.dtype))
        for key, value in self.fn_config().items():
            if isinstance(value, (list, np.ndarray)):  # Lists become tuples so the instance stays hashable.
                object.__setattr__(self, key, tuple(np.asarray(value).tolist()))
        _checks.check_config(**self.fn_config())
        try:
            hash(self)
        except TypeError as err:
            raise TypeError(f"Every field of {type(self).__name__} must be hashable: {err}") from None

    def fn_config(self) -> dict[str, Any]:
        """The keyword arguments this instance passes to its per-sample function."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in _BASE_FIELDS}

    def call(self, y_true: ArrayLike, y_pred: ArrayLike, **inputs: ArrayLike) -> jax.Array:
        """The unreduced, unweighted per-sample loss."""
        return type(self).fn(y_true, y_pred, **inputs, **self.fn_config())

    def __call__(
        self,
        y_true: ArrayLike,
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
        reduced = reduce(type(self).fn, self.reduction, axis_name=self.axis_name, dtype=self.dtype)
        return reduced(y_true, y_pred, sample_weight, mask=mask, **inputs, **self.fn_config())

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
            raise ValueError(f"Unknown config keys for {cls.__name__}: {unknown}. Expected a subset of {sorted(known)}.")
        return cls(**config)


# The classes below only name a per-sample function and list its config, with Keras's defaults.


@loss_class
class MeanSquaredError(Loss):
    """Class form of `mean_squared_error`."""

    fn = staticmethod(regression.mean_squared_error)
    name: str | None = "mean_squared_error"


@loss_class
class MeanAbsoluteError(Loss):
    """Class form of `mean_absolute_error`."""

    fn = staticmethod(regression.mean_absolute_error)
    name: str | None = "mean_absolute_error"


@loss_class
class MeanAbsolutePercentageError(Loss):
    """Class form of `mean_absolute_percentage_error`."""

    fn = staticmethod(regression.mean_absolute_percentage_error)
    name: str | None = "mean_absolute_percentage_error"


@loss_class
class MeanSquaredLogarithmicError(Loss):
    """Class form of `mean_squared_logarithmic_error`."""

    fn = staticmethod(regression.mean_squared_logarithmic_error)
    name: str | None = "mean_squared_logarithmic_error"


@loss_class
class CosineSimilarity(Loss):
    """Class form of `cosine_similarity`."""

    fn = staticmethod(regression.cosine_similarity)
    axis: int | tuple[int, ...] = -1
    name: str | None = "cosine_similarity"


@loss_class
class Huber(Loss):
    """Class form of `huber`."""

    fn = staticmethod(regression.huber)
    delta: float = 1.0
    name: str | None = "huber_loss"


@loss_class
class LogCosh(Loss):
    """Class form of `log_cosh`."""

    fn = staticmethod(regression.log_cosh)
    name: str | None = "log_cosh"


@loss_class
class Hinge(Loss):
    """Class form of `hinge`."""

    fn = staticmethod(hinge.hinge)
    name: str | None = "hinge"


@loss_class
class SquaredHinge(Loss):
    """Class form of `squared_hinge`."""

    fn = staticmethod(hinge.squared_hinge)
    name: str | None = "squared_hinge"


@loss_class
class CategoricalHinge(Loss):
    """Class form of `categorical_hinge`."""

    fn = staticmethod(hinge.categorical_hinge)
    name: str | None = "categorical_hinge"


@loss_class
class KLDivergence(Loss):
    """Class form of `kl_divergence`."""

    fn = staticmethod(probabilistic.kl_divergence)
    name: str | None = "kl_divergence"


@loss_class
class Poisson(Loss):
    """Class form of `poisson`."""

    fn = staticmethod(probabilistic.poisson)
    name: str | None = "poisson"


@loss_class
class BinaryCrossentropy(Loss):
    """Class form of `binary_crossentropy`.

    >>> import jaxloss
    >>> bce = jaxloss.BinaryCrossentropy(from_logits=True)
    >>> print(bce([[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]], sample_weight=[0.8, 0.2]))
    0.2436
    """

    fn = staticmethod(probabilistic.binary_crossentropy)
    from_logits: bool = False
    label_smoothing: float = 0.0
    axis: int = -1
    name: str | None = "binary_crossentropy"


@loss_class
class BinaryFocalCrossentropy(Loss):
    """Class form of `binary_focal_crossentropy`."""

    fn = staticmethod(probabilistic.binary_focal_crossentropy)
    apply_class_balancing: bool = False
    alpha: float = 0.25
    gamma: float = 2.0
    from_logits: bool = False
    label_smoothing: float = 0.0
    axis: int = -1
    name: str | None = "binary_focal_crossentropy"


@loss_class
class CategoricalCrossentropy(Loss):
    """Class form of `categorical_crossentropy`."""

    fn = staticmethod(categorical.categorical_crossentropy)
    from_logits: bool = False
    label_smoothing: float = 0.0
    axis: int = -1
    name: str | None = "categorical_crossentropy"


@loss_class
class CategoricalFocalCrossentropy(Loss):
    """Class form of `categorical_focal_crossentropy`. A list `alpha` is stored as a tuple."""

    fn = staticmethod(categorical.categorical_focal_crossentropy)
    alpha: float | Sequence[float] = 0.25
    gamma: float = 2.0
    from_logits: bool = False
    label_smoothing: float = 0.0
    axis: int = -1
    name: str | None = "categorical_focal_crossentropy"


@loss_class
class SparseCategoricalCrossentropy(Loss):
    """Class form of `sparse_categorical_crossentropy`.

    Ignored labels are left out of the mean's denominator:

    >>> import jaxloss
    >>> scce = jaxloss.SparseCategoricalCrossentropy(ignore_class=-1)
    >>> print(scce([1, -1], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]))
    0.0513
    """

    fn = staticmethod(categorical.sparse_categorical_crossentropy)
    from_logits: bool = False
    ignore_class: int | None = None
    axis: int = -1
    name: str | None = "sparse_categorical_crossentropy"


@loss_class
class CategoricalGeneralizedCrossEntropy(Loss):
    """Class form of `categorical_generalized_cross_entropy`."""

    fn = staticmethod(categorical.categorical_generalized_cross_entropy)
    q: float = 0.5
    name: str | None = "categorical_generalized_cross_entropy"


@loss_class
class CTC(Loss):
    """Class form of `ctc`. Pass `label_length=`/`logit_length=` at call time."""

    fn = staticmethod(ctc_lib.ctc)
    blank_index: int = 0
    zero_infinity: bool = False
    name: str | None = "ctc"


@loss_class
class Dice(Loss):
    """Class form of `dice`. A list `axis` is stored as a tuple."""

    fn = staticmethod(segmentation.dice)
    axis: int | tuple[int, ...] | None = None
    name: str | None = "dice"


@loss_class
class Tversky(Loss):
    """Class form of `tversky` (alpha weights false positives, beta false negatives)."""

    fn = staticmethod(segmentation.tversky)
    alpha: float = 0.5
    beta: float = 0.5
    axis: int | tuple[int, ...] | None = None
    name: str | None = "tversky"


@loss_class
class Circle(Loss):
    """Class form of `circle`. Pass `ref_labels=`/`ref_embeddings=` at call time."""

    fn = staticmethod(metric_learning.circle)
    gamma: float = 80.0
    margin: float = 0.4
    remove_diagonal: bool = True
    name: str | None = "circle"


LOSS_CLASSES: tuple[type[Loss], ...] = (
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    Huber,
    LogCosh,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    CTC,
    Dice,
    Tversky,
    Circle,
)
