"""Validate a CRR document: our schema (structure, via `jsonschema`), finite numbers, and
the relational-integrity rules of spec crr-etf-sam 1.3.

`jsonschema` (Draft 7, as the CRR schema declares) checks types, required keys, enums,
const, patterns and closed objects against our own schema in `schema.py`. Its findings
are reported one per problem: one issue per missing key and one per unexpected key, each
with the JSONPath of that key, so a consumer can see every fault of a document at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft7Validator

from publisher.integrity import Path, check_integrity, parse_with_duplicates
from publisher.issues import Rule, ValidationIssue, json_path
from publisher.render import CrrFormat
from publisher.schema import CRR_1_5_SCHEMA, VACMON_2019_SCHEMA

_VALIDATORS = {
    CrrFormat.CRR_1_5: Draft7Validator(CRR_1_5_SCHEMA),
    CrrFormat.VACMON_2019: Draft7Validator(VACMON_2019_SCHEMA),
}


def validate_document(
    document: object, fmt: CrrFormat = CrrFormat.CRR_1_5
) -> list[ValidationIssue]:
    """All findings for a parsed document (empty means valid), sorted by path."""
    issues = [*_schema_issues(document, fmt), *_non_finite(document, ())]
    issues.extend(check_integrity(document))
    return sorted(set(issues))


def validate_json(text: str | bytes, fmt: CrrFormat = CrrFormat.CRR_1_5) -> list[ValidationIssue]:
    """All findings for JSON text, including duplicate keys that parsing would hide."""
    try:
        document, duplicates = parse_with_duplicates(text)
    except (ValueError, RecursionError) as exc:
        return [ValidationIssue("$", Rule.JSON, f"not valid JSON: {exc}")]
    return sorted({*validate_document(document, fmt), *duplicates})


def _schema_issues(document: object, fmt: CrrFormat) -> Iterator[ValidationIssue]:
    for error in _VALIDATORS[fmt].iter_errors(document):
        path: Path = tuple(error.absolute_path)
        if error.validator == "required":
            yield from _missing(error.instance, error.validator_value, path)
        elif error.validator == "additionalProperties":
            yield from _unexpected(error.instance, error.schema, path)
        else:
            yield ValidationIssue(json_path(path), str(error.validator), error.message)


def _missing(instance: Any, required: Any, path: Path) -> Iterator[ValidationIssue]:
    # jsonschema raises one error per missing key; rebuilding them from the instance keeps
    # the key in the path (the set in the caller drops the repeats).
    for key in required:
        if key not in instance:
            yield ValidationIssue(json_path((*path, key)), Rule.REQUIRED, f"{key!r} is required")


def _unexpected(instance: Any, schema: Any, path: Path) -> Iterator[ValidationIssue]:
    allowed = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    for key in instance:
        if key not in allowed and not any(p.search(key) for p in patterns):
            yield ValidationIssue(
                json_path((*path, key)), Rule.ADDITIONAL_PROPERTIES, f"{key!r} is not allowed"
            )


def _non_finite(value: object, path: Path) -> Iterator[ValidationIssue]:
    # JSON has no NaN or Infinity; JSON Schema's "number" would accept Python's.
    if isinstance(value, float) and not math.isfinite(value):
        yield ValidationIssue(json_path(path), Rule.NOT_FINITE, f"{value} is not a JSON number")
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _non_finite(child, (*path, str(key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _non_finite(child, (*path, index))
