"""Must fail type checking: "avg" is not a Reduction."""

import jaxloss

loss = jaxloss.MeanSquaredError(reduction="avg")
