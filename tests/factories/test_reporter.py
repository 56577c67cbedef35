from __future__ import annotations

from dataclasses import replace

from factories.messages import normalise
from factories.reporter import Reporter, totals_of
from factories.transport import SendResult
from tests.factories import golden as g


class Captured:
    def __init__(self):
        self.batches: list[list[dict]] = []
        self.closed = False

    def send(self, messages):
        self.batches.append(list(messages))
        return SendResult(delivered=len(messages))

    def close(self):
        self.closed = True


def reporter(*transports):
    return Reporter(
        g.VAC_SENDER,
        list(transports),
        capacity=g.VAC_CAPACITY,
        host=lambda: g.VAC_HOST,
        clock=lambda: g.NOW,
    )


ATLAS = replace(g.VAC_MASTER_ATLAS, running_machines=1, running_processors=1, running_hs06=12.5)
RUNNING_MACHINE = replace(g.VAC_PUSHED, state="Running")
FINISHED = g.VAC_FINISHED


def test_a_cycle_sends_the_factory_then_each_machinetype_then_finished_machines():
    out = Captured()
    reporter(out).report([g.VAC_LHCB, ATLAS], [RUNNING_MACHINE, FINISHED])
    types = [m["message_type"] for m in out.batches[0]]
    assert types == ["factory_status", "machinetype_status", "machinetype_status", "machine_status"]
    assert [m.get("machinetype") for m in out.batches[0][1:3]] == ["lhcb", "atlas"]
    assert all(m["num_machinetypes"] == 2 for m in out.batches[0][1:3])
    assert out.batches[0][3]["machine"] == FINISHED.name


def test_every_transport_gets_the_same_batch():
    a, b = Captured(), Captured()
    report = reporter(a, b).report([g.VAC_LHCB])
    assert a.batches == b.batches == [report.messages]
    assert report.total.delivered == 4


def test_a_finished_machine_is_reported_once_only():
    out = Captured()
    rep = reporter(out)
    rep.report([g.VAC_LHCB], [FINISHED])
    rep.report([g.VAC_LHCB], [FINISHED])
    assert [len(b) for b in out.batches] == [3, 2]


def test_a_reused_machine_name_with_a_new_creation_time_is_a_new_machine():
    out = Captured()
    rep = reporter(out)
    rep.report([], [FINISHED])
    rep.report([], [replace(FINISHED, created_time=FINISHED.created_time + 86400)])
    assert [len(b) for b in out.batches] == [2, 2]


def test_factory_totals_default_to_the_sum_over_machinetypes():
    totals = totals_of([g.VAC_LHCB, ATLAS])
    assert (totals.processors, totals.machines, totals.hs06) == (2, 2, 25.0)
    out = Captured()
    reporter(out).report([g.VAC_LHCB, ATLAS])
    factory = out.batches[0][0]
    assert (factory["running_processors"], factory["running_hs06"]) == (2, 25.0)


def test_every_message_of_a_cycle_passes_the_servers_parser():
    out = Captured()
    reporter(out).report([g.VAC_LHCB, ATLAS], [FINISHED])
    for message in out.batches[0]:
        assert normalise(message, received=g.NOW).site == g.MAN


def test_close_closes_the_transports():
    out = Captured()
    reporter(out).close()
    assert out.closed
