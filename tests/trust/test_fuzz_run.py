"""The CI-sized fuzz run: 20,000 random and mutated datagrams through Parser.parse."""

from __future__ import annotations

from fuzz.datagrams import run


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
