"""JSON for the API that never fails on a stored number.

Stored rows may hold huge finite floats (two `running_hs06` of 1.7e308 sum to infinity) and
DRF's JSON renderer refuses infinity and NaN, as strict JSON must. So a value JSON cannot
hold is rendered as null, which is also what the API means by "no figure".
"""

from __future__ import annotations

import math
from typing import Any

from rest_framework.renderers import JSONRenderer


def finite(data: Any) -> Any:
    """`data` with every non-finite float replaced by None."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v) for v in data]
    return data


class FiniteJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except ValueError:
            # Only on the rare answer that holds one: walking every answer would cost
            # every request.
            return super().render(finite(data), accepted_media_type, renderer_context)
