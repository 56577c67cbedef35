"""Decide which document to serve after a regeneration.

A new document is served only if it validates as it would be served (its JSON bytes);
otherwise the last good document stays, as the original service kept its cached copy.
"""

from __future__ import annotations

from typing import NamedTuple

from publisher.issues import Rule, ValidationIssue
from publisher.jsontypes import JsonObject, to_json_bytes
from publisher.render import CrrFormat
from publisher.validate import validate_json


class PublishDecision(NamedTuple):
    """`document` is what to serve (None: nothing valid yet, answer 404); `errors` says
    why the candidate was refused and is empty when it was accepted."""

    document: JsonObject | None
    errors: tuple[ValidationIssue, ...]

    @property
    def accepted(self) -> bool:
        return not self.errors


def decide(
    candidate: JsonObject | None,
    last_good: JsonObject | None,
    fmt: CrrFormat = CrrFormat.CRR_1_5,
) -> PublishDecision:
    """Serve `candidate` if it is valid in `fmt`, else keep `last_good`.

    `candidate` is None when nothing could be generated (no factory heard in the window).
    """
    errors = _refusals(candidate, fmt)
    if errors:
        return PublishDecision(last_good, tuple(errors))
    return PublishDecision(candidate, ())


def _refusals(candidate: JsonObject | None, fmt: CrrFormat) -> list[ValidationIssue]:
    if candidate is None:
        return [ValidationIssue("$", Rule.MISSING, "no document was generated")]
    try:
        body = to_json_bytes(candidate)
    except (TypeError, ValueError) as exc:
        return [ValidationIssue("$", Rule.JSON, f"cannot be written as JSON: {exc}")]
    return validate_json(body, fmt)
