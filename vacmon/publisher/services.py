"""Publish CRR documents: read the store, build every format, validate, store.

Documents are generated here, on a schedule (`tasks.publish_all`, every PERIOD_SECONDS,
one task per space and one per site) or on demand (`manage.py publish_crr`, a settings
change), never while serving a request. A candidate that fails validation is kept for
inspection and counted, and the previous good version stays served.

Capacity ages out at the window's edge: a factory counts until its latest status is
VACMON_CRR_WINDOW_SECONDS old, and a space with no factory left in the window is
withdrawn (its URL answers 404 and it leaves the site aggregate).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeAlias

from django.conf import settings
from django.db import transaction

from publisher import (
    CrrFormat,
    JsonObject,
    SpaceInputs,
    ValidationIssue,
    build_site_document,
    build_space_document,
    decide,
    to_json_bytes,
)
from vacmon.models import CrrSpaceSettings, CrrTarget, PublishedDocument
from vacmon.models.publisher import SITE_AGGREGATE
from vacmon.publisher import documents
from vacmon.publisher.inputs import heard_spaces, site_inputs

logger = logging.getLogger(__name__)

PERIOD_SECONDS = 300
"""How often documents are regenerated; also their HTTP max-age (see the beat schedule)."""

Builder: TypeAlias = "Callable[[CrrFormat], JsonObject | None]"


@dataclass(frozen=True)
class Outcome:
    """What one publication run did for one target."""

    site: str
    space: str
    published: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    withdrawn: bool = False
    skipped: bool = False  # another worker had already claimed this period


def window_seconds() -> int:
    return int(settings.VACMON_CRR_WINDOW_SECONDS)


def period_tick(now: int) -> int:
    """The start of the period `now` falls in: the token a worker claims."""
    return now - now % PERIOD_SECONDS


def claim(site: str, space: str, tick: int) -> bool:
    """True if this caller won `tick` for the target: exactly one conditional UPDATE can
    move `claimed_tick` forward to it, however many workers got the same task."""
    moved = CrrTarget.objects.filter(site=site, space=space, claimed_tick__lt=tick).update(
        claimed_tick=tick
    )
    return moved == 1


def publish_space(
    site: str, space: str, *, now: int | None = None, tick: int | None = None
) -> Outcome:
    """Regenerate one space's documents. With `tick`, only if this call claims it."""
    now = int(time.time()) if now is None else now
    target = ensure_target(site, space)
    if tick is not None and not claim(site, space, tick):
        return Outcome(site, space, skipped=True)
    found = site_inputs(site, since=now - window_seconds(), space=space)
    if not found or not found[0].settings.publish:
        documents.withdraw(site, space)
        return Outcome(site, space, withdrawn=True)
    inputs = found[0]
    return _publish(target, now, lambda fmt: _space_candidate(inputs, now, fmt))


def publish_site(site: str, *, now: int | None = None, tick: int | None = None) -> Outcome:
    """Regenerate the site aggregate: one resource per published space heard in the window."""
    now = int(time.time()) if now is None else now
    target = ensure_target(site, SITE_AGGREGATE)
    if tick is not None and not claim(site, SITE_AGGREGATE, tick):
        return Outcome(site, SITE_AGGREGATE, skipped=True)
    spaces = site_inputs(site, since=now - window_seconds())
    if not any(inputs.settings.publish for inputs in spaces):
        documents.withdraw(site, SITE_AGGREGATE)
        return Outcome(site, SITE_AGGREGATE, withdrawn=True)
    return _publish(target, now, lambda fmt: _site_candidate(spaces, now, fmt))


def publish_first(site: str, space: str, *, now: int | None = None) -> list[Outcome]:
    """A new space's documents, and its site's aggregate that now includes it, outside the
    schedule. Settings are created with defaults first, as `targets_due` does."""
    CrrSpaceSettings.objects.get_or_create(site=site, space=space)
    return [publish_space(site, space, now=now), publish_site(site, now=now)]


def targets_due(now: int) -> list[tuple[str, str]]:
    """Every space heard in the window, plus every space still served (so that a silent
    one gets withdrawn); settings rows with defaults are created for new spaces so the
    operator finds them in the admin."""
    heard = heard_spaces(since=now - window_seconds())
    served = set(
        PublishedDocument.objects.filter(current=True)
        .exclude(space=SITE_AGGREGATE)
        .values_list("site", "space")
    )
    spaces = sorted(heard | served)
    CrrSpaceSettings.objects.bulk_create(
        [CrrSpaceSettings(site=site, space=space) for site, space in spaces],
        ignore_conflicts=True,
    )
    return spaces


def fan_out(
    now: int,
    send_space: Callable[[str, str, int], object],
    send_site: Callable[[str, int], object],
) -> int:
    """Queue one publication per space and per site for the current period."""
    tick = period_tick(now)
    spaces = targets_due(now)
    for site, space in spaces:
        send_space(site, space, tick)
    for site in sorted({site for site, _ in spaces}):
        send_site(site, tick)
    return len(spaces)


def publish_all(now: int | None = None, *, site: str | None = None) -> list[Outcome]:
    """Regenerate everything now, in this process (the `publish_crr` command)."""
    now = int(time.time()) if now is None else now
    spaces = [(s, sp) for s, sp in targets_due(now) if site is None or s == site]
    outcomes = [publish_space(s, sp, now=now) for s, sp in spaces]
    outcomes += [publish_site(s, now=now) for s in sorted({s for s, _ in spaces})]
    return outcomes


def ensure_target(site: str, space: str) -> CrrTarget:
    target, _ = CrrTarget.objects.get_or_create(site=site, space=space)
    return target


def update_settings(site: str, space: str, values: Mapping[str, object]) -> CrrSpaceSettings:
    """Save a space's settings and apply them at once rather than at the next period:
    switching `publish` off must hide the space now, not in five minutes."""
    with transaction.atomic():
        row, _ = CrrSpaceSettings.objects.update_or_create(
            site=site, space=space, defaults=dict(values)
        )
    settings_changed(site, space)
    return row


def settings_changed(site: str, space: str) -> None:
    publish_space(site, space)
    publish_site(site)


def check_vo_overrides(value: object) -> dict[str, list[str]]:
    """The shape `assigned_vos` must have: machinetype -> non-empty list of VO names.

    Raises ValueError naming the first fault.
    """
    if not isinstance(value, dict):
        raise ValueError("must be an object of machinetype -> list of VO names")
    for machinetype, vos in value.items():
        if not isinstance(vos, list) or not vos:
            raise ValueError(f"{machinetype!r}: must be a non-empty list of VO names")
        if not all(isinstance(vo, str) and vo.strip() for vo in vos):
            raise ValueError(f"{machinetype!r}: every VO name must be a non-empty string")
    return value


def _space_candidate(inputs: SpaceInputs, now: int, fmt: CrrFormat) -> JsonObject | None:
    return build_space_document(inputs, now=now, fmt=fmt, window_seconds=window_seconds())


def _site_candidate(spaces: list[SpaceInputs], now: int, fmt: CrrFormat) -> JsonObject | None:
    return build_site_document(spaces, now=now, fmt=fmt, window_seconds=window_seconds())


def _publish(target: CrrTarget, now: int, build: Builder) -> Outcome:
    at = datetime.fromtimestamp(now, tz=UTC)
    published: list[str] = []
    refused: list[str] = []
    errors: list[str] = []
    for fmt in CrrFormat:
        candidate, issues = _build(build, fmt)
        if not issues:
            # `decide` validates the bytes that would be served, and refuses None.
            issues = list(decide(candidate, None, fmt).errors)
        if issues or candidate is None:
            _refuse(target, fmt, candidate, issues, at)
            refused.append(fmt.value)
            errors.append(f"{fmt.value}: " + "; ".join(str(i) for i in issues[:5]))
            continue
        documents.record_accepted(target, fmt.value, to_json_bytes(candidate), at)
        published.append(fmt.value)
    documents.note_outcome(target, len(refused), "\n".join(errors), at)
    return Outcome(target.site, target.space, tuple(published), tuple(refused))


def _build(build: Builder, fmt: CrrFormat) -> tuple[JsonObject | None, list[ValidationIssue]]:
    # Any failure of the builder is a refusal like a validation failure: the last good
    # document must stay served whatever went wrong while making the next one.
    try:
        return build(fmt), []
    except Exception as exc:
        logger.exception("CRR builder failed")
        return None, [ValidationIssue("$", "builder-error", f"{type(exc).__name__}: {exc}")]


def _refuse(
    target: CrrTarget,
    fmt: CrrFormat,
    candidate: JsonObject | None,
    issues: Iterable[ValidationIssue],
    at: datetime,
) -> None:
    issues = list(issues)
    logger.warning(
        "CRR document refused: site=%s space=%s format=%s issues=%d first=%s",
        target.site,
        target.space or "(site)",
        fmt.value,
        len(issues),
        issues[0],
    )
    documents.record_refused(target, fmt.value, _bytes_or_none(candidate), issues, at)


def _bytes_or_none(candidate: JsonObject | None) -> bytes | None:
    if candidate is None:
        return None
    try:
        return to_json_bytes(candidate)
    except (TypeError, ValueError):
        return None
