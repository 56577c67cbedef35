"""The CI-sized fuzz run: 20,000 random and mutated datagrams through Parser.parse."""

from __future__ import annotations

import pytest

from tests.fuzz.datagrams import run
from tests.fuzz.stages import StoreAndPages


def test_twenty_thousand_fuzzed_datagrams_cause_no_crash():
    report = run(20_000, seed=7)
    crashes = "\n".join(trace for trace, _ in report.crashes)
    assert report.crash_total == 0, crashes
    assert sum(report.outcomes.values()) == 20_000
    # The run reached every stage: accepted (trusted and not), duplicates, and refusals by
    # the decoder, the validator and the trust policy.
    for outcome in (
        "accepted:trusted",
        "accepted:untrusted",
        "duplicate",
        "rejected:not_json",
        "rejected:wrong_type",
        "rejected:unsigned",
        "rejected:bad_signature",
        "rejected:source_not_allowed",
    ):
        assert report.outcomes[outcome] > 0, outcome


@pytest.mark.django_db
def test_fuzzed_datagrams_through_the_store_and_every_page_cause_no_crash_or_5xx():
    stages = StoreAndPages(pages_every=2_500, prepare=False)
    report = run(5_000, seed=11, stages=stages)
    assert report.crash_total == 0
    found = stages.report
    assert not found.failed, (found.crashes[:3], found.server_errors, found.stalls)
    # The run stored messages and read pages for them, and for rows past the parse bounds.
    assert found.written > 500 and found.pages > 300
    assert found.statuses["2xx"] > 0 and found.statuses["4xx"] > 0
