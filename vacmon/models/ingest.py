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
