"""Tables of the service's own operation, shared by every process: what /metrics reports."""

from __future__ import annotations

from django.db import models


class StoreWriteStat(models.Model):
    """Store write latency as histogram rows shared by every listener process: one row per
    bucket (non-cumulative counts) plus `sum` and `messages`. Rows only ever grow through
    `value = value + x`, so concurrent writers never lose an update."""

    key = models.CharField(max_length=32, primary_key=True)
    value = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
