"""The one place that knows where status data lives.

`get_store()` picks the backend from settings on first use, never at import, so tests and
management commands can change settings before anything connects.
"""

from __future__ import annotations

from django.conf import settings

from vacmon.store.base import (
    ChartQuery,
    Charts,
    FactoryRef,
    MachinetypeRef,
    Reader,
    Scope,
    Series,
    Store,
    Writer,
    WriteResult,
)

_store: Store | None = None


def get_store() -> Store:
    global _store
    if _store is None:
        _store = _make_store()
    return _store


def reset_store() -> None:
    """Forget the chosen backend (tests and settings changes)."""
    global _store
    _store = None


def _make_store() -> Store:
    if settings.ELASTICSEARCH_URL:
        from vacmon.store.elasticsearch import ElasticsearchStore

        return ElasticsearchStore.from_settings()
    from vacmon.store.embedded import EmbeddedStore

    return EmbeddedStore()


__all__ = [
    "ChartQuery",
    "Charts",
    "FactoryRef",
    "MachinetypeRef",
    "Reader",
    "Scope",
    "Series",
    "Store",
    "WriteResult",
    "Writer",
    "get_store",
    "reset_store",
]
