"""`manage.py copy_store` from the embedded tables into a fake Elasticsearch server."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests import samples
from tests.store_es.fake_server import bulk_reply, error_reply
from tests.store_es.messages import factories, sample
from vacmon.store.embedded import EmbeddedStore
from vacmon.store.es import builders


def stored_messages():
    messages = [
        *factories(3),
        sample(samples.VAC_MACHINETYPE),
        sample(samples.VCYCLE_MACHINETYPE),
        sample(samples.VAC_MACHINE_FINISHED),
    ]
    EmbeddedStore().write(messages)
    return messages


def sent_actions(server):
    """The message documents sent (not the latest-state writes beside them)."""
    return [
        line for r in server.seen("PUT", r"/_bulk") for line in r.ndjson()[0::2] if "create" in line
    ]


@pytest.mark.django_db
def test_it_copies_every_embedded_message_in_batches_with_progress(fake_es, settings, tmp_path):
    messages = stored_messages()
    server = fake_es()
    server.on("PUT", r"/_bulk", bulk_reply(201))
    settings.ELASTICSEARCH_URL = server.url
    settings.VACMON_SPOOL_DIR = str(tmp_path)
    out, err = StringIO(), StringIO()

    call_command(
        "copy_store",
        "--from",
        "embedded",
        "--to",
        "elasticsearch",
        "--batch-size",
        "2",
        stdout=out,
        stderr=err,
    )

    actions = sent_actions(server)
    assert sorted(a["create"]["_id"] for a in actions) == sorted(
        builders.doc_id(m) for m in messages
    )
    batches = [
        sum("create" in line for line in r.ndjson()[0::2]) for r in server.seen("PUT", r"/_bulk")
    ]
    assert batches == [2, 1, 2, 1]
    streams = {a["create"]["_index"] for a in actions}
    assert streams == {
        "vacmon-factory_status",
        "vacmon-machinetype_status",
        "vacmon-machine_status",
    }
    assert "copied 6 messages: 6 new, 0 already there, 0 refused" in out.getvalue()
    assert "factory_status      [##############################] 3/3 100%" in err.getvalue()


@pytest.mark.django_db
def test_a_second_copy_finds_everything_already_there(fake_es, settings, tmp_path):
    stored_messages()
    server = fake_es()
    server.on("PUT", r"/_bulk", bulk_reply(409))
    settings.ELASTICSEARCH_URL = server.url
    settings.VACMON_SPOOL_DIR = str(tmp_path)
    out = StringIO()
    call_command(
        "copy_store", "--from", "embedded", "--to", "elasticsearch", "--no-progress", stdout=out
    )
    assert "copied 6 messages: 0 new, 6 already there, 0 refused" in out.getvalue()


@pytest.mark.django_db
def test_it_stops_with_a_resumable_error_when_the_cluster_refuses(fake_es, settings, tmp_path):
    stored_messages()
    server = fake_es()
    server.on("PUT", r"/_bulk", error_reply(403, "security_exception"))
    settings.ELASTICSEARCH_URL = server.url
    settings.VACMON_SPOOL_DIR = str(tmp_path)
    with pytest.raises(
        CommandError, match=r"stopped after 0 of 3 factory_status .* Run the command again"
    ):
        call_command("copy_store", "--from", "embedded", "--to", "elasticsearch", "--no-progress")


def test_it_needs_a_cluster_to_copy_to(settings):
    settings.ELASTICSEARCH_URL = ""
    with pytest.raises(CommandError, match="ELASTICSEARCH_URL is not set"):
        call_command("copy_store", "--from", "embedded", "--to", "elasticsearch")
