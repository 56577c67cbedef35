"""Chart series from the store, with carry-forward and gaps (see vacmon.store.series)."""

from __future__ import annotations

from django.conf import settings

from vacmon.store import Scope, Series, get_store
from vacmon.store.series import combine


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
    stale = settings.VACMON_STALE_SECONDS
    entities = get_store().entity_buckets(
        message_type,
        metric,
        group_by=group_by,
        since=since,
        until=until,
        interval=interval,
        scope=scope,
        lookback=stale,
    )
    return combine(entities, since=since, until=until, interval=interval, stale_seconds=stale)
