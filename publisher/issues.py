"""Validation findings: what is wrong, where (a JSONPath), and under which rule."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Rule(StrEnum):
    """Rule families. Schema keywords keep their JSON Schema names; the integrity rules
    are numbered as in spec crr-etf-sam 1.3."""

    JSON = "json"
    MISSING = "missing"
    NOT_FINITE = "finite-number"
    TYPE = "type"
    REQUIRED = "required"
    ENUM = "enum"
    CONST = "const"
    PATTERN = "pattern"
    ADDITIONAL_PROPERTIES = "additionalProperties"
    FIRST_KEY = "integrity-1-first-key"
    DUPLICATE_RESOURCE = "integrity-2-duplicate-resource"
    DUPLICATE_IN_RESOURCE = "integrity-3-duplicate-in-resource"
    VO_NOT_AT_RESOURCE = "integrity-4-share-vo-not-in-resource"
    UNKNOWN_SHARE = "integrity-5-unknown-share"
    DUPLICATE_KEY = "duplicate-key"


@dataclass(frozen=True, order=True)
class ValidationIssue:
    """One finding. `rule` is a Rule value, or the JSON Schema keyword for any other."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.rule}]"


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def json_path(parts: Iterable[str | int]) -> str:
    """`("computingresources", "vac01.example.ac.uk", "os")` ->
    `$.computingresources['vac01.example.ac.uk'].os` (bracket notation for any key that
    is not a plain name, since resource ids are host names)."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_NAME.match(part):
            text += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            text += f"['{escaped}']"
    return text
