"""`combine` against a plain bucket-by-bucket statement of its rules, on random senders."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from vacmon.store.base import EntityBuckets
from vacmon.store.series import bucket_starts, combine

SINCE, INTERVAL = 1_700_000_040, 60
UNTIL = SINCE + 40 * INTERVAL - 1


def by_the_rules(entities, stale):
    """Every bucket in turn: the sender's own average, else its last one while fresh; the
    group's value is the exact sum of its senders' (rounded once, whatever their order)."""
    times = bucket_starts(SINCE, UNTIL, INTERVAL)
    parts: dict[str, list[list[float]]] = {}
    for e in entities:
        row = parts.setdefault(e.group, [[] for _ in times])
        last = e.last_before
        for i, start in enumerate(times):
            value = e.averages.get(start)
            if value is not None:
                last = (start + INTERVAL - 1, value)
            elif last is None or start - last[0] > stale:
                continue
            else:
                value = last[1]
            row[i].append(value)
    rows = {g: [math.fsum(c) if c else None for c in row] for g, row in parts.items()}
    return dict(sorted(rows.items()))


bucket = st.integers(min_value=0, max_value=39).map(
    lambda i: SINCE - SINCE % INTERVAL + i * INTERVAL
)
sender = st.builds(
    EntityBuckets,
    group=st.sampled_from(["a", "b"]),
    entity=st.tuples(st.text(max_size=3)),
    averages=st.dictionaries(bucket, st.floats(0, 1e6, allow_nan=False), max_size=12),
    last_before=st.one_of(
        st.none(),
        st.tuples(st.integers(SINCE - 2000, SINCE - 1), st.floats(0, 1e6, allow_nan=False)),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(sender, max_size=8), st.sampled_from([0, 59, 60, 300, 600, 10_000]))
def test_combine_carries_and_gaps_exactly_as_its_rules_say(entities, stale):
    got = combine(entities, since=SINCE, until=UNTIL, interval=INTERVAL, stale_seconds=stale)
    assert got.values == by_the_rules(entities, stale)
