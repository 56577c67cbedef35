"""The per-source budget of new names: over it, messages are refused as name_budget,
counted, and shown on the site's admin page; names already known cost nothing."""

from __future__ import annotations

import json
import time

import pytest
from django.contrib.auth.models import User

from factories.messages import Rejected
from tests.builders import factory_status, machinetype_status
from tests.samples import VAC_FACTORY
from vacmon.ingest.counters import read_all
from vacmon.ingest.http import name_budget
from vacmon.ingest.names import WINDOW_SECONDS, NameBudget
from vacmon.models import NameBudgetRefusal, Site, SiteMembership

NOW = 1_800_000_000.0


def factory(n: int, site: str = "S") -> object:
    return factory_status(received=int(NOW), site=site, space="sp", factory=f"f{n}")


def test_a_source_may_introduce_names_up_to_its_budget():
    budget = NameBudget(per_hour=4)
    budget.check(factory(1), "10.0.0.1", NOW)  # site, space and factory: three names
    budget.check(factory(2), "10.0.0.1", NOW)  # one new factory: the budget is spent
    with pytest.raises(Rejected) as refused:
        budget.check(factory(3), "10.0.0.1", NOW)
    assert refused.value.reason == "name_budget"
    budget.check(factory(1), "10.0.0.1", NOW)  # a known name still passes


def test_names_already_known_cost_nothing():
    budget = NameBudget(per_hour=3)
    for _ in range(100):
        budget.check(factory(1), "10.0.0.1", NOW)
        budget.check(factory(1), "10.0.0.2", NOW)


def test_a_name_forgotten_among_many_newer_ones_costs_the_budget_again():
    # 3 + 19 names spend the budget exactly; only the newest few are remembered.
    budget = NameBudget(per_hour=22, known_limit=10)
    for n in range(20):
        budget.check(factory(n), "10.0.0.1", NOW)
    budget.check(factory(19), "10.0.0.1", NOW)  # still known: free
    with pytest.raises(Rejected):
        budget.check(factory(0), "10.0.0.1", NOW)  # forgotten: new again, over budget


def test_machinetypes_count_and_each_source_has_its_own_budget():
    budget = NameBudget(per_hour=4)
    message = machinetype_status(received=int(NOW), site="S", space="sp", factory="f1")
    budget.check(message, "10.0.0.1", NOW)  # four names
    with pytest.raises(Rejected):
        budget.check(factory(2), "10.0.0.1", NOW)
    budget.check(factory(2), "10.0.0.2", NOW)


def test_the_budget_is_renewed_every_hour():
    budget = NameBudget(per_hour=3)
    budget.check(factory(1), "10.0.0.1", NOW)
    with pytest.raises(Rejected):
        budget.check(factory(2), "10.0.0.1", NOW + 10)
    budget.check(factory(2), "10.0.0.1", NOW + WINDOW_SECONDS)


def post(client, site: str, factory_name: str):
    body = json.loads(VAC_FACTORY)
    body.update(site=site, space="sp", factory=factory_name, time_sent=int(time.time()))
    return client.post("/api/v1/messages", body, content_type="application/json")


@pytest.mark.django_db
def test_http_messages_over_the_budget_are_refused_counted_and_shown_to_the_site_admin(
    client, settings
):
    settings.VACMON_NAME_BUDGET = 4
    site = Site.objects.create(name="FLOOD")
    assert post(client, "FLOOD", "f1").status_code == 202  # three new names
    assert post(client, "FLOOD", "f2").status_code == 202  # the fourth
    refused = post(client, "FLOOD", "f3")
    assert refused.status_code == 400
    assert refused.json()["items"][0]["reason"] == "name_budget"
    assert post(client, "INVENTED", "f1").status_code == 400
    name_budget().on_refused.flush(time.time())  # type: ignore[union-attr]
    assert read_all()[("http", "rejected", "name_budget")] == 2
    row = NameBudgetRefusal.objects.get(site="FLOOD")
    assert (row.source, row.refused) == ("127.0.0.1", 1)
    # A site nobody registered folds into one row per source.
    assert NameBudgetRefusal.objects.get(site="").refused == 1
    admin = User.objects.create(username="alice", is_staff=True)
    SiteMembership.objects.create(user=admin, site=site, role="admin")
    client.force_login(admin)
    page = client.get(f"/admin/vacmon/site/{site.pk}/change/").content.decode()
    assert "Refused over the name budget" in page
    assert "127.0.0.1: 1 refused" in page


@pytest.mark.django_db
def test_no_budget_when_it_is_set_to_zero(client, settings):
    settings.VACMON_NAME_BUDGET = 0
    for n in range(5):
        assert post(client, "OPEN", f"f{n}").status_code == 202


def test_the_udp_parser_refuses_and_counts_datagrams_over_the_budget():
    from vacmon.ingest.counters import Counters
    from vacmon.ingest.pipeline import Parser

    counters = Counters()
    parser = Parser(counters, "udp", names=NameBudget(per_hour=3))
    for n in range(2):
        body = json.loads(VAC_FACTORY)
        body.update(factory=f"f{n}", time_sent=int(time.time()))
        outcome = parser.parse(json.dumps(body).encode(), "10.0.0.9", time.time())
    assert outcome.rejection is not None and outcome.rejection.reason == "name_budget"
    assert counters.total("udp", "rejected", "name_budget") == 1


def test_a_flood_of_forged_sources_within_the_hour_keeps_the_windows_bounded():
    budget = NameBudget(per_hour=10, known_limit=100)
    for n in range(5_000):
        budget.check(factory(n, site=f"S{n}"), f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", NOW)
        assert len(budget._spent) <= 101
    # The newest sources keep their windows: this one has spent its 3 names of 10.
    budget.check(factory(1, site="S4999b"), "10.0.19.135", NOW + 1)
    assert budget._spent["10.0.19.135"].new_names == 6
