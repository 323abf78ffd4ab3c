"""jaxloss: every Keras 3 loss as a pure JAX function, with the same numbers.

Per-sample functions take `(y_true, y_pred, *, **config)` and return the
per-sample loss; `reduce` turns any of them into a weighted, masked, reduced
loss; the loss classes are frozen static dataclasses built on `reduce`.
"""

from jaxloss._src.categorical import categorical_crossentropy as categorical_crossentropy
from jaxloss._src.categorical import categorical_focal_crossentropy as categorical_focal_crossentropy
from jaxloss._src.categorical import categorical_generalized_cross_entropy as categorical_generalized_cross_entropy
from jaxloss._src.categorical import sparse_categorical_crossentropy as sparse_categorical_crossentropy
from jaxloss._src.checked import checked as checked
from jaxloss._src.classes import CTC as CTC
from jaxloss._src.classes import BinaryCrossentropy as BinaryCrossentropy
from jaxloss._src.classes import BinaryFocalCrossentropy as BinaryFocalCrossentropy
from jaxloss._src.classes import CategoricalCrossentropy as CategoricalCrossentropy
from jaxloss._src.classes import CategoricalFocalCrossentropy as CategoricalFocalCrossentropy
from jaxloss._src.classes import CategoricalGeneralizedCrossEntropy as CategoricalGeneralizedCrossEntropy
from jaxloss._src.classes import CategoricalHinge as CategoricalHinge
from jaxloss._src.classes import Circle as Circle
from jaxloss._src.classes import CosineSimilarity as CosineSimilarity
from jaxloss._src.classes import Dice as Dice
from jaxloss._src.classes import Hinge as Hinge
from jaxloss._src.classes import Huber as Huber
from jaxloss._src.classes import KLDivergence as KLDivergence
from jaxloss._src.classes import LogCosh as LogCosh
from jaxloss._src.classes import Loss as Loss
from jaxloss._src.classes import MeanAbsoluteError as MeanAbsoluteError
from jaxloss._src.classes import MeanAbsolutePercentageError as MeanAbsolutePercentageError
from jaxloss._src.classes import MeanSquaredError as MeanSquaredError
from jaxloss._src.classes import MeanSquaredLogarithmicError as MeanSquaredLogarithmicError
from jaxloss._src.classes import Poisson as Poisson
from jaxloss._src.classes import SparseCategoricalCrossentropy as SparseCategoricalCrossentropy
from jaxloss._src.classes import SquaredHinge as SquaredHinge
from jaxloss._src.classes import Tversky as Tversky
from jaxloss._src.classes import loss_class as loss_class
from jaxloss._src.ctc import ctc as ctc
from jaxloss._src.hinge import categorical_hinge as categorical_hinge
from jaxloss._src.hinge import hinge as hinge
from jaxloss._src.hinge import squared_hinge as squared_hinge
from jaxloss._src.metric_learning import circle as circle
from jaxloss._src.probabilistic import binary_crossentropy as binary_crossentropy
from jaxloss._src.probabilistic import binary_focal_crossentropy as binary_focal_crossentropy
from jaxloss._src.probabilistic import kl_divergence as kl_divergence
from jaxloss._src.probabilistic import poisson as poisson
from jaxloss._src.reduce import LossWithMask as LossWithMask
from jaxloss._src.reduce import reduce as reduce
from jaxloss._src.reduce import returns_mask as returns_mask
from jaxloss._src.registry import deserialize as deserialize
from jaxloss._src.registry import get as get
from jaxloss._src.registry import serialize as serialize
from jaxloss._src.regression import cosine_similarity as cosine_similarity
from jaxloss._src.regression import huber as huber
from jaxloss._src.regression import log_cosh as log_cosh
from jaxloss._src.regression import mean_absolute_error as mean_absolute_error
from jaxloss._src.regression import mean_absolute_percentage_error as mean_absolute_percentage_error
from jaxloss._src.regression import mean_squared_error as mean_squared_error
from jaxloss._src.regression import mean_squared_logarithmic_error as mean_squared_logarithmic_error
from jaxloss._src.segmentation import dice as dice
from jaxloss._src.segmentation import tversky as tversky

__version__ = "0.1.0"

__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CTC",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossWithMask",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "checked",
    "circle",
    "cosine_similarity",
    "ctc",
    "deserialize",
    "dice",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "loss_class",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "reduce",
    "returns_mask",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]
