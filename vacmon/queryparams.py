"""Strict parsing of query-string values, shared by the API, the dashboard and the probe pages.

A query string is untrusted input like a datagram: `?from=²` passes `str.isdigit()` and then
fails `int()`, `?to=99999999999999999999999` overflows the database's integers, and a month in
the year 9999 has no following month. Every reader here accepts only ASCII digits, bounded
values and real calendar dates, and raises BadParameter naming the parameter; the API's
exception handler and BadParameterMiddleware turn that into a 400 with the name and reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

from django.http import HttpRequest, HttpResponse, JsonResponse

# Times and dates a query may name: from 1970 up to (not including) the year 3000. Nothing is
# stored outside it, and every later step (a day after, a bucket past the end, a printed date)
# stays inside what datetime and a 64-bit column hold.
EARLIEST = 0
LATEST = int(datetime(3000, 1, 1, tzinfo=UTC).timestamp()) - 1
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)

_DIGITS = re.compile(r"[0-9]{1,18}", re.ASCII)
_RELATIVE = re.compile(r"-[0-9]{1,18}", re.ASCII)
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class BadParameter(ValueError):
    """A query parameter that cannot be read; `name` is the parameter, `reason` says why."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def _raw(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def whole_number(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _raw(params, name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadParameter(name, f"a whole number from {low} to {high}")
    return int(raw)


def epoch_time(params: Mapping[str, str], name: str, default: int, now: int) -> int:
    """Epoch seconds, `-SECONDS` before `now`, or ISO 8601 with a zone."""
    raw = _raw(params, name)
    if raw is None:
        return default
    if _DIGITS.fullmatch(raw):
        found = int(raw)
    elif _RELATIVE.fullmatch(raw):
        found = now - int(raw[1:])
    else:
        found = _iso_time(name, raw)
    if not EARLIEST <= found <= LATEST:
        raise BadParameter(name, "a time from 1970 up to the year 3000")
    return found


def _iso_time(name: str, raw: str) -> int:
    if not raw.isascii():
        raise BadParameter(name, "epoch seconds, -SECONDS or an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(name, "epoch seconds, -SECONDS or an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise BadParameter(name, f"an ISO 8601 time needs a timezone, e.g. {raw}Z")
    try:
        return int(parsed.timestamp())
    except (OverflowError, OSError, ValueError):
        raise BadParameter(name, "a time from 1970 up to the year 3000") from None


def day(params: Mapping[str, str], name: str, default: date) -> date:
    """A calendar date, YYYY-MM-DD."""
    raw = _raw(params, name)
    if raw is None:
        return default
    return _calendar(name, raw, _DAY, "%Y-%m-%d", "a date, YYYY-MM-DD")


def month(params: Mapping[str, str], name: str, default: date) -> date:
    """The first day of a month named YYYY-MM."""
    raw = _raw(params, name)
    if raw is None:
        return default
    return _calendar(name, raw, _MONTH, "%Y-%m", "a month, YYYY-MM")


def _calendar(name: str, raw: str, shape: re.Pattern[str], fmt: str, what: str) -> date:
    if not shape.fullmatch(raw):
        raise BadParameter(name, what)
    try:
        found = datetime.strptime(raw, fmt).date()
    except ValueError:
        raise BadParameter(name, what) from None
    if not FIRST_DAY <= found <= LAST_DAY:
        raise BadParameter(name, f"{what}, from 1970 up to the year 3000")
    return found


def choice(params: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    raw = _raw(params, name)
    if raw is None:
        return default
    if raw not in choices:
        raise BadParameter(name, f"one of {', '.join(choices)}")
    return raw


def bad_parameter_response(exc: BadParameter, wants_json: bool) -> HttpResponse:
    if wants_json:
        # The API's own shape for invalid input (vacmon.api.errors): {"<parameter>": reason}.
        return JsonResponse({exc.name: exc.reason}, status=400)
    return HttpResponse(
        f"Bad parameter {exc.name}: {exc.reason}\n", status=400, content_type="text/plain"
    )


def refuse_nul(request: HttpRequest) -> None:
    """No stored name or value holds NUL (the parser refuses it), and PostgreSQL cannot even
    compare a text column with a string holding one: refuse it in the path or the query
    before any view puts it into a query."""
    if "\x00" in request.path:
        raise BadParameter("path", "the NUL character is not allowed")
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in v for v in values):
            raise BadParameter(name.replace("\x00", "\\0"), "the NUL character is not allowed")


class BadParameterMiddleware:
    """A BadParameter raised by any plain Django view, or a NUL anywhere in the path or the
    query, is a 400 naming the parameter."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            refuse_nul(request)
        except BadParameter as exc:
            return bad_parameter_response(exc, _wants_json(request))
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, BadParameter):
            return None
        return bad_parameter_response(exc, _wants_json(request))


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.GET.get("format") == "json"
