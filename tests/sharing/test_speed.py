"""Decisions per second: one object against twelve tenants (decide_all), as the publish path runs.

Prints the rate (``pytest -s``); fails only if it is pathologically slow, so a loaded CI
machine does not make it flaky.
"""

from __future__ import annotations

import timeit

from hub.sharing.context import object_context
from hub.sharing.engine import decide_all
from hub.sharing.floor import Party
from tests.sharing.helpers import NOW, example_policies, parties, party, sdo

TWELVE = [
    *parties().values(),
    Party(99, "bf-cellule", "national-cell", frozenset({"sahel", "african-union"}), None),
]


def _rate(publisher: str, obj: dict[str, object]) -> float:
    pol = example_policies()[publisher]
    c = object_context(obj, collection="shared-exchange", now=NOW)
    pub = party(publisher)
    decide_all(obj, c, pol, pub, TWELVE)
    runs = 300
    best = min(timeit.repeat(lambda: decide_all(obj, c, pol, pub, TWELVE), number=runs, repeat=3))
    return runs * len(TWELVE) / best


def test_decisions_per_second() -> None:
    assert len(TWELVE) == 12
    cases = {
        "AMBER indicator with a RED field": (
            "ml-cnlt",
            sdo(publisher="ml-cnlt", granular={"red": ["description"]}, red_for=("ne-cclt",)),
        ),
        "GREEN indicator, 11 rules": ("ng-nctc", sdo(publisher="ng-nctc", tlp="green")),
        "CLEAR indicator": ("ml-cnlt", sdo(publisher="ml-cnlt", tlp="clear")),
    }
    for name, (publisher, obj) in cases.items():
        rate = _rate(publisher, obj)
        print(f"\n{name}: {rate:,.0f} decisions/s ({1e6 / rate:.1f} µs per decision)")
        assert rate > 5_000
