"""Cursor pagination of every list endpoint: `?limit=` up to a maximum, opaque `next` and
`previous` links. A cursor names a position in a fixed order, so pages do not shift when
rows are added meanwhile, and no page costs more than `limit` rows."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class ListCursor(CursorPagination):
    page_size = DEFAULT_LIMIT
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    # The primary key orders every table and never changes: cursors stay valid.
    ordering = "id"
