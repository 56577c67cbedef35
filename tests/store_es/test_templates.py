from __future__ import annotations

import pytest

from factories.messages.schema import FIELDS, MESSAGE_TYPES
from vacmon.store.es import templates


def test_it_names_one_data_stream_per_message_type_under_the_prefix():
    assert templates.all_streams("vacmon-") == [
        "vacmon-factory_status",
        "vacmon-machinetype_status",
        "vacmon-machine_status",
    ]


def test_it_refuses_a_prefix_that_cannot_name_a_data_stream():
    for bad in ("VacMon-", "-vacmon", "_x", "a b", "a*", ""):
        with pytest.raises(ValueError):
            templates.check_prefix(bad)
    assert templates.check_prefix("site1.vacmon-") == "site1.vacmon-"


def test_it_accepts_only_whole_time_units_as_retention():
    assert templates.check_retention("30d") == "30d"
    for bad in ("30", "0d", "1.5d", "30 days", "-1d"):
        with pytest.raises(ValueError):
            templates.check_retention(bad)


@pytest.mark.parametrize("message_type", MESSAGE_TYPES)
def test_it_maps_every_schema_field_explicitly_and_nothing_dynamically(message_type):
    mappings = templates.mappings(message_type)
    assert mappings["dynamic"] is False
    properties = mappings["properties"]
    assert set(FIELDS[message_type]) <= set(properties)
    assert properties["@timestamp"] == {"type": "date"}
    assert properties["raw"] == {"type": "object", "enabled": False}
    assert properties["time_sent"]["type"] == "date"
    assert properties["time_sent"]["format"] == "epoch_second"


def test_it_types_fields_by_their_schema_kind():
    properties = templates.mappings("factory_status")["properties"]
    assert properties["site"] == {"type": "keyword", "ignore_above": 1024}
    assert properties["running_processors"]["type"] == "long"
    assert properties["load_average"]["type"] == "double"
    assert properties["boot_time"]["type"] == "date"
    assert properties["running_processors"]["ignore_malformed"] is True


def test_a_dsl_template_makes_a_data_stream_above_builtin_priorities_with_retention():
    body = templates.index_template("vacmon-", "machine_status", lifecycle="dsl", retention="14d")
    assert body["index_patterns"] == ["vacmon-machine_status"]
    assert body["data_stream"] == {}
    assert body["priority"] > 200
    assert body["template"]["lifecycle"] == {"data_retention": "14d"}
    assert body["composed_of"] == ["vacmon-settings", "vacmon-custom"]
    assert body["ignore_missing_component_templates"] == ["vacmon-custom"]
    assert body["template"]["mappings"]["dynamic"] is False


def test_an_ilm_template_leaves_retention_to_the_policy_named_in_the_settings():
    body = templates.index_template("v-", "factory_status", lifecycle="ilm", retention="14d")
    assert "lifecycle" not in body["template"]
    settings = templates.settings_component("v-", "ilm")["template"]["settings"]
    assert settings["index.lifecycle.name"] == "v-raw"
    assert (
        "index.lifecycle.name"
        not in templates.settings_component("v-", "dsl")["template"]["settings"]
    )


def test_it_refuses_an_unknown_lifecycle_kind():
    with pytest.raises(ValueError):
        templates.settings_component("vacmon-", "forever")


def test_the_ilm_policy_rolls_over_and_deletes_after_the_retention():
    phases = templates.ilm_policy("45d")["policy"]["phases"]
    assert phases["hot"]["actions"]["rollover"]["max_age"] == "1d"
    assert phases["delete"] == {"min_age": "45d", "actions": {"delete": {}}}


def test_lifecycle_none_installs_neither_a_stream_lifecycle_nor_an_ilm_policy_name():
    body = templates.index_template("v-", "factory_status", lifecycle="none", retention="14d")
    assert "lifecycle" not in body["template"]
    settings = templates.settings_component("v-", "none")["template"]["settings"]
    assert "index.lifecycle.name" not in settings


def test_raw_messages_are_stored_with_the_default_codec_so_scattered_fetches_stay_fast():
    # best_compression made fetching 1,000 machine messages 4.5x slower (docs/elasticsearch.md).
    for lifecycle in templates.LIFECYCLES:
        settings = templates.settings_component("v-", lifecycle)["template"]["settings"]
        assert settings["index.codec"] == "default"
