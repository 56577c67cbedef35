"""The API's chart reads: one series from the store, carried forward and gapped (see
`vacmon.store.series`)."""

from __future__ import annotations

from django.conf import settings

from vacmon.store import ChartQuery, Scope, Series, get_store


def series(
    message_type: str,
    metric: str,
    *,
    group_by: str,
    since: int,
    until: int,
    interval: int,
    scope: Scope = Scope(),
) -> Series:
    query = ChartQuery(
        message_type,
        (metric,),
        group_by=group_by,
        since=since,
        until=until,
        interval=interval,
        scope=scope,
        stale_seconds=settings.VACMON_STALE_SECONDS,
    )
    return get_store().chart(query)[metric]
