"""Where a walk over composite aggregation pages ends.

Elasticsearch returns an `after_key` with every page that holds a bucket, the last one
included, so following it costs one more search to hear an empty page. A composite page
holds `size` buckets unless the aggregation ran out of them, so a page that came back short
was the last: its `after_key` is dropped here, before any parser sees it. On a dashboard
page that is a third of the searches (every walk ends on its first page there).

Every filter path the backend asks with keeps `buckets.key`, so the buckets of a page can
still be counted in the cut-down answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The page size Elasticsearch uses when a composite aggregation names none.
DEFAULT_SIZE = 10


def end_short_pages(request: Mapping[str, Any], answer: Any) -> Any:
    """`answer` without the `after_key` of each composite aggregation of `request` whose
    page came back with fewer buckets than it asked for."""
    aggs = request.get("aggs") or request.get("aggregations") or {}
    found = answer.get("aggregations") if isinstance(answer, dict) else None
    if not isinstance(found, dict):
        return answer
    for name, spec in aggs.items():
        composite = spec.get("composite") if isinstance(spec, Mapping) else None
        page = found.get(name)
        if composite is None or not isinstance(page, dict):
            continue
        if len(page.get("buckets") or ()) < int(composite.get("size", DEFAULT_SIZE)):
            page.pop("after_key", None)
    return answer
