"""Serializers of the probe API: configuration in, plain values out."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from probes.model import ProbeError
from vacmon.models import Downtime, ProbeDefinition, ProbeEndpoint, ProbeResult
from vacmon.probes.definitions import check_definition
from vacmon.trust.roles import is_operator

HIDDEN = "(hidden)"


class DefinitionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ProbeDefinition
        fields = [
            "id",
            "metric",
            "builtin",
            "target_kind",
            "flavour",
            "interval",
            "timeout",
            "thresholds",
            "vo",
            "executable",
            "args",
            "env",
            "options",
            "critical",
            "enabled",
        ]

    def to_representation(self, instance: ProbeDefinition) -> dict[str, Any]:
        # A plugin's environment may hold passwords: only operators see its values.
        data: dict[str, Any] = super().to_representation(instance)
        request = self.context.get("request")
        if not is_operator(getattr(request, "user", None)):
            data["env"] = dict.fromkeys(data.get("env") or {}, HIDDEN)
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current = (
            {f: getattr(self.instance, f) for f in self.Meta.fields[1:]} if self.instance else {}
        )
        candidate = ProbeDefinition(**{**current, **attrs})
        try:
            check_definition(candidate)
        except ProbeError as error:
            raise serializers.ValidationError({"definition": str(error)}) from None
        return attrs


class EndpointSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ProbeEndpoint
        fields = ["id", "hostname", "flavour", "site", "enabled"]


class DowntimeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Downtime
        fields = ["id", "hostname", "flavour", "start", "end", "classification", "description"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start is not None and end is not None and end <= start:
            raise serializers.ValidationError({"end": "a downtime must end after it starts"})
        return attrs


class ResultSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ProbeResult
        fields = [
            "id",
            "metric",
            "hostname",
            "flavour",
            "site",
            "target_kind",
            "status",
            "summary",
            "details",
            "perfdata",
            "vo",
            "vo_fqan",
            "timestamp",
            "due_at",
            "started_at",
            "finished_at",
            "lateness",
        ]
