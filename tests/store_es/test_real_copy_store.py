"""`manage.py copy_store --from embedded --to elasticsearch` into a real cluster."""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.core.management import call_command

from tests.builders import factory_status, machine_status, machinetype_status
from tests.store_es.live import unique_prefix
from vacmon.store.elasticsearch import ElasticsearchStore
from vacmon.store.embedded import EmbeddedStore
from vacmon.store.embedded.tables import MODELS

pytestmark = [pytest.mark.elasticsearch, pytest.mark.django_db]

URL = os.environ.get("ELASTICSEARCH_URL", "")
if not URL:
    pytest.skip(
        "SKIPPED LOUDLY: ELASTICSEARCH_URL is not set, so copy_store did not meet a real server",
        allow_module_level=True,
    )
T0 = 1_700_000_000 - 1_700_000_000 % 3600


def a_stored_fleet() -> None:
    messages = []
    for i in range(40):
        t = T0 + 300 * i
        for f in range(3):
            factory = f"f{f}.example.ac.uk"
            messages.append(factory_status(received=t, factory=factory))
            messages.append(machinetype_status(received=t, factory=factory, machinetype="lhcb"))
        messages.append(machine_status(received=t, machine=f"vm{i}.example.ac.uk"))
    EmbeddedStore().write(messages)


def copy(settings, tmp_path, prefix: str) -> str:
    settings.ELASTICSEARCH_URL = URL
    settings.ELASTICSEARCH_PREFIX = prefix
    settings.ELASTICSEARCH_LIFECYCLE = "none"  # the test distribution has no lifecycle
    settings.VACMON_SPOOL_DIR = str(tmp_path / "spool")
    out = StringIO()
    call_command(
        "copy_store",
        "--from",
        "embedded",
        "--to",
        "elasticsearch",
        "--batch-size",
        "50",
        "--no-progress",
        stdout=out,
    )
    return out.getvalue()


def counts_in(prefix: str) -> dict[str, int]:
    store = ElasticsearchStore.from_settings()
    try:
        store.client.indices.refresh(index=f"{prefix}*")
        return {
            message_type: store.client.count(index=f"{prefix}{message_type}")["count"]
            for message_type in MODELS
        }
    finally:
        store.close()


def test_copy_store_copies_a_real_embedded_store_and_the_counts_match(settings, tmp_path):
    a_stored_fleet()
    prefix = unique_prefix()
    embedded = {message_type: model.objects.count() for message_type, model in MODELS.items()}

    out = copy(settings, tmp_path, prefix)

    total = sum(embedded.values())
    assert f"copied {total} messages: {total} new, 0 already there, 0 refused" in out
    assert counts_in(prefix) == embedded
    assert embedded == {"factory_status": 120, "machinetype_status": 120, "machine_status": 40}


def test_a_second_copy_into_a_real_cluster_finds_everything_already_there(settings, tmp_path):
    a_stored_fleet()
    prefix = unique_prefix()
    copy(settings, tmp_path, prefix)

    out = copy(settings, tmp_path, prefix)

    assert "copied 280 messages: 0 new, 280 already there, 0 refused" in out
    assert sum(counts_in(prefix).values()) == 280
