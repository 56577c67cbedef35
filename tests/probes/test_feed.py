from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone

import pytest

from probes.feed import Feed, FeedService, FeedSite, build_feed, flavour_for
from probes.model import ProbeError

MANCHESTER = FeedSite(
    "UKI-NORTHGRID-MAN-HEP",
    [FeedService("vac01.tier2.hep.manchester.ac.uk", "VAC")],
    [("LCG.Manchester.uk", "LHCb_Site"), ("Tier 2", "LHCb_Tier")],
    longitude=-2.23,
    latitude=53.47,
)
CERN = FeedSite("CERN-PROD", [FeedService("vcycle02.cern.ch", "VCYCLE", "production")])
WHEN = datetime(2019, 5, 16, 12, 0, tzinfo=timezone(timedelta(hours=2)))


def parse(feed: Feed) -> ET.Element:
    return ET.fromstring(build_feed(feed))


def test_it_lists_spaces_as_atp_services_by_site():
    root = parse(Feed("lhcb", [MANCHESTER, CERN], WHEN))
    assert [root.findtext(tag) for tag in ("vo", "last_update")] == ["lhcb", "2019-05-16T10:00:00Z"]
    sites = root.findall("atp_site")
    assert [s.get("name") for s in sites] == ["CERN-PROD", "UKI-NORTHGRID-MAN-HEP"]
    service = sites[1].find("service")
    assert service is not None
    assert service.attrib == {"hostname": "vac01.tier2.hep.manchester.ac.uk", "flavour": "VAC"}
    assert sites[1].get("longitude") == "-2.23"
    assert [g.attrib for g in sites[1].findall("group")][1] == {
        "name": "Tier 2",
        "type": "LHCb_Tier",
    }
    assert sites[0].find("service").get("production_status") == "production"


def test_it_escapes_markup_in_names_and_text():
    nasty = FeedSite('A&B <"site">', [FeedService("h'1&2", "VAC")], [("x</group>", "t")])
    raw = build_feed(Feed("vo&<x>", [nasty], WHEN, responsible_name="O'Neil & co"))
    assert b"<x>" not in raw
    root = ET.fromstring(raw)
    assert root.findtext("vo") == "vo&<x>"
    site = root.find("atp_site")
    assert site.get("name") == 'A&B <"site">'
    assert site.find("service").get("hostname") == "h'1&2"
    assert root.find("feed_responsible").get("name") == "O'Neil & co"


def test_it_refuses_characters_xml_cannot_carry():
    with pytest.raises(ProbeError):
        build_feed(Feed("lhcb", [FeedSite("bad\x07site", [])], WHEN))


def test_it_refuses_a_flavour_other_than_vac_or_vcycle():
    with pytest.raises(ProbeError):
        build_feed(Feed("lhcb", [FeedSite("S", [FeedService("ce.example", "HTCONDOR-CE")])], WHEN))


def test_it_maps_daemon_versions_to_flavours():
    assert flavour_for("Vac 03.00.01 vacd-factory") == "VAC"
    assert flavour_for("Vcycle 03.00+pre06 vcycled") == "VCYCLE"
    with pytest.raises(ProbeError):
        flavour_for("Boinc 7")


def test_an_empty_feed_is_still_a_valid_document():
    root = parse(Feed("lhcb", [], datetime(2020, 1, 1, tzinfo=UTC)))
    assert root.tag == "root"
    assert root.findall("atp_site") == []
