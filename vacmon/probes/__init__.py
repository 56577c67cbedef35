"""Django glue of the probe core (probes/): configuration, scheduling, storage,
publication, A/R, API and pages.

    definitions   DB probe definitions -> the core's ProbeDefinition and plugin commands
    targets       what each definition runs against (store discovery, topology endpoints)
    inputs        store messages -> the built-in probes' plain inputs
    runner        run one target, store its results with lateness, queue them for the broker
    dispatch      the beat tick: due targets by the core Scheduler, one task per target
    outbox        claim, send and delete queued messages; the STOMP edge
    availability  timelines and daily/period A/R from stored results
    stats         lateness percentiles and concurrency of recent runs
"""

from __future__ import annotations
