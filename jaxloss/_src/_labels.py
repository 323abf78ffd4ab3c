"""Labels as the losses read them: class ids or dense labels, gathering by id, the class axis, smoothing.

Every loss module that takes labels imports these; none imports another loss
module's private names.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxloss._src import _checks
from jaxloss._src._numerics import as_labels, is_zero, take_last


def are_class_ids(y_true: Any, y_pred: Any) -> bool:
    """Labels with one axis less than the scores: the class-id form of a loss that takes both (integer ids,
    or float ones as Keras's `fit` passes them; one-hot or sign labels have the scores' shape)."""
    labels = y_true if isinstance(y_true, jax.Array) else np.asarray(y_true)  # text stays text, for the error
    numeric = np.issubdtype(labels.dtype, np.integer) or np.issubdtype(labels.dtype, np.floating)
    return numeric and labels.ndim == np.ndim(y_pred) - 1


def sparse_labels(y_true: ArrayLike, y_pred: jax.Array, name: str = "y_pred") -> jax.Array:
    """Integer labels of shape `y_pred.shape[:-1]` (a trailing 1 is squeezed, as in Keras).

    `name` is what the rows are called in the error (`features` for the linear crossentropy).
    """
    labels = as_labels("y_true", y_true)
    if labels.ndim == y_pred.ndim and labels.ndim > 0 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != y_pred.shape[:-1]:
        hint = f"`y_true` must hold one class id per row of `{name}`, i.e. shape `{name}.shape[:-1]`."
        if labels.shape == y_pred.shape and name == "y_pred":  # class scores: labels of their shape are one-hot
            hint = (
                "`y_true` looks one-hot: use `categorical_crossentropy` (`CategoricalCrossentropy`) "
                "for one-hot labels, or pass class ids `jnp.argmax(y_true, axis=-1)`."
            )
        raise ValueError(
            f"`y_true` and `{name}` must have the same shape up until the last dimension. Received: "
            f"y_true.shape={tuple(labels.shape)}, {name}.shape={tuple(y_pred.shape)}. {hint}"
        )
    return labels


def flat_labels(name: str, labels: ArrayLike) -> jax.Array:
    """One integer label per embedding: shape `(N,)`, or `(N, 1)` squeezed."""
    labels = as_labels(name, labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    _checks.check_rank(name, labels, 1, "(one integer label per embedding, shape (N,) or (N, 1))")
    return labels


def clamped(labels: jax.Array, num_classes: int) -> tuple[jax.Array, jax.Array]:
    """The labels clamped into [0, num_classes) (a safe gather index; callers zero the loss where they were
    not), and whether each was in range."""
    return jnp.clip(labels, 0, num_classes - 1), (labels >= 0) & (labels < num_classes)


def pick(values: jax.Array, labels: jax.Array) -> tuple[jax.Array, jax.Array]:
    """values[..., label] by gathering (no one-hot), and whether the label was in range."""
    index, in_range = clamped(labels, values.shape[-1])
    return take_last(values, index), in_range


def check_class_axis(y_pred: jax.Array, axis: Any = -1) -> int:
    """`y_pred` has a class axis `axis`, not empty; returns it as a non-negative int."""
    _checks.check_min_rank("y_pred", y_pred, 1, "(it needs a class axis)", nonempty_last=False)
    return _checks.nonempty_axis("y_pred", y_pred, axis)


def smooth_categorical(y_true: jax.Array, label_smoothing: float, num_classes: int) -> jax.Array:
    """Keras's smoothing of one-hot labels over `num_classes` classes."""
    if is_zero(label_smoothing):
        return y_true
    # K is the size of the class axis (Keras #23437; 3.15.1 took the last axis).
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def smooth_binary(y_true: jax.Array, label_smoothing: float) -> jax.Array:
    """Keras's smoothing of binary labels towards 0.5."""
    if is_zero(label_smoothing):
        return y_true
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
