"""JSON value types shared by the builders, the validator and the publication decision."""

from __future__ import annotations

import json
from typing import TypeAlias

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = "dict[str, JsonValue]"


def to_json_bytes(document: JsonValue) -> bytes:
    """The bytes to serve: UTF-8, key order kept (CRR rule 1 wants `computingresources`
    first), and NaN/Infinity refused because they are not JSON.

    Raises ValueError (non-finite number) or TypeError (a value JSON cannot hold).
    """
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False).encode() + b"\n"
