"""A site's UDP policy as data: its mode, source networks and HMAC keys (spec 9.1).

vacmon.trust.registry reads them from the registry's tables and vacmon.trust.udp applies them
to each datagram. Both import them from here, so the registry needs nothing of the listener's
gate, which loads the registry when it refreshes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from factories.signing import KEY_ID_KEY

OPEN, NETWORKS, SIGNED = "open", "networks", "signed"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class SitePolicy:
    mode: str = OPEN
    networks: tuple[Network, ...] = ()
    # key_id ("" for messages without one) -> key
    keys: Mapping[str, bytes] = field(default_factory=dict)

    def keys_for(self, obj: Mapping[str, Any]) -> list[bytes]:
        """Keys to try: the one the message names, else every key (a site has one or two
        during a rotation, so this stays cheap)."""
        named = obj.get(KEY_ID_KEY)
        if isinstance(named, str) and named:
            key = self.keys.get(named)
            return [key] if key is not None else []
        default = self.keys.get("")
        return [default] if default is not None else list(self.keys.values())


OPEN_POLICY = SitePolicy()


def policy_of(
    sites: Mapping[str, SitePolicy],
    spaces: Mapping[tuple[str, str], SitePolicy],
    site: str,
    space: str | None,
) -> SitePolicy:
    """The one statement of the override rule: a space with a mode of its own is governed
    by it, any other space by its site's, and an unregistered site is open."""
    if space is not None and spaces:
        override = spaces.get((site, space))
        if override is not None:
            return override
    return sites.get(site, OPEN_POLICY)
