"""Private implementation of jaxloss. Import public names from `jaxloss`."""
