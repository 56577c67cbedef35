"""What the I/O of VacMon's two side indices (rollups, latest state) shares: how they read
the raw streams they are built from, and how each is created."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from elasticsearch import ApiError, Elasticsearch

# search(message_type, body, filter_path) -> answer body: the store's read of one raw
# data stream (an empty answer when it does not exist yet).
SearchRaw = Callable[[str, dict[str, Any], list[str] | None], Any]


def create(client: Elasticsearch, index: str, template: dict[str, Any]) -> bool:
    """Install the index's template (an idempotent PUT) and create the index; return whether
    this call created it (False if it already existed)."""
    client.indices.put_index_template(name=index, **template)
    try:
        client.indices.create(index=index)
    except ApiError as exc:
        if "resource_already_exists_exception" not in str(exc.body):
            raise
        return False
    return True
