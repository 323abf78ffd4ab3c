"""Must fail type checking: `delt` is not a field of Huber."""

import jaxloss

loss = jaxloss.Huber(delt=0.5)
