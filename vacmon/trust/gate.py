"""What the ingest paths call per message: the per-source rate limit, the UDP policy and
an HTTP sender's grants, as `Rejected` errors, so the parser's one rejection path counts
and logs them.

In Parser.parse, for UDP and HTTP alike (see the integration notes in docs/deployment.md):

    gate.admit(source, received)                 # before decoding: cheapest first
    obj = decode_datagram(data)
    trusted = gate.trusted(obj, source, received)  # before normalise
    message = normalise(obj, ..., trusted=trusted)
    gate.check(message)                          # the sender may send for its site
"""

from __future__ import annotations

import time
from dataclasses import replace

from factories.messages import Message, Rejected
from factories.signing import KEY_ID_KEY, SIGNATURE_KEY
from vacmon.trust.http import check_ingest_site
from vacmon.trust.principals import IngestIdentity
from vacmon.trust.ratelimit import RateLimiter, limiter_from_settings
from vacmon.trust.registry import AnonymousPolicy
from vacmon.trust.udp import UdpPolicy

RATE_LIMITED = "rate_limited"
SITE_NOT_ALLOWED = "site_not_allowed"
# A signed or networks site's policy holds for HTTP too: HTTP has no signature or network.
ANONYMOUS_REFUSED = "anonymous_refused"

_DETAILS = {
    "unsigned": "the site requires signed messages",
    "bad_signature": "the hmac_sha256 signature does not verify with the site's keys",
    "source_not_allowed": "unsigned messages for this site must come from its networks",
    "outside_replay_window": "a signed message's time_sent is outside the replay window",
}


class IngestGate:
    def __init__(self, policy: UdpPolicy | None, limiter: RateLimiter | None) -> None:
        self.policy = policy
        self.limiter = limiter

    @classmethod
    def for_udp(cls) -> IngestGate:
        return cls(UdpPolicy.load(time.time()), limiter_from_settings("udp"))

    @classmethod
    def for_http(cls) -> IngestGate:
        return cls(None, limiter_from_settings("http"))

    def admit(self, source: str, now: float) -> None:
        """Raise Rejected("rate_limited") when `source` is over its rate."""
        if self.limiter is not None and not self.limiter.allow(source, now):
            raise Rejected(RATE_LIMITED, f"more than {self.limiter.rate:g}/s from {source}")

    def trusted(self, obj: object, source: str, now: float) -> bool:
        """Whether the raw message is trusted; Rejected when its site's policy refuses it."""
        if self.policy is None:
            return False
        self.policy.maybe_refresh(now)
        verdict = self.policy.check(obj, source, now)
        if verdict.reject_reason is not None:
            reason = verdict.reject_reason
            raise Rejected(reason, _DETAILS.get(reason, reason))
        return verdict.trusted

    def check(self, message: Message) -> None:
        """UDP decides everything on the raw object (`trusted`)."""


class HttpGate:
    """One HTTP request's sender: an authenticated one (site token or JWT) is trusted, but
    only for the sites it is granted; an anonymous one may not send for a site that takes
    data only signed or from its networks. The request itself is rate-limited by the view."""

    def __init__(self, identity: IngestIdentity | None) -> None:
        self.identity = identity
        self.anonymous = AnonymousPolicy.load() if identity is None else None
        # The verdict per (site, space): a request's thousands of lines name a few senders.
        # Kept as (reason, detail): an exception raised again would grow its traceback.
        self._verdicts: dict[tuple[str, str], tuple[str, str] | None] = {}

    def admit(self, source: str, now: float) -> None:
        """Per request, not per message: see vacmon.api.ingest_views."""

    def trusted(self, obj: object, source: str, now: float) -> bool:
        return self.identity is not None

    def check(self, message: Message) -> None:
        key = (message.site, message.space)
        try:
            refusal = self._verdicts[key]
        except KeyError:
            refusal = self._verdicts[key] = self._verdict(*key)
        if refusal is not None:
            raise Rejected(*refusal)

    def _verdict(self, site: str, space: str) -> tuple[str, str] | None:
        if not check_ingest_site(self.identity, site):
            return SITE_NOT_ALLOWED, f"this sender may not send for {site}"
        anonymous = self.anonymous
        if anonymous is not None and anonymous.refuses(site, space):
            return ANONYMOUS_REFUSED, f"{site} takes data only with a token"
        return None


def mark(message: Message, trusted: bool) -> Message:
    """Record the verdict and drop the signature keys, which are transport, not data."""
    extra = message.extra
    if SIGNATURE_KEY in extra or KEY_ID_KEY in extra:
        extra = {k: v for k, v in extra.items() if k not in (SIGNATURE_KEY, KEY_ID_KEY)}
    elif not trusted:
        return message
    return replace(message, trusted=trusted, extra=extra)
