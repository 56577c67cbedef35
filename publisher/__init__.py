"""CRR JSON publishing: build, validate and choose what to serve. Pure: no Django.

The Django side passes the latest statuses per space (`inputs`), gets documents from
`crr`, and stores/serves whatever `publish.decide` returns.
"""

from __future__ import annotations

from publisher.crr import build_site_document, build_space_document
from publisher.inputs import (
    DEFAULT_WINDOW_SECONDS,
    STATUS_CHOICES,
    FactoryStatus,
    MachinetypeStatus,
    SpaceInputs,
    SpaceSettings,
)
from publisher.issues import Rule, ValidationIssue
from publisher.jsontypes import JsonObject, to_json_bytes
from publisher.publish import PublishDecision, decide
from publisher.render import CrrFormat
from publisher.validate import validate_document, validate_json

__all__ = [
    "DEFAULT_WINDOW_SECONDS",
    "STATUS_CHOICES",
    "CrrFormat",
    "FactoryStatus",
    "JsonObject",
    "MachinetypeStatus",
    "PublishDecision",
    "Rule",
    "SpaceInputs",
    "SpaceSettings",
    "ValidationIssue",
    "build_site_document",
    "build_space_document",
    "decide",
    "to_json_bytes",
    "validate_document",
    "validate_json",
]
