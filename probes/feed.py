"""A VO-feed-style (ATP) XML listing Vac/Vcycle spaces as services (spec 2.4)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from probes.model import ProbeError

# LHCb's feed maps DIRAC CE types Vac -> VAC and Vcycle -> VCYCLE (spec 2.4, 2.6).
SPACE_FLAVOURS = {"Vac": "VAC", "Vcycle": "VCYCLE"}

# XML 1.0 cannot carry most control characters even escaped; ElementTree would write them
# and produce a document no parser accepts, so refuse them up front.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def flavour_for(daemon_version: str) -> str:
    """`Vac 03.00.01 vacd-factory` -> VAC, `Vcycle 03.00+pre06 vcycled` -> VCYCLE."""
    product = daemon_version.split(" ", 1)[0]
    try:
        return SPACE_FLAVOURS[product]
    except KeyError:
        raise ProbeError(f"{daemon_version!r} is neither Vac nor Vcycle") from None


@dataclass(frozen=True)
class FeedService:
    hostname: str
    flavour: str
    production_status: str | None = None


@dataclass(frozen=True)
class FeedSite:
    name: str
    services: Sequence[FeedService]
    groups: Sequence[tuple[str, str]] = ()  # (name, type), e.g. ("LCG.Manchester.uk", "LHCb_Site")
    infrast: str | None = None
    longitude: float | None = None
    latitude: float | None = None


@dataclass(frozen=True)
class Feed:
    vo: str
    sites: Sequence[FeedSite]
    last_update: datetime
    title: str = "VacMon Topology Information for ATP"
    description: str = "Vac and Vcycle spaces known to VacMon"
    responsible_dn: str | None = None
    responsible_name: str | None = None


def _text(value: str) -> str:
    if _XML_INVALID.search(value):
        raise ProbeError(f"{value!r} contains characters XML cannot carry")
    return value


def _attrs(**values: str | float | None) -> dict[str, str]:
    return {key: _text(str(value)) for key, value in values.items() if value is not None}


def _child(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = _text(text)


def _site(root: ET.Element, site: FeedSite) -> None:
    element = ET.SubElement(
        root,
        "atp_site",
        _attrs(
            name=site.name, infrast=site.infrast, longitude=site.longitude, latitude=site.latitude
        ),
    )
    for service in site.services:
        if service.flavour not in SPACE_FLAVOURS.values():
            raise ProbeError(f"space {service.hostname} has flavour {service.flavour!r}")
        attrs = _attrs(
            hostname=service.hostname,
            flavour=service.flavour,
            production_status=service.production_status,
        )
        ET.SubElement(element, "service", attrs)
    for name, kind in site.groups:
        ET.SubElement(element, "group", _attrs(name=name, type=kind))


def build_feed(feed: Feed) -> bytes:
    """Serialise the feed as UTF-8 XML; ElementTree does all escaping of text and attributes."""
    root = ET.Element("root")
    _child(root, "title", feed.title)
    _child(root, "description", feed.description)
    if feed.responsible_dn or feed.responsible_name:
        responsible = _attrs(dn=feed.responsible_dn, name=feed.responsible_name)
        ET.SubElement(root, "feed_responsible", responsible)
    stamp = feed.last_update.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _child(root, "last_update", stamp)
    _child(root, "vo", feed.vo)
    for site in sorted(feed.sites, key=lambda s: s.name):
        _site(root, site)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
