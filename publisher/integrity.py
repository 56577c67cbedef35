"""CRR relational-integrity rules, which JSON Schema cannot express (spec crr-etf-sam 1.3):

1. the first key is `computingresources`;
2. resource identifiers are unique;
3. within a resource, share ids and access-point ids are unique, and so are the entries
   of `assigned_vos`, of each share's `assigned_vos` and of each `accesspoints.*.shares`;
4. every VO of a share is also a resource-level VO;
5. every share an access point names exists in the resource's `shares`.

Duplicate object keys (rules 2 and 3) only exist in JSON text: a parsed dict has already
kept one of them. They are found while parsing, by `parse_with_duplicates`.
The checks skip parts that are missing or of the wrong type; the schema reports those.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from publisher.issues import Rule, ValidationIssue, json_path

Path = tuple[str | int, ...]


def check_integrity(document: object) -> list[ValidationIssue]:
    """Rules 1, 3 (lists), 4 and 5 on a parsed document."""
    if not isinstance(document, dict):
        return []
    issues: list[ValidationIssue] = []
    if document and next(iter(document)) != "computingresources":
        issues.append(
            ValidationIssue("$", Rule.FIRST_KEY, "the first key must be 'computingresources'")
        )
    resources = document.get("computingresources")
    if isinstance(resources, dict):
        for resource_id, resource in resources.items():
            if isinstance(resource, dict):
                path: Path = ("computingresources", resource_id)
                issues.extend(_check_resource(resource, path))
    return issues


def _check_resource(resource: dict[str, object], path: Path) -> Iterator[ValidationIssue]:
    yield from _duplicates_in(resource.get("assigned_vos"), (*path, "assigned_vos"))
    resource_vos = resource.get("assigned_vos")
    shares = resource.get("shares")
    for share_id, share in _children(shares):
        vos_path = (*path, "shares", share_id, "assigned_vos")
        yield from _duplicates_in(share.get("assigned_vos"), vos_path)
        # Without a resource-level list the schema already reports `required`.
        if isinstance(resource_vos, list):
            yield from _vos_not_at_resource(share.get("assigned_vos"), resource_vos, vos_path)
    for ap_id, accesspoint in _children(resource.get("accesspoints")):
        ap_path = (*path, "accesspoints", ap_id, "shares")
        yield from _duplicates_in(accesspoint.get("shares"), ap_path)
        if shares is None or isinstance(shares, dict):
            yield from _unknown_shares(accesspoint.get("shares"), shares or {}, ap_path)


def _children(value: object) -> Iterator[tuple[str, dict[str, object]]]:
    if isinstance(value, dict):
        for key, child in value.items():
            if isinstance(child, dict):
                yield key, child


def _strings_in(value: object) -> Iterator[tuple[int, str]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield index, item


def _duplicates_in(value: object, path: Path) -> Iterator[ValidationIssue]:
    seen: set[str] = set()
    for index, item in _strings_in(value):
        if item in seen:
            yield ValidationIssue(
                json_path((*path, index)), Rule.DUPLICATE_IN_RESOURCE, f"{item!r} is repeated"
            )
        seen.add(item)


def _vos_not_at_resource(
    value: object, resource_vos: Sequence[object], path: Path
) -> Iterator[ValidationIssue]:
    for index, vo in _strings_in(value):
        if vo not in resource_vos:
            yield ValidationIssue(
                json_path((*path, index)),
                Rule.VO_NOT_AT_RESOURCE,
                f"VO {vo!r} is not in the resource's assigned_vos",
            )


def _unknown_shares(
    value: object, shares: dict[str, object], path: Path
) -> Iterator[ValidationIssue]:
    for index, share_id in _strings_in(value):
        if share_id not in shares:
            yield ValidationIssue(
                json_path((*path, index)),
                Rule.UNKNOWN_SHARE,
                f"share {share_id!r} is not defined in the resource's shares",
            )


class _Pairs(list[tuple[str, object]]):
    """An object as parsed, before duplicate keys collapse."""


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def parse_with_duplicates(text: str | bytes) -> tuple[object, list[ValidationIssue]]:
    """Parse JSON text, reporting duplicate object keys (rules 2 and 3, or a plain
    duplicate key elsewhere). Raises ValueError if the text is not strict JSON."""
    raw = json.loads(text, object_pairs_hook=_Pairs, parse_constant=_refuse_constant)
    issues: list[ValidationIssue] = []
    return _collapse(raw, (), issues), issues


def _collapse(value: object, path: Path, issues: list[ValidationIssue]) -> object:
    if isinstance(value, _Pairs):
        result: dict[str, object] = {}
        for key, child in value:
            if key in result:
                issues.append(_duplicate_key(path, key))
            result[key] = _collapse(child, (*path, key), issues)
        return result
    if isinstance(value, list):
        return [_collapse(child, (*path, index), issues) for index, child in enumerate(value)]
    return value


def _duplicate_key(path: Path, key: str) -> ValidationIssue:
    where = json_path((*path, key))
    if path == ("computingresources",):
        return ValidationIssue(where, Rule.DUPLICATE_RESOURCE, f"resource {key!r} is repeated")
    if len(path) == 3 and path[0] == "computingresources" and path[2] in ("shares", "accesspoints"):
        kind = "share" if path[2] == "shares" else "access point"
        return ValidationIssue(where, Rule.DUPLICATE_IN_RESOURCE, f"{kind} {key!r} is repeated")
    return ValidationIssue(where, Rule.DUPLICATE_KEY, f"key {key!r} is repeated")
