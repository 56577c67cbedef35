"""Reading the registry: UDP policies for the listener and for the HTTP channels.

Who may do what on a site is vacmon.trust.roles."""

from __future__ import annotations

import ipaddress
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from vacmon.models.registry import POLICY_OPEN, SigningKey, Site, SiteNetwork, Space
from vacmon.trust.policies import Network, SitePolicy, policy_of

log = logging.getLogger("vacmon.trust")


def load_policies(
    *, credentials: bool = True
) -> tuple[dict[str, SitePolicy], dict[tuple[str, str], SitePolicy]]:
    """Every registered site's policy, and the spaces that override their site's mode.

    Without `credentials`, only the modes are read (two small queries): what the HTTP
    channels need to know whether a caller without credentials is refused."""
    networks: dict[str, list[Network]] = defaultdict(list)
    keys: dict[str, dict[str, bytes]] = defaultdict(dict)
    if credentials:
        for site_name, cidr in SiteNetwork.objects.values_list("site__name", "cidr"):
            try:
                networks[site_name].append(ipaddress.ip_network(cidr, strict=False))
            except ValueError:
                log.error("site %s: ignoring the bad network %r", site_name, cidr)
        active = SigningKey.objects.filter(active=True)
        for site_name, key_id, secret in active.values_list("site__name", "key_id", "secret"):
            keys[site_name][key_id] = secret.encode("utf-8")
    by_site = {
        name: SitePolicy(mode, tuple(networks[name]), keys[name])
        for name, mode in Site.objects.values_list("name", "udp_policy")
    }
    by_space: dict[tuple[str, str], SitePolicy] = {}
    for site_name, name, mode in Space.objects.exclude(udp_policy="").values_list(
        "site__name", "name", "udp_policy"
    ):
        site = by_site[site_name]
        if mode != site.mode:
            by_space[(site_name, name)] = SitePolicy(mode, site.networks, site.keys)
    return by_site, by_space


@dataclass(frozen=True)
class AnonymousPolicy:
    """Which sites and spaces refuse data from a caller without credentials on HTTP (status
    messages and APEL uploads): a `signed` or `networks` site's policy holds on every
    channel, and HTTP has neither a signature nor a registered network to offer.

    It is read afresh for each request, so a site an operator closes is closed at once."""

    sites: Mapping[str, SitePolicy]
    spaces: Mapping[tuple[str, str], SitePolicy]

    @classmethod
    def load(cls) -> AnonymousPolicy:
        return cls(*load_policies(credentials=False))

    def refuses(self, site: str, space: str | None = None) -> bool:
        return policy_of(self.sites, self.spaces, site, space).mode != POLICY_OPEN
