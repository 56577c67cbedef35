"""What the ingest paths call per datagram or request: the per-source rate limit and the
UDP policy, as `Rejected` errors, so the parser's one rejection path counts and logs them.

UDP, in Parser.parse (see the integration notes in docs/deployment.md):

    gate.admit(source, received)                 # before decoding: cheapest first
    obj = decode_json(data)
    trusted = gate.trusted(obj, source, received)  # before normalise
    message = mark(normalise(obj, ...), trusted)
"""

from __future__ import annotations

import time
from dataclasses import replace

from factories.messages import Message, Rejected
from factories.signing import KEY_ID_KEY, SIGNATURE_KEY
from vacmon.trust.ratelimit import RateLimiter, limiter_from_settings
from vacmon.trust.udp import UdpPolicy

RATE_LIMITED = "rate_limited"
SITE_NOT_ALLOWED = "site_not_allowed"

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


def mark(message: Message, trusted: bool) -> Message:
    """Record the verdict and drop the signature keys, which are transport, not data."""
    extra = message.extra
    if SIGNATURE_KEY in extra or KEY_ID_KEY in extra:
        extra = {k: v for k, v in extra.items() if k not in (SIGNATURE_KEY, KEY_ID_KEY)}
    elif not trusted:
        return message
    return replace(message, trusted=trusted, extra=extra)
