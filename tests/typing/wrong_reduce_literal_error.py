"""Must fail type checking: `reduce`'s reduction is a Reduction literal."""

import jaxloss

mean = jaxloss.reduce(jaxloss.huber, "average")
