"""Never less exact than a peer: every loss, value and gradient, in float32 against float64.

For every entry and regime of `tests/precision_cases.py` (typical, large-logit, tiny-probability,
near-equal and large-magnitude inputs), jaxloss's float32 mean loss and gradient are compared with its
own float64 evaluation, and optax's, Keras's and torch's with theirs (stored by
`tools/precision_references.py` in `tests/data/precision_peers.json`, replayed here without those
packages). jaxloss's error must be at most twice the best peer's, or within the rounding floor (about 32
float32 ulps). The table is in docs/precision.md.
"""

from __future__ import annotations

import json
import math
import pathlib

import pytest

from tests.precision_cases import ENTRIES, FLOOR, inputs, jax_errors

PEERS = json.loads((pathlib.Path(__file__).parent / "data" / "precision_peers.json").read_text())["errors"]
CASES = [(entry, regime) for entry in ENTRIES for regime in entry.regimes]
# The default run takes one regime per entry, in turn over the entries (every regime is met); the rest are
# `slow` (CI runs them).
DEFAULT = {(entry.name, entry.regimes[i % len(entry.regimes)]) for i, entry in enumerate(ENTRIES)}
PARAMS = [
    pytest.param(entry, regime, marks=() if (entry.name, regime) in DEFAULT else pytest.mark.slow)
    for entry, regime in CASES
]


def test_every_entry_and_regime_has_a_peer_with_float64():
    for entry, regime in CASES:
        stored = PEERS[entry.name][regime]
        assert any(errors is not None for errors in stored.values()), (entry.name, regime)
    assert {regime for _, regime in CASES} == {
        "typical",
        "large-logit",
        "tiny-probability",
        "near-equal",
        "large-magnitude",
    }


def test_every_loss_of_the_case_table_is_compared():
    from jaxloss._src.classes import LOSSES

    names = {entry.name.split("(")[0] for entry in ENTRIES}
    assert {cls.fn.__name__ for cls in LOSSES} <= names


@pytest.mark.parametrize("entry, regime", PARAMS, ids=[f"{e.name}-{r}" for e, r in CASES])
def test_float32_error_is_at_most_twice_the_best_peer(entry, regime):
    ours = jax_errors(entry.ours, inputs(entry.kind, regime))
    peers = {peer: errors for peer, errors in PEERS[entry.name][regime].items() if errors is not None}
    for i, what in enumerate(("value", "gradient")):
        finite = [errors[i] for errors in peers.values() if math.isfinite(errors[i])]
        best = min(finite) if finite else math.inf
        allowed = max(2 * best, FLOOR) if finite else 1e-3  # every peer overflows or gives NaN: be close
        assert ours[i] <= allowed, f"{what}: jaxloss {ours[i]:.2e}, best peer {best:.2e} ({peers})"


def test_the_docs_table_has_every_entry_and_regime():
    doc = (pathlib.Path(__file__).parents[1] / "docs" / "precision.md").read_text()
    for entry, regime in CASES:
        assert f"| `{entry.name}` | {regime} |" in doc, (entry.name, regime)
