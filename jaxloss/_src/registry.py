"""String and dict identifiers: `get`, `serialize`, `deserialize` (Keras-compatible)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jaxloss._src import categorical, ctc, hinge, metric_learning, probabilistic, regression, segmentation
from jaxloss._src.classes import LOSS_CLASSES, Loss

LOSS_FUNCTIONS: tuple[Callable[..., Any], ...] = (
    regression.mean_squared_error,
    regression.mean_absolute_error,
    regression.mean_absolute_percentage_error,
    regression.mean_squared_logarithmic_error,
    regression.cosine_similarity,
    regression.huber,
    regression.log_cosh,
    hinge.hinge,
    hinge.squared_hinge,
    hinge.categorical_hinge,
    probabilistic.kl_divergence,
    probabilistic.poisson,
    probabilistic.binary_crossentropy,
    probabilistic.binary_focal_crossentropy,
    categorical.categorical_crossentropy,
    categorical.categorical_focal_crossentropy,
    categorical.sparse_categorical_crossentropy,
    categorical.categorical_generalized_cross_entropy,
    ctc.ctc,
    segmentation.dice,
    segmentation.tversky,
    metric_learning.circle,
)

_CLASSES: dict[str, type[Loss]] = {cls.__name__: cls for cls in LOSS_CLASSES}
_FUNCTIONS: dict[str, Callable[..., Any]] = {fn.__name__: fn for fn in LOSS_FUNCTIONS}
_ALIASES: dict[str, Callable[..., Any]] = {
    alias: _FUNCTIONS[name]
    for name, aliases in {
        "mean_squared_error": ("mse", "MSE"),
        "mean_absolute_error": ("mae", "MAE"),
        "mean_absolute_percentage_error": ("mape", "MAPE"),
        "mean_squared_logarithmic_error": ("msle", "MSLE"),
        "kl_divergence": ("kld", "KLD"),
        "binary_crossentropy": ("bce", "BCE"),
    }.items()
    for alias in aliases
}
_FUNCTION_NAMES: dict[Any, str] = {fn: name for name, fn in _FUNCTIONS.items()}


def get(identifier: Any) -> Any:
    """Returns a loss from an identifier, as `keras.losses.get` does.

    Args:
        identifier: `None`; a class name (returns an instance with default
            config); a function name or alias (`"mse"`, `"bce"`, ...; returns
            the function); a `{"class_name", "config"}` dict; or a callable,
            returned as is.

    Returns:
        A `Loss` instance, a per-sample function, or `None`.

    Raises:
        ValueError: for an unknown identifier.

    Example:
        >>> import jaxloss
        >>> jaxloss.get("mse") is jaxloss.mean_squared_error
        True
        >>> jaxloss.get("Huber")
        Huber(reduction='sum_over_batch_size', name='huber_loss', dtype=None, axis_name=None, delta=1.0)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        if identifier in _FUNCTIONS:
            return _FUNCTIONS[identifier]
        if identifier in _ALIASES:
            return _ALIASES[identifier]
        raise ValueError(
            f"Could not interpret loss identifier: {identifier!r}. Expected a loss class name, "
            f"a function name or one of the aliases {sorted(_ALIASES)}."
        )
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r} (of type {type(identifier).__name__}).")


def serialize(loss: Any) -> dict[str, Any]:
    """Serializes a loss class instance or a built-in loss function to a dict.

    The format is Keras's: `{"module", "class_name", "config", "registered_name"}`;
    a class's `config` holds every field (Keras drops some, such as Huber's `delta`).

    Example:
        >>> import jaxloss
        >>> jaxloss.serialize(jaxloss.mean_squared_error)["config"]
        'mean_squared_error'
    """
    if isinstance(loss, Loss):
        return {"module": "jaxloss", "class_name": type(loss).__name__, "config": loss.get_config(), "registered_name": None}
    if loss in _FUNCTION_NAMES:
        return {"module": "builtins", "class_name": "function", "config": _FUNCTION_NAMES[loss], "registered_name": "function"}
    raise ValueError(f"Cannot serialize {loss!r}: expected a jaxloss.Loss instance or a built-in loss function.")


def deserialize(config: Any) -> Any:
    """Inverse of `serialize`; also reads Keras's own loss dicts and identifier strings.

    Example:
        >>> import jaxloss
        >>> loss = jaxloss.Huber(delta=0.5)
        >>> jaxloss.deserialize(jaxloss.serialize(loss)) == loss
        True
    """
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a dict with 'class_name' and 'config' keys. Received: {config!r}")
    class_name = config["class_name"]
    if class_name == "function":
        return get(config["config"])
    if class_name not in _CLASSES:
        raise ValueError(f"Could not interpret loss class_name: {class_name!r}. Expected one of {sorted(_CLASSES)}.")
    return _CLASSES[class_name].from_config(dict(config.get("config") or {}))
