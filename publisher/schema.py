"""Our JSON Schemas (draft-07) for the documents we publish, written from the field
tables of spec crr-etf-sam 1.2 (CRR v1.5) and vac-protocol 5.2 (VacMon 2019).

They are plain Python so that each constraint reads next to the table row it comes from.
CRR v1.5 closes every object (`additionalProperties: false`) and keys resources, shares
and access points by free-form identifiers (a pattern matching any key).
"""

from __future__ import annotations

from publisher.jsontypes import JsonObject, JsonValue

RESOURCE_TYPES = ["batch", "vacuum"]
JOBMANAGERS = ["condor", "torque", "VAC", "uk.ac.gridpp.vcycle", "sge", "slurm", "lsf"]
STATUSES = ["development", "pre-production", "testing", "production"]
FLAVOURS = ["ARC-CE", "HTCondor-CE", "CREAM-CE", "VAC", "uk.ac.gridpp.vcycle"]
LEGACY_FLAVOURS = ["uk.ac.gridpp.vac", "uk.ac.gridpp.vcycle"]
# v1.5 gives `site` the pattern below: any single line (`.` does not match a newline).
SITE_PATTERN = "^(.*)$"


def _string(**constraints: JsonValue) -> JsonObject:
    return {"type": "string", **constraints}


def _json_list(values: list[str]) -> list[JsonValue]:
    return list(values)


def _enum(values: list[str]) -> JsonObject:
    return _string(enum=_json_list(values))


def _number() -> JsonObject:
    return {"type": "number"}


def _strings() -> JsonObject:
    return {"type": "array", "items": _string()}


def _closed(required: list[str], properties: JsonObject) -> JsonObject:
    """An object that must have `required` and may have nothing but `properties`."""
    return {
        "type": "object",
        "required": _json_list(required),
        "properties": properties,
        "additionalProperties": False,
    }


def _keyed(value: JsonObject) -> JsonObject:
    """An object keyed by free-form identifiers, every value matching `value`."""
    return {"type": "object", "patternProperties": {"^.*$": value}, "additionalProperties": False}


def _document(resource: JsonObject) -> JsonObject:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "required": ["computingresources"],
        "properties": {"computingresources": _keyed(resource)},
        "additionalProperties": False,
    }


def _crr15_resource() -> JsonObject:
    share = _closed(
        ["type"],
        {
            # Free text in v1.5; we publish "machinetype".
            "type": _string(),
            "assigned_vos": _strings(),
            "max_walltime_minutes": _number(),
            "max_memory_gb": _number(),
        },
    )
    accesspoint = _closed(
        ["flavour", "version", "endpoint_urls"],
        {
            "flavour": _enum(FLAVOURS),
            "version": _string(),
            "endpoint_urls": _strings(),
            "shares": _strings(),
        },
    )
    fields: JsonObject = {
        "site": _string(pattern=SITE_PATTERN),
        "type": _enum(RESOURCE_TYPES),
        "jobmanager": _enum(JOBMANAGERS),
        "jobmanager_version": _string(),
        "status": _enum(STATUSES),
        "number_logical_cpus": _number(),
        "capacity_hs06": _number(),
        "os": _string(),
        "coprocessor": _string(const="GPU"),
        "max_walltime_minutes": _number(),
        "max_memory_gb": _number(),
        "assigned_vos": _strings(),
        "comment": _string(),
        "publication_time": _number(),
        "accesspoints": _keyed(accesspoint),
        "shares": _keyed(share),
    }
    optional = {"coprocessor", "comment", "accesspoints", "shares"}
    return _closed([name for name in fields if name not in optional], fields)


def _legacy_resource() -> JsonObject:
    share = _closed(
        ["type"],
        {
            "type": _string(),
            "assigned_vos": _strings(),
            "max_walltime_minutes": _number(),
            "max_main_memory_GB": _number(),
        },
    )
    accesspoint = _closed(
        ["flavour", "version", "endpoint_urls"],
        {"flavour": _enum(LEGACY_FLAVOURS), "version": _string(), "endpoint_urls": _strings()},
    )
    fields: JsonObject = {
        "site": _string(pattern=SITE_PATTERN),
        "type": _enum(["vacuum"]),
        "jobmanager": _enum(LEGACY_FLAVOURS),
        "jobmanager_version": _string(),
        "status": _enum(STATUSES),
        "number_logical_cpus": _number(),
        "capacity_HS06": _number(),
        "publication_time": _number(),
        "shares": _keyed(share),
        "accesspoints": _keyed(accesspoint),
    }
    return _closed([name for name in fields if name != "capacity_HS06"], fields)


CRR_1_5_SCHEMA: JsonObject = _document(_crr15_resource())
VACMON_2019_SCHEMA: JsonObject = _document(_legacy_resource())
