"""Counters of what the ingest paths accepted, rejected and deduplicated, and the refusals of
the name budget by site and source."""

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


class QuarantinedMessage(models.Model):
    """A message that was accepted but can never be stored (vacmon.ingest.quarantine): its
    bytes as received and why, so an operator can see what was refused and replay it once
    the cause is fixed. Names are what the message claimed, for filtering only."""

    received_at = models.DateTimeField(db_index=True)
    channel = models.CharField(max_length=16)
    source = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=32)
    detail = models.TextField(blank=True)
    message_type = models.CharField(max_length=32, blank=True)
    site = models.CharField(max_length=255, blank=True)
    space = models.CharField(max_length=255, blank=True)
    factory = models.CharField(max_length=255, blank=True)
    raw = models.BinaryField()

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reason} from {self.source} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class NameBudgetRefusal(models.Model):
    """Messages refused because their source went over VACMON_NAME_BUDGET, per site named
    and source. `site` is blank for names of no registered site, so a flood of invented
    site names adds one row per source, not one per name."""

    site = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=64)
    refused = models.PositiveBigIntegerField(default=0)
    first_refused_at = models.DateTimeField()
    last_refused_at = models.DateTimeField()

    class Meta:
        ordering = ["site", "-last_refused_at"]
        constraints = [
            models.UniqueConstraint(fields=["site", "source"], name="trust_name_budget_key")
        ]

    def __str__(self) -> str:
        return f"{self.site or '(unregistered)'} {self.source}: {self.refused} refused"
