"""CRR publication: per-space settings, publication state, documents and failures.

A *target* is one published URL: a space (`/crr/<site>/<space>/crr.json`) or, with
`space == ""`, the site aggregate (`/crr/<site>/crr.json`). Every target has one row in
CrrTarget, which carries the claim that keeps two workers from publishing it twice in one
period, and its failure counters. Documents are stored whole, so serving never builds.
"""

from __future__ import annotations

from django.db import models

from publisher import STATUS_CHOICES, CrrFormat

SITE_AGGREGATE = ""
"""The `space` of a site-aggregate target or document."""


class CrrSpaceSettings(models.Model):
    """What an operator says about a space; a row with the defaults validates."""

    site = models.CharField(max_length=255, help_text="the site name the factories send")
    space = models.CharField(max_length=255)
    gocdb_site = models.CharField(
        max_length=255, blank=True, default="", help_text="published `site`; blank: as sent"
    )
    os = models.CharField(max_length=255, default="not relevant")
    status = models.CharField(
        max_length=32, choices=[(s, s) for s in STATUS_CHOICES], default="production"
    )
    comment = models.CharField(max_length=1024, blank=True, default="")
    assigned_vos = models.JSONField(
        default=dict,
        blank=True,
        help_text='machinetype -> VOs replacing the FQAN\'s, e.g. {"lhcb": ["lhcb"]}',
    )
    publish = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "CRR space settings"
        verbose_name_plural = "CRR space settings"
        ordering = ["site", "space"]
        constraints = [
            models.UniqueConstraint(fields=["site", "space"], name="crr_settings_space"),
        ]

    def __str__(self) -> str:
        return f"{self.site}/{self.space}"


class CrrTarget(models.Model):
    site = models.CharField(max_length=255)
    space = models.CharField(max_length=255, blank=True)  # "" = the site aggregate
    # Epoch seconds of the last period claimed by a worker: a claim is the conditional
    # UPDATE `claimed_tick < tick -> tick`, so one period is published at most once.
    claimed_tick = models.BigIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failure_count = models.PositiveIntegerField(default=0, help_text="refusals since created")
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "CRR publication target"
        ordering = ["site", "space"]
        constraints = [
            models.UniqueConstraint(fields=["site", "space"], name="crr_target_key"),
        ]

    def __str__(self) -> str:
        return f"{self.site}/{self.space or '(site)'}"


class PublishedDocument(models.Model):
    """One generated version. `valid=False` rows are refused candidates, kept so the
    operator can read what was wrong; `current` marks the one version being served."""

    site = models.CharField(max_length=255)
    space = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=16, choices=[(f.value, f.value) for f in CrrFormat])
    body = models.TextField()
    etag = models.CharField(max_length=40)
    published_at = models.DateTimeField()
    valid = models.BooleanField()
    current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            # The serving query: (site, space, format, current=True) -> etag.
            models.Index(fields=["site", "space", "format", "current"], name="crr_doc_serve"),
            models.Index(fields=["site", "space", "format", "-published_at"], name="crr_doc_hist"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "space", "format"],
                condition=models.Q(current=True),
                name="crr_doc_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site}/{self.space or '(site)'} {self.format} {self.published_at:%F %T}"


class PublicationFailure(models.Model):
    """A generation that was not published; `issues` lists the validator's findings."""

    site = models.CharField(max_length=255)
    space = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=16)
    failed_at = models.DateTimeField()
    issues = models.JSONField(default=list)
    document = models.ForeignKey(
        PublishedDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-failed_at", "-id"]
        indexes = [models.Index(fields=["site", "space", "-failed_at"], name="crr_fail_recent")]

    def __str__(self) -> str:
        return f"{self.site}/{self.space or '(site)'} {self.format} {self.failed_at:%F %T}"
