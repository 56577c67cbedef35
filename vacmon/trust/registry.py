"""Reading the registry: UDP policies for the listener and for the HTTP channels.

Who may do what on a site is vacmon.trust.roles."""

from __future__ import annotations

import ipaddress
import logging
from collections import defaultdict
from dataclasses import dataclass

from vacmon.models.registry import POLICY_OPEN, Site, Space
from vacmon.trust.policies import Network, SitePolicy

log = logging.getLogger("vacmon.trust")


def load_policies() -> tuple[dict[str, SitePolicy], dict[tuple[str, str], SitePolicy]]:
    """Every registered site's policy, and the spaces that override their site's mode."""
    networks: dict[int, list[Network]] = defaultdict(list)
    keys: dict[int, dict[str, bytes]] = defaultdict(dict)
    sites = list(Site.objects.prefetch_related("networks", "keys", "spaces"))
    for site in sites:
        for net in site.networks.all():
            try:
                networks[site.pk].append(ipaddress.ip_network(net.cidr, strict=False))
            except ValueError:
                log.error("site %s: ignoring the bad network %r", site.name, net.cidr)
        for key in site.keys.all():
            if not key.active:
                continue
            keys[site.pk][key.key_id] = key.key
    by_site: dict[str, SitePolicy] = {}
    by_space: dict[tuple[str, str], SitePolicy] = {}
    for site in sites:
        policy = SitePolicy(site.udp_policy, tuple(networks[site.pk]), keys[site.pk])
        by_site[site.name] = policy
        for space in site.spaces.all():
            if space.udp_policy and space.udp_policy != site.udp_policy:
                by_space[(site.name, space.name)] = SitePolicy(
                    space.udp_policy, policy.networks, policy.keys
                )
    return by_site, by_space


@dataclass(frozen=True)
class AnonymousPolicy:
    """Which sites and spaces refuse data from a caller without credentials on HTTP (status
    messages and APEL uploads): a `signed` or `networks` site's policy holds on every
    channel, and HTTP has neither a signature nor a registered network to offer."""

    closed_sites: frozenset[str]
    closed_spaces: frozenset[tuple[str, str]]
    open_spaces: frozenset[tuple[str, str]]

    @classmethod
    def load(cls) -> AnonymousPolicy:
        closed = frozenset(
            Site.objects.exclude(udp_policy=POLICY_OPEN).values_list("name", flat=True)
        )
        spaces = Space.objects.exclude(udp_policy="").values_list(
            "site__name", "name", "udp_policy"
        )
        overrides = [((site, name), policy == POLICY_OPEN) for site, name, policy in spaces]
        return cls(
            closed,
            frozenset(key for key, is_open in overrides if not is_open),
            frozenset(key for key, is_open in overrides if is_open),
        )

    def refuses(self, site: str, space: str | None = None) -> bool:
        if space is not None and (site, space) in self.open_spaces:
            return False
        if space is not None and (site, space) in self.closed_spaces:
            return True
        return site in self.closed_sites
