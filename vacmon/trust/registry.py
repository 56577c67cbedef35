"""Reading the registry: UDP policies for the listener, and who may do what on a site."""

from __future__ import annotations

import ipaddress
import logging
from collections import defaultdict
from typing import Any

from vacmon.models.trust import ROLE_ADMIN, ROLE_SENDER, Site, SiteMembership
from vacmon.trust.udp import Network, SitePolicy

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


def sites_where(user: Any, roles: tuple[str, ...] = (ROLE_ADMIN,)) -> set[str]:
    """Names of the sites where a Django user holds one of `roles`."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.pk:
        return set()
    return set(
        SiteMembership.objects.filter(user=user, role__in=roles).values_list(
            "site__name", flat=True
        )
    )


def can_manage(user: Any, site_name: str) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return site_name in sites_where(user, (ROLE_ADMIN,))


def can_send(user: Any, site_name: str) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return site_name in sites_where(user, (ROLE_ADMIN, ROLE_SENDER))
