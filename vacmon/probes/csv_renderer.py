"""`?format=csv` for the probe API: the rows of a list answer as CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer


def _cell(value: Any) -> Any:
    # Nested values (perfdata) stay machine-readable inside one cell.
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


class CSVRenderer(BaseRenderer):  # type: ignore[misc]
    """Renders `{"results": [...]}` (or a bare list) with one column per key of the rows;
    anything else, such as an error, becomes a one-row table."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        rows = data.get("results", [data]) if isinstance(data, dict) else list(data or [])
        columns: list[str] = []
        for row in rows:
            columns.extend(key for key in row if key not in columns)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _cell(value) for key, value in row.items()})
        return out.getvalue().encode("utf-8")
