"""Per-site UDP authenticity, decided on the raw JSON object before normalisation.

Policies (spec 9.1):
- `open` (legacy, and every site not in the registry): everything is accepted; a message
  is trusted only if it carries a valid HMAC for one of the site's keys.
- `networks`: unsigned datagrams are accepted only from the site's listed networks, and
  are then trusted; a valid HMAC is accepted from anywhere. UDP sources can be spoofed, so
  this is a fence against mistakes and casual abuse, not proof of origin.
- `signed`: a valid HMAC with one of the site's keys is required.

A present but invalid signature is refused under every policy when the site has keys: it
is a forgery or a misconfigured sender, and either is worth a counter. Replays of signed
messages are bounded by a `time_sent` window; inside the window the natural-key dedup of
the pipeline and the store's unique keys make a replay a counted duplicate.

`check` runs once per datagram at tens of thousands per second: the common case (an
unsigned message for an open site) is two dict lookups, and the HMAC is computed only
when a signature is present or required.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from factories.signing import SIGNATURE_KEY, verify
from vacmon.trust.policies import (
    NETWORKS,
    OPEN,
    OPEN_POLICY,
    SIGNED,
    Network,
    SitePolicy,
    policy_of,
)

log = logging.getLogger("vacmon.trust")

# Rejection reasons, used as IngestCounter reasons (channel udp, name rejected).
UNSIGNED = "unsigned"
BAD_SIGNATURE = "bad_signature"
SOURCE_NOT_ALLOWED = "source_not_allowed"
OUTSIDE_WINDOW = "outside_replay_window"
REASONS = (UNSIGNED, BAD_SIGNATURE, SOURCE_NOT_ALLOWED, OUTSIDE_WINDOW)

REFRESH_SECONDS = 30.0
DEFAULT_REPLAY_WINDOW = 600
_MAX_SOURCE_CACHE = 65_536


@dataclass(frozen=True, slots=True)
class Verdict:
    trusted: bool
    reject_reason: str | None = None


ACCEPT_UNTRUSTED = Verdict(False)
ACCEPT_TRUSTED = Verdict(True)
_REJECTIONS = {reason: Verdict(False, reason) for reason in REASONS}


def site_of(obj: Mapping[str, Any]) -> str | None:
    """The site a raw message speaks for, derived as normalise() will (spec 1.2)."""
    site = obj.get("site")
    if isinstance(site, str) and site:
        return site
    space = obj.get("space")
    if isinstance(space, str) and space:
        return space.split(".", 1)[1] if "." in space else space
    return None


class UdpPolicy:
    def __init__(
        self,
        sites: Mapping[str, SitePolicy] | None = None,
        spaces: Mapping[tuple[str, str], SitePolicy] | None = None,
        *,
        replay_window: int = DEFAULT_REPLAY_WINDOW,
        loaded_at: float = 0.0,
    ) -> None:
        self.sites: Mapping[str, SitePolicy] = sites or {}
        self.spaces: Mapping[tuple[str, str], SitePolicy] = spaces or {}
        self.replay_window = replay_window
        self.loaded_at = loaded_at
        # (source, id of the site's policy) -> allowed; policies live until the next
        # refresh, which also clears this cache, so an id is never reused within it.
        self._source_allowed: dict[tuple[str, int], bool] = {}

    # --- loading -----------------------------------------------------------------------

    @classmethod
    def load(cls, now: float = 0.0) -> UdpPolicy:
        from django.conf import settings

        from vacmon.trust.registry import load_policies

        sites, spaces = load_policies()
        window = int(getattr(settings, "VACMON_UDP_REPLAY_WINDOW", DEFAULT_REPLAY_WINDOW))
        return cls(sites, spaces, replay_window=window, loaded_at=now)

    def maybe_refresh(self, now: float) -> bool:
        """Reload from the database every REFRESH_SECONDS; keep the old tables if that
        fails, so a database hiccup never opens (or closes) every site at once."""
        if now - self.loaded_at < REFRESH_SECONDS:
            return False
        self.loaded_at = now
        try:
            fresh = UdpPolicy.load(now)
        except Exception:
            log.exception("could not reload the UDP policies; keeping the previous ones")
            return False
        self.sites, self.spaces = fresh.sites, fresh.spaces
        self.replay_window = fresh.replay_window
        self._source_allowed = {}
        return True

    # --- the hot path ------------------------------------------------------------------

    def policy_for(self, obj: Mapping[str, Any]) -> SitePolicy:
        site = site_of(obj)
        if site is None:
            return OPEN_POLICY
        space = obj.get("space")
        return policy_of(self.sites, self.spaces, site, space if isinstance(space, str) else None)

    def check(self, obj: Any, source_ip: str, now: float) -> Verdict:
        if not isinstance(obj, dict):
            return ACCEPT_UNTRUSTED  # the parser rejects it with its own reason
        policy = self.policy_for(obj) if self.sites else OPEN_POLICY
        if SIGNATURE_KEY in obj and policy.keys:
            return self._check_signed(obj, policy, now)
        mode = policy.mode
        if mode == OPEN:
            return ACCEPT_UNTRUSTED
        if mode == NETWORKS and self._from_allowed_network(policy, source_ip):
            return ACCEPT_TRUSTED
        return _REJECTIONS[UNSIGNED if mode == SIGNED else SOURCE_NOT_ALLOWED]

    def _check_signed(self, obj: dict[str, Any], policy: SitePolicy, now: float) -> Verdict:
        if not any(_verifies(obj, key) for key in policy.keys_for(obj)):
            return _REJECTIONS[BAD_SIGNATURE]
        sent = obj.get("time_sent")
        if type(sent) not in (int, float) or abs(now - sent) > self.replay_window:
            return _REJECTIONS[OUTSIDE_WINDOW]
        return ACCEPT_TRUSTED

    def _from_allowed_network(self, policy: SitePolicy, source_ip: str) -> bool:
        cache_key = (source_ip, id(policy))
        allowed = self._source_allowed.get(cache_key)
        if allowed is None:
            allowed = in_networks(source_ip, policy.networks)
            if len(self._source_allowed) >= _MAX_SOURCE_CACHE:
                self._source_allowed.clear()
            self._source_allowed[cache_key] = allowed
        return allowed


def _verifies(obj: dict[str, Any], key: bytes) -> bool:
    try:
        return verify(obj, key)
    except (TypeError, ValueError, RecursionError):
        # A non-ASCII signature string or an absurdly nested object: not our signature.
        return False


def in_networks(source_ip: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)
