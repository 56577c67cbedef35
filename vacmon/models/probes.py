"""Probe configuration, results, downtimes, daily A/R and the publication outbox (spec 2, 3).

Result times are epoch seconds, as in the probe core and the status tables, so timelines and
A/R work on plain numbers; downtimes are entered by people and use datetimes.
"""

from __future__ import annotations

from django.db import models

TARGET_KINDS = [
    ("site", "site"),
    ("space", "space"),
    ("factory", "factory"),
    ("endpoint", "endpoint"),
]
STATUSES = [(s, s) for s in ("OK", "WARNING", "CRITICAL", "UNKNOWN")]


class ProbeDefinition(models.Model):
    """One metric run every `interval` seconds against every target of its kind.

    A built-in probe names its check in `builtin`; an external one names a Nagios plugin in
    `executable`, whose `args` may use the macros $HOSTNAME$, $SITE$ and $FLAVOUR$.
    """

    metric = models.CharField(max_length=255, unique=True)
    builtin = models.CharField(max_length=64, blank=True, default="")
    target_kind = models.CharField(max_length=16, choices=TARGET_KINDS)
    # Blank for space/factory probes: the flavour then follows the daemon (VAC or VCYCLE).
    flavour = models.CharField(max_length=64, blank=True, default="")
    interval = models.PositiveIntegerField(default=300)
    timeout = models.PositiveIntegerField(default=60)
    # {"label": {"warning": "~:300", "critical": "~:600"}} in Nagios range syntax.
    thresholds = models.JSONField(default=dict, blank=True)
    vo = models.CharField(max_length=64, blank=True, default="")
    executable = models.CharField(max_length=1024, blank=True, default="")
    args = models.JSONField(default=list, blank=True)
    env = models.JSONField(default=dict, blank=True)
    # Built-in extras: {"minimums": {"Vac": "03.00.00"}}, {"window_hours": 6}.
    options = models.JSONField(default=dict, blank=True)
    # Critical metrics form the metric profile that A/R is computed from.
    critical = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["metric"]

    def __str__(self) -> str:
        return self.metric


class ProbeEndpoint(models.Model):
    """A service endpoint from the topology; endpoint probes of its flavour run against it."""

    hostname = models.CharField(max_length=255)
    flavour = models.CharField(max_length=64)
    site = models.CharField(max_length=255, blank=True, default="")
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hostname", "flavour"], name="probeendpoint_key")
        ]

    def __str__(self) -> str:
        return f"{self.hostname} ({self.flavour})"


class ProbeResult(models.Model):
    """The canonical record of spec 2.7, plus when the run was due and how late it started."""

    definition = models.ForeignKey(
        ProbeDefinition, null=True, blank=True, on_delete=models.SET_NULL
    )
    metric = models.CharField(max_length=255)
    hostname = models.CharField(max_length=255)
    flavour = models.CharField(max_length=64)
    site = models.CharField(max_length=255, blank=True, default="")
    target_kind = models.CharField(max_length=16, choices=TARGET_KINDS)
    status = models.CharField(max_length=8, choices=STATUSES)
    summary = models.TextField()
    details = models.TextField(blank=True, default="")
    perfdata = models.JSONField(default=list, blank=True)
    vo = models.CharField(max_length=64, blank=True, default="")
    vo_fqan = models.CharField(max_length=255, blank=True, default="")
    monitoring_host = models.CharField(max_length=255, blank=True, default="")
    timestamp = models.BigIntegerField()
    due_at = models.FloatField(null=True, blank=True)
    started_at = models.FloatField()
    finished_at = models.FloatField()
    lateness = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["metric", "hostname", "flavour", "timestamp"]),
            models.Index(fields=["site", "timestamp"]),
            models.Index(fields=["timestamp"]),
            models.Index(fields=["started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.hostname} {self.status}"


class Downtime(models.Model):
    """A downtime of one endpoint; only scheduled ones turn it DOWNTIME (spec 3.6)."""

    hostname = models.CharField(max_length=255)
    flavour = models.CharField(max_length=64)
    start = models.DateTimeField()
    end = models.DateTimeField()
    classification = models.CharField(
        max_length=16,
        choices=[("scheduled", "scheduled"), ("unscheduled", "unscheduled")],
        default="scheduled",
    )
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="downtime_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["hostname", "flavour", "start"])]

    def __str__(self) -> str:
        return f"{self.hostname} ({self.flavour}) {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M}"


class SiteAvailability(models.Model):
    """Daily A/R of one site (spec 3.4); -1 means undefined, never 0."""

    site = models.CharField(max_length=255)
    day = models.DateField()
    uptime = models.FloatField()
    unknown = models.FloatField()
    downtime = models.FloatField()
    availability = models.FloatField()
    reliability = models.FloatField()
    # Which MISSING OR DOWNTIME cell produced the figures (DOWNTIME or MISSING).
    variant = models.CharField(max_length=8)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["site", "day"]
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="siteavailability_key")]

    def __str__(self) -> str:
        return f"{self.site} {self.day}: A={self.availability} R={self.reliability}"


class ProbeMessage(models.Model):
    """Outbox of rendered results for the broker; a row is claimed by a conditional UPDATE
    and deleted only after the broker's receipt, so a broker outage loses nothing."""

    result = models.ForeignKey(ProbeResult, on_delete=models.CASCADE)
    format = models.CharField(max_length=16)  # metricOutput or sam3
    headers = models.JSONField(default=dict)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["claimed_at", "id"])]


class ProbeDispatch(models.Model):
    """The beat's watermark: runs due up to `horizon` have been handed to workers."""

    name = models.CharField(max_length=32, primary_key=True)
    horizon = models.FloatField()
    last_dispatched = models.PositiveIntegerField(default=0)
    last_skipped = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
