"""Names, mappings, index templates and lifecycle policies (pure builders).

One data stream per message type, each created by its own composable index template. The
mappings are generated from the message schema in `factories.messages.schema`, so a field
added there is indexed here without a second list to keep in step.
"""

from __future__ import annotations

import re
from typing import Any

from factories.messages.schema import FIELDS, MESSAGE_TYPES, Kind

# Bumped whenever a template or policy body changes; stored in `version` and `_meta`, and
# compared by check_store to tell an out-of-date installation from a current one.
TEMPLATE_VERSION = 3

# Built-in templates (logs-*-*, metrics-*-*, ...) use priorities up to 200; ours must win
# even if an operator's prefix happens to overlap one of their patterns.
TEMPLATE_PRIORITY = 500

# "none" leaves retention to the operator: for clusters without data stream lifecycle or
# ILM (stripped distributions), or where retention is managed outside VacMon.
LIFECYCLES = ("dsl", "ilm", "none")

# Strings are capped at 1024 characters by the normaliser; the cap here only protects the
# index should that ever change.
_KEYWORD = {"type": "keyword", "ignore_above": 1024}
# A malformed number or date (say a heartbeat time beyond year 292 million) must not cost us
# the whole message: the field is left unindexed and the raw copy keeps the value.
_BY_KIND: dict[Kind, dict[str, Any]] = {
    Kind.STR: _KEYWORD,
    Kind.INT: {"type": "long", "ignore_malformed": True},
    Kind.FLOAT: {"type": "double", "ignore_malformed": True},
    Kind.TIME: {"type": "date", "format": "epoch_second", "ignore_malformed": True},
}

# Data stream names: lower case, no separators ES reserves, not starting with - _ + or dot.
_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,100}$")
_RETENTION_RE = re.compile(r"^[1-9][0-9]*(d|h|m|s)$")


def check_prefix(prefix: str) -> str:
    if not _PREFIX_RE.match(prefix):
        raise ValueError(
            f"prefix {prefix!r} is not usable in a data stream name "
            "(lower-case letters, digits, '.', '_' and '-', starting with a letter or digit)"
        )
    return prefix


def check_retention(retention: str) -> str:
    """An ES time value such as `30d`; whole units only, as both DSL and ILM accept them."""
    if not _RETENTION_RE.match(retention):
        raise ValueError(f"retention {retention!r} must look like 30d, 36h, 90m or 600s")
    return retention


def stream_name(prefix: str, message_type: str) -> str:
    if message_type not in MESSAGE_TYPES:
        raise ValueError(f"unknown message type {message_type!r}")
    return f"{prefix}{message_type}"


def all_streams(prefix: str) -> list[str]:
    return [stream_name(prefix, t) for t in MESSAGE_TYPES]


def template_name(prefix: str, message_type: str) -> str:
    return stream_name(prefix, message_type)


def settings_component_name(prefix: str) -> str:
    return f"{prefix}settings"


def custom_component_name(prefix: str) -> str:
    """An optional component template an operator may create to override shards, replicas
    or anything else without editing code; it is applied after ours."""
    return f"{prefix}custom"


def ilm_policy_name(prefix: str) -> str:
    return f"{prefix}raw"


def mapped_fields(message_type: str) -> dict[str, dict[str, Any]]:
    """Every indexed field of one message type: the schema's fields plus our own."""
    properties: dict[str, dict[str, Any]] = {
        name: dict(_BY_KIND[kind]) for name, kind in FIELDS[message_type].items()
    }
    properties.update(
        {
            "@timestamp": {"type": "date"},
            "key": dict(_KEYWORD),
            "machinetype": dict(_KEYWORD),
            "vo": dict(_KEYWORD),
            "skewed": {"type": "boolean"},
            # Set only on a message sent from beyond the skew window ahead (version 2).
            "ahead": {"type": "boolean"},
            "trusted": {"type": "boolean"},
            # The whole message as accepted, returned on reads but never indexed: queries
            # use the typed top-level copies, and unknown keys cannot explode the mapping.
            "raw": {"type": "object", "enabled": False},
        }
    )
    return properties


def mappings(message_type: str) -> dict[str, Any]:
    return {
        "dynamic": False,
        "_meta": {"managed_by": "vacmon", "version": TEMPLATE_VERSION},
        "properties": dict(sorted(mapped_fields(message_type).items())),
    }


def settings_component(prefix: str, lifecycle: str) -> dict[str, Any]:
    """Index settings shared by the three streams, as a component template body."""
    if lifecycle not in LIFECYCLES:
        raise ValueError(f"lifecycle must be one of {LIFECYCLES}, not {lifecycle!r}")
    settings: dict[str, Any] = {
        # Status traffic is small (a few GB a day for thousands of factories): one primary
        # shard per backing index keeps the shard count low; rollover bounds its size.
        "index.number_of_shards": 1,
        # The default codec (LZ4), not best_compression: the machines and factory pages
        # fetch 1,000-3,000 scattered documents, and best_compression's large blocks made
        # that fetch 4.5x slower (73 ms against 16 ms for 1,000 machine messages) for a
        # third less disk. An operator short of disk sets it back in `vacmon-custom`.
        "index.codec": "default",
    }
    if lifecycle == "ilm":
        settings["index.lifecycle.name"] = ilm_policy_name(prefix)
    return {
        "template": {"settings": settings},
        "version": TEMPLATE_VERSION,
        "_meta": {"managed_by": "vacmon", "description": "VacMon status data streams"},
    }


def index_template(
    prefix: str, message_type: str, *, lifecycle: str, retention: str
) -> dict[str, Any]:
    """The composable index template that creates one message type's data stream."""
    template: dict[str, Any] = {"mappings": mappings(message_type)}
    if lifecycle == "dsl":
        template["lifecycle"] = {"data_retention": check_retention(retention)}
    custom = custom_component_name(prefix)
    return {
        # The exact stream name, not a wildcard: nothing else can match by accident.
        "index_patterns": [stream_name(prefix, message_type)],
        "data_stream": {},
        "priority": TEMPLATE_PRIORITY,
        "composed_of": [settings_component_name(prefix), custom],
        "ignore_missing_component_templates": [custom],
        "template": template,
        "version": TEMPLATE_VERSION,
        "_meta": {"managed_by": "vacmon", "message_type": message_type},
    }


def side_index_template(
    prefix: str, index: str, properties: dict[str, Any], *, version: int, holds: str
) -> dict[str, Any]:
    """The index template of one of VacMon's plain side indices (rollups, latest state):
    explicit mappings and the operator's custom component (replicas, say); not the raw
    streams' settings, whose ILM policy would try to roll over an index that is no data
    stream."""
    custom = custom_component_name(prefix)
    return {
        "index_patterns": [index],
        "priority": TEMPLATE_PRIORITY,
        "composed_of": [custom],
        "ignore_missing_component_templates": [custom],
        "template": {
            "settings": {"index.number_of_shards": 1},
            "mappings": {
                "dynamic": False,
                "_meta": {"managed_by": "vacmon", "version": version},
                "properties": properties,
            },
        },
        "version": version,
        "_meta": {"managed_by": "vacmon", "holds": holds},
    }


def ilm_policy(retention: str) -> dict[str, Any]:
    """Roll over daily (or at 50 GB) and delete a backing index `retention` after its
    rollover, so data lives between `retention` and `retention` + 1 day."""
    return {
        "policy": {
            "_meta": {"managed_by": "vacmon", "version": TEMPLATE_VERSION},
            "phases": {
                "hot": {
                    "actions": {"rollover": {"max_age": "1d", "max_primary_shard_size": "50gb"}}
                },
                "delete": {
                    "min_age": check_retention(retention),
                    "actions": {"delete": {}},
                },
            },
        }
    }
