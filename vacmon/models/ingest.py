"""Counters of what the ingest paths accepted, rejected and deduplicated."""

from __future__ import annotations

from django.db import models


class IngestCounter(models.Model):
    channel = models.CharField(max_length=16)  # udp or http
    name = models.CharField(max_length=32)  # received, accepted, rejected, duplicates, ...
    reason = models.CharField(max_length=64, default="")
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "name", "reason"], name="counter_key")
        ]
