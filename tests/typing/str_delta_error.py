"""Must fail type checking: `delta` is a float, not a str."""

import jaxloss

loss = jaxloss.Huber(delta="0.5")
