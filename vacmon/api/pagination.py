"""Cursor pagination of every list endpoint: `?limit=` up to a maximum, opaque `next` and
`previous` links. A cursor names a position in a fixed order, so pages do not shift when
rows are added meanwhile, and no page costs more than `limit` rows."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

T = TypeVar("T")

PAGE_PARAMS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="items a page, at most 1000"),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="from the previous page's next"),
]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class ListCursor(CursorPagination):
    page_size = DEFAULT_LIMIT
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    # The primary key orders every table and never changes: cursors stay valid.
    ordering = "id"


def page_limit(request: Request) -> int:
    raw = request.query_params.get("limit", str(DEFAULT_LIMIT))
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationError({"limit": f"a whole number from 1 to {MAX_LIMIT}"})
    return int(raw)


def encode_cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def decode_cursor(raw: str) -> list[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
    except (ValueError, UnicodeError):
        raise ValidationError({"cursor": "not a cursor this API handed out"}) from None
    if not isinstance(key, list):
        raise ValidationError({"cursor": "not a cursor this API handed out"})
    return key


def paginate_items(
    request: Request, items: Iterable[T], key: Callable[[T], Sequence[Any]]
) -> dict[str, Any]:
    """One page of a list a view built itself (store answers): the same `limit`, `cursor`
    and `next` as the table lists. Items are ordered by `key`, which must be unique."""
    limit = page_limit(request)
    ordered = sorted(items, key=lambda item: list(key(item)))
    raw = request.query_params.get("cursor")
    if raw:
        after = decode_cursor(raw)
        try:
            ordered = [i for i in ordered if list(key(i)) > after]
        except TypeError:
            raise ValidationError({"cursor": "not a cursor of this list"}) from None
    page = ordered[:limit]
    following = None
    if len(ordered) > limit:
        url = request.build_absolute_uri()
        following = replace_query_param(url, "cursor", encode_cursor(key(page[-1])))
    return {"next": following, "results": page}


def page_schema(name: str, item: serializers.BaseSerializer) -> serializers.Serializer:  # type: ignore[type-arg]
    """The OpenAPI shape of one page of `item`s, as paginate_items answers."""
    return inline_serializer(  # type: ignore[no-any-return]
        name=name,
        fields={"next": serializers.URLField(allow_null=True), "results": item},
    )
