"""Hypothesis profiles: a fast default, and `--hypothesis-profile=long` for long property runs."""

from hypothesis import settings

settings.register_profile("default", max_examples=3, deadline=None, derandomize=True)
settings.register_profile("long", max_examples=100, deadline=None)
settings.load_profile("default")

# Type-checking fixtures (some must not even run); `.ci/typecheck` checks them.
collect_ignore_glob = ["typing/*"]
