"""Wide chart sums add their parts with math.fsum, as the embedded store does, so the
order in which composite pages and rollup documents arrive cannot change a chart."""

from __future__ import annotations

import itertools
from typing import Any

from vacmon.store.es import rollups, wide

# Three sender averages whose plain left-to-right sum depends on their order.
AVERAGES = (1e16, 1.0, -1e16)


def sender_page(values: tuple[float, ...]) -> dict[str, Any]:
    """One composite page: one sender per value, each with one sample in the bucket at 600 s."""
    return {
        "aggregations": {
            "entities": {
                "buckets": [
                    {
                        "key": {"factory": f"f{i}", "site": "S"},
                        "t": {
                            "buckets": [
                                {
                                    "key": 600_000,
                                    "n_running_processors": {"value": 1},
                                    "sum_running_processors": {"value": value},
                                }
                            ]
                        },
                    }
                    for i, value in enumerate(values)
                ]
            }
        }
    }


def read_page(values: tuple[float, ...]) -> dict[str, Any]:
    """One rollup read page: the group's sum for the bucket at 600 s, one document each."""
    return {
        "aggregations": {
            "groups": {
                "buckets": [
                    {
                        "key": {"g": "S", "b": 600},
                        "n_running_processors": {"value": 1},
                        "s_running_processors": {"value": value},
                    }
                    for value in values
                ]
            }
        }
    }


def test_sender_averages_sum_to_the_same_total_in_every_order() -> None:
    totals = set()
    for order in itertools.permutations(AVERAGES):
        sums: rollups.Sums = {"running_processors": {}}
        wide.add_sender_page(sums, ["running_processors"], "site", sender_page(order))
        totals.add(rollups.totals(sums["running_processors"])["S"][600])
    assert totals == {1.0}


def test_rollup_sums_and_newest_sender_averages_add_exactly() -> None:
    sums: rollups.Sums = {"running_processors": {}}
    rollups.add_read_page(sums, ["running_processors"], read_page((1e16,)))
    wide.add_sender_page(sums, ["running_processors"], "site", sender_page((1.0, -1e16)))
    assert rollups.totals(sums["running_processors"]) == {"S": {600: 1.0}}
