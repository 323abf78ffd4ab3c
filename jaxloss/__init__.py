"""jaxloss: every Keras 3 loss as a pure JAX function, with the same numbers.

Per-sample functions take `(y_true, y_pred, *, **config)` and return the
per-sample loss; `reduce` turns any of them into a weighted, masked, reduced
loss; the loss classes are frozen static dataclasses built on `reduce`.

Each loss family module declares its functions and classes and lists them in
its `__all__`; this package re-exports them, so adding a loss never touches
this file.
"""

from importlib.metadata import PackageNotFoundError, version

from jaxloss._src import categorical as _categorical
from jaxloss._src import contrastive as _contrastive
from jaxloss._src import ctc as _ctc
from jaxloss._src import fenchel_young as _fenchel_young
from jaxloss._src import hinge as _hinge
from jaxloss._src import linear as _linear
from jaxloss._src import metric_learning as _metric_learning
from jaxloss._src import probabilistic as _probabilistic
from jaxloss._src import regression as _regression
from jaxloss._src import segmentation as _segmentation
from jaxloss._src.categorical import *  # noqa: F403
from jaxloss._src.checked import checked as checked
from jaxloss._src.classes import Loss as Loss
from jaxloss._src.contrastive import *  # noqa: F403
from jaxloss._src.ctc import *  # noqa: F403
from jaxloss._src.fenchel_young import *  # noqa: F403
from jaxloss._src.hinge import *  # noqa: F403
from jaxloss._src.linear import *  # noqa: F403
from jaxloss._src.metric_learning import *  # noqa: F403
from jaxloss._src.probabilistic import *  # noqa: F403
from jaxloss._src.reduce import LossWithMask as LossWithMask
from jaxloss._src.reduce import Reduction as Reduction
from jaxloss._src.reduce import reduce as reduce
from jaxloss._src.reduce import returns_mask as returns_mask
from jaxloss._src.registry import deserialize as deserialize
from jaxloss._src.registry import get as get
from jaxloss._src.registry import serialize as serialize
from jaxloss._src.regression import *  # noqa: F403
from jaxloss._src.segmentation import *  # noqa: F403

try:
    __version__ = version("jaxloss")
except PackageNotFoundError:  # Imported from a source tree that was never installed.
    __version__ = "0+unknown"

__all__ = [
    "Loss",
    "LossWithMask",
    "Reduction",
    "checked",
    "deserialize",
    "get",
    "reduce",
    "returns_mask",
    "serialize",
]
__all__ += _regression.__all__
__all__ += _hinge.__all__
__all__ += _probabilistic.__all__
__all__ += _categorical.__all__
__all__ += _segmentation.__all__
__all__ += _metric_learning.__all__
__all__ += _ctc.__all__
__all__ += _contrastive.__all__
__all__ += _fenchel_young.__all__
__all__ += _linear.__all__
