"""Publishing from the store: the spec's samples, a simulated fleet, the window, versions
and claims. Documents are read back over HTTP, as CRIC would read them."""

from __future__ import annotations

import pytest
import time_machine
from django.core.management import call_command

from publisher import CrrFormat
from tests import samples
from tests.builders import factory_status, machinetype_status
from tests.vacmon_publisher.support import (
    NOW,
    SITE,
    SPACE,
    assert_valid,
    fetch,
    from_sample,
    resource,
    write,
)
from vacmon.models import PublishedDocument
from vacmon.publisher import services

pytestmark = pytest.mark.django_db

MAN = "UKI-NORTHGRID-MAN-HEP"
MAN_SPACE = "vac01.tier2.hep.manchester.ac.uk"


@pytest.fixture
def sample_store():
    write(*(from_sample(text, received=NOW - 60) for text in samples.ALL))


def test_every_sample_space_publishes_a_valid_document_in_both_formats(client, sample_store):
    services.publish_all(NOW)
    for site, space in [
        (MAN, MAN_SPACE),
        ("CERN-PROD", "vcycle02.cern.ch"),
        ("vac01.example.ac.uk", "vac01.example.ac.uk"),
    ]:
        url = f"/crr/{site}/{space}/crr.json"
        assert_valid(fetch(client, url))
        assert_valid(fetch(client, url + "?format=vacmon-2019"), CrrFormat.VACMON_2019)
        assert_valid(fetch(client, f"/crr/{site}/crr.json"))


def test_the_manchester_sample_publishes_its_capacity_and_both_machinetypes(client, sample_store):
    services.publish_all(NOW)
    doc = resource(fetch(client, f"/crr/{MAN}/{MAN_SPACE}/crr.json"), MAN_SPACE)
    assert doc["number_logical_cpus"] == 8
    assert doc["capacity_hs06"] == 100.0
    assert doc["jobmanager"] == "VAC"
    assert doc["jobmanager_version"] == "03.00.01"
    assert doc["publication_time"] == NOW
    assert set(doc["shares"]) == {"atlas", "lhcb"}
    # 86400 s and 2147483648 bytes per processor, from the master-version machinetype.
    assert doc["shares"]["atlas"]["max_walltime_minutes"] == 1440
    assert doc["shares"]["atlas"]["max_memory_gb"] == 2.147
    assert doc["assigned_vos"] == ["atlas", "lhcb"]


def test_the_legacy_sample_is_read_through_its_aliases(client, sample_store):
    services.publish_all(NOW)
    space = "vac01.example.ac.uk"
    doc = resource(fetch(client, f"/crr/{space}/{space}/crr.json"), space)
    assert (doc["number_logical_cpus"], doc["capacity_hs06"]) == (16, 160.0)


def _fleet() -> dict[tuple[str, str], list[tuple[int, float]]]:
    """Three sites of two spaces, each with a few factories of distinct sizes."""
    fleet = {}
    for s in range(3):
        for p in range(2):
            site, space = f"SITE-{s}", f"vac{p}.site{s}.example.org"
            fleet[(site, space)] = [(8 * (f + 1) + s, 10.5 * (f + 1) + p) for f in range(s + 2)]
    return fleet


@pytest.fixture
def fleet():
    fleet = _fleet()
    messages = []
    for (site, space), sizes in fleet.items():
        for n, (processors, hs06) in enumerate(sizes):
            factory = f"f{n}.{space}"
            common = dict(site=site, space=space, factory=factory)
            messages.append(
                factory_status(
                    received=NOW - 30 * n, max_processors=processors, max_hs06=hs06, **common
                )
            )
            for mt in ("lhcb", "atlas"):
                messages.append(
                    machinetype_status(
                        received=NOW - 30 * n,
                        machinetype=mt,
                        max_wallclock_seconds=86400 * (2 if mt == "atlas" else 1),
                        bytes_per_processor=2_000_000_000,
                        **common,
                    )
                )
    write(*messages)
    return fleet


def test_fleet_documents_validate_and_sum_their_factories(client, fleet):
    services.publish_all(NOW)
    for (site, space), sizes in fleet.items():
        doc = fetch(client, f"/crr/{site}/{space}/crr.json")
        assert_valid(doc)
        res = resource(doc, space)
        assert res["number_logical_cpus"] == sum(p for p, _ in sizes)
        assert res["capacity_hs06"] == pytest.approx(sum(h for _, h in sizes))
        assert res["max_walltime_minutes"] == 2880
        assert res["max_memory_gb"] == 2.0


def test_a_site_aggregate_holds_each_of_its_spaces_with_their_totals(client, fleet):
    services.publish_all(NOW)
    for site in ("SITE-0", "SITE-1", "SITE-2"):
        doc = fetch(client, f"/crr/{site}/crr.json")
        assert_valid(doc)
        spaces = {space: sizes for (s, space), sizes in fleet.items() if s == site}
        assert set(doc["computingresources"]) == set(spaces)
        total = sum(r["number_logical_cpus"] for r in doc["computingresources"].values())
        assert total == sum(p for sizes in spaces.values() for p, _ in sizes)


def test_a_silent_factory_counts_until_the_window_edge_then_drops_out(client, settings):
    settings.VACMON_CRR_WINDOW_SECONDS = 3600
    write(
        factory_status(received=NOW - 10, factory="fresh", max_processors=8),
        factory_status(received=NOW - 3500, factory="quiet", max_processors=16),
    )
    url = f"/crr/{SITE}/{SPACE}/crr.json"
    services.publish_all(NOW)
    assert resource(fetch(client, url), SPACE)["number_logical_cpus"] == 24
    services.publish_all(NOW + 99)  # "quiet" is 3599 s old: still inside
    assert resource(fetch(client, url), SPACE)["number_logical_cpus"] == 24
    services.publish_all(NOW + 101)  # 3601 s: outside
    assert resource(fetch(client, url), SPACE)["number_logical_cpus"] == 8


def test_a_space_silent_for_the_whole_window_is_withdrawn(client, settings):
    settings.VACMON_CRR_WINDOW_SECONDS = 3600
    write(factory_status(received=NOW, max_processors=8))
    services.publish_all(NOW)
    assert client.get(f"/crr/{SITE}/{SPACE}/crr.json").status_code == 200
    outcomes = services.publish_all(NOW + 3601)
    assert {(o.space, o.withdrawn) for o in outcomes} == {(SPACE, True), ("", True)}
    assert client.get(f"/crr/{SITE}/{SPACE}/crr.json").status_code == 404
    assert client.get(f"/crr/{SITE}/crr.json").status_code == 404


def test_only_the_newest_versions_are_kept_and_the_newest_is_served(client, settings):
    settings.VACMON_CRR_KEEP_VERSIONS = 3
    write(factory_status(received=NOW, max_processors=8))
    for minute in range(5):
        services.publish_space(SITE, SPACE, now=NOW + 60 * minute)
    kept = PublishedDocument.objects.filter(site=SITE, space=SPACE, format="crr-1.5")
    assert sorted(int(d.published_at.timestamp()) for d in kept) == [
        NOW + 120,
        NOW + 180,
        NOW + 240,
    ]
    served = fetch(client, f"/crr/{SITE}/{SPACE}/crr.json")
    assert resource(served, SPACE)["publication_time"] == NOW + 240


def test_a_period_is_published_once_however_often_its_task_arrives():
    write(factory_status(received=NOW, max_processors=8))
    tick = services.period_tick(NOW)
    first = services.publish_space(SITE, SPACE, now=NOW, tick=tick)
    again = services.publish_space(SITE, SPACE, now=NOW + 1, tick=tick)
    assert first.published == ("crr-1.5", "vacmon-2019")
    assert again.skipped
    assert PublishedDocument.objects.filter(space=SPACE).count() == 2  # one per format


def test_the_fan_out_queues_one_task_per_space_and_per_site(fleet):
    queued_spaces: list[tuple[str, str, int]] = []
    queued_sites: list[tuple[str, int]] = []
    count = services.fan_out(
        NOW + 7, lambda *a: queued_spaces.append(a), lambda *a: queued_sites.append(a)
    )
    assert count == len(fleet) == len(queued_spaces)
    assert {(s, sp) for s, sp, _ in queued_spaces} == set(fleet)
    assert sorted(site for site, _ in queued_sites) == ["SITE-0", "SITE-1", "SITE-2"]
    assert {tick for *_, tick in queued_spaces} == {services.period_tick(NOW + 7)}


def test_duplicate_deliveries_of_the_fan_out_publish_each_space_once(fleet):
    def deliver_twice(site: str, space: str, tick: int) -> None:
        for _ in range(2):
            services.publish_space(site, space, now=NOW, tick=tick)

    services.fan_out(NOW, deliver_twice, lambda site, tick: None)
    per_space = PublishedDocument.objects.filter(format="crr-1.5").exclude(space="")
    assert per_space.count() == len(fleet)


def test_the_publish_crr_command_regenerates_now(client, capsys):
    write(factory_status(received=NOW, max_processors=8))
    with time_machine.travel(NOW + 5, tick=False):
        call_command("publish_crr")
    assert f"{SITE}/{SPACE}: published crr-1.5, vacmon-2019" in capsys.readouterr().out
    assert client.get(f"/crr/{SITE}/{SPACE}/crr.json").status_code == 200


def test_the_beat_entry_names_the_registered_fan_out_task(settings):
    from vacmon.celery import app
    from vacmon.publisher import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["publish-crr"]
    assert entry["task"] == tasks.publish_all.name
    assert entry["schedule"] == services.PERIOD_SECONDS
    assert tasks.publish_all.name in app.tasks


def test_the_fan_out_task_publishes_every_space_through_its_tasks(client, fleet):
    from vacmon.celery import app
    from vacmon.publisher import tasks

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with time_machine.travel(NOW + 5, tick=False):
            assert tasks.publish_all.delay().get() == len(fleet)
    finally:
        app.conf.task_always_eager = eager
    for site, space in fleet:
        assert client.get(f"/crr/{site}/{space}/crr.json").status_code == 200
    assert client.get("/crr/SITE-1/crr.json").status_code == 200
