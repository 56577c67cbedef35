"""Reads made together (`Store.together`): the same answers as made one by one, on every
backend, and a read's exception raised."""

from __future__ import annotations

import pytest

from tests.builders import factory_status, machine_status, machinetype_status
from vacmon.store import ChartQuery, Scope

T0 = 1_700_000_000 - 1_700_000_000 % 3600

pytestmark = pytest.mark.django_db(transaction=False)


def fleet() -> list:
    out = []
    for f in range(3):
        name = f"f{f}.example.ac.uk"
        for k in range(6):
            at = T0 + 600 * k + f
            out.append(factory_status(received=at, factory=name, running_processors=f + k))
            out.append(machinetype_status(received=at, factory=name, running_processors=k))
            out.append(machine_status(received=at, factory=name, machine=f"vm{f}-{k}.example"))
    return out


def reads(store) -> list:
    chart = ChartQuery(
        "factory_status",
        ("running_processors",),
        group_by="factory",
        since=T0,
        until=T0 + 3600,
        interval=600,
        stale_seconds=3600,
    )
    return [
        lambda: store.latest("factory_status", since=T0 - 1),
        lambda: store.latest("machinetype_status", since=T0 - 1, fields=("running_processors",)),
        lambda: store.history("machine_status", since=T0, until=T0 + 3600, limit=7),
        lambda: store.chart(chart),
        lambda: store.factories(since=T0 - 1),
        lambda: store.machinetypes(since=T0 - 1),
        lambda: store.latest("factory_status", since=T0 - 1, scope=Scope(site="NO-SUCH-SITE")),
    ]


def test_reads_made_together_answer_as_each_made_alone(store):
    store.write(fleet())
    alone = [read() for read in reads(store)]

    together = store.together(reads(store))

    assert together == alone
    assert all(together[:6])  # every read found something, but the one of no site


def test_reads_made_together_inside_reads_made_together_answer_as_alone(store):
    store.write(fleet())
    first, second, *rest = reads(store)
    alone = [first(), second(), *(read() for read in rest)]

    found = store.together([lambda: store.together([first, second]), *rest])

    assert [*found[0], *found[1:]] == alone


def test_the_exception_a_read_raises_is_raised(store):
    store.write(fleet())

    def refused() -> None:
        store.chart(ChartQuery("factory_status", ("no_such_metric",), "site", T0, T0, 60))

    with pytest.raises(ValueError, match="no_such_metric"):
        store.together([lambda: store.latest("factory_status", since=T0 - 1), refused])


def test_no_reads_together_is_no_answers(store):
    assert store.together([]) == []
