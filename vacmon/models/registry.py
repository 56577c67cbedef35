"""The registry of sites, spaces and factories, who may manage them, and how their data is
trusted: UDP policy, source networks, HMAC keys and HTTP ingest tokens (spec 8, 9.1).

Sites are keyed by the `site` name the factories send, so a registry row and the status
tables meet on plain strings; a site that is not registered is simply "open".
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

POLICY_OPEN = "open"
POLICY_NETWORKS = "networks"
POLICY_SIGNED = "signed"
UDP_POLICIES = [
    (POLICY_OPEN, "open: accept everything, unsigned data untrusted (legacy)"),
    (POLICY_NETWORKS, "networks: unsigned data only from the listed networks"),
    (POLICY_SIGNED, "signed: a valid HMAC with one of the site's keys is required"),
]

ROLE_ADMIN = "admin"
ROLE_SENDER = "sender"
ROLE_VIEWER = "viewer"
ROLES = [
    (ROLE_ADMIN, "admin: manages the site, may send and read"),
    (ROLE_SENDER, "sender: may send status data for the site"),
    (ROLE_VIEWER, "viewer: may read"),
]


def validate_cidr(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValidationError(f"{value!r} is not an IPv4 or IPv6 network (CIDR)") from None


class Site(models.Model):
    name = models.CharField(max_length=255, unique=True, help_text="as factories send it")
    udp_policy = models.CharField(max_length=16, choices=UDP_POLICIES, default=POLICY_OPEN)
    # None follows VACMON_CRR_TRUSTED_ONLY; True/False overrides it for this site.
    crr_trusted_only = models.BooleanField(null=True, blank=True, default=None)
    description = models.CharField(max_length=1024, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Space(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="spaces")
    name = models.CharField(max_length=255)
    # Blank follows the site's policy; a space may be stricter (or looser) than its site.
    udp_policy = models.CharField(max_length=16, choices=UDP_POLICIES, blank=True, default="")

    class Meta:
        ordering = ["site__name", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="trust_space_key")]

    def __str__(self) -> str:
        return f"{self.site.name}/{self.name}"


class Factory(models.Model):
    """Optional: a known factory, for inventories; ingest never requires one."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="factories")
    name = models.CharField(max_length=255)
    comment = models.CharField(max_length=1024, blank=True, default="")

    class Meta:
        verbose_name_plural = "factories"
        ordering = ["space__site__name", "space__name", "name"]
        constraints = [models.UniqueConstraint(fields=["space", "name"], name="trust_factory_key")]

    def __str__(self) -> str:
        return f"{self.space}/{self.name}"


class SiteNetwork(models.Model):
    """A source network allowed to send unsigned datagrams for a `networks` site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="networks")
    cidr = models.CharField(max_length=64, validators=[validate_cidr])
    comment = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["site__name", "cidr"]
        constraints = [models.UniqueConstraint(fields=["site", "cidr"], name="trust_network_key")]

    def __str__(self) -> str:
        return f"{self.site.name} {self.cidr}"


class SigningKey(models.Model):
    """A shared HMAC key: the UTF-8 bytes of `secret`, as the factory library's `--key`
    takes it. The receiver needs the key itself to verify, so unlike tokens it cannot be
    stored hashed: protect the database (and its backups) accordingly."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="keys")
    key_id = models.CharField(
        max_length=64, blank=True, default="", help_text="blank: messages without key_id"
    )
    secret = models.CharField(
        max_length=256,
        help_text=(
            "e.g. the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        ),
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site__name", "key_id"]
        constraints = [models.UniqueConstraint(fields=["site", "key_id"], name="trust_key_id")]

    def __str__(self) -> str:
        return f"{self.site.name} key {self.key_id or '(default)'}"

    def clean(self) -> None:
        if len(self.secret.encode("utf-8")) < 16:
            raise ValidationError({"secret": "use at least 16 random characters"})

    @property
    def key(self) -> bytes:
        return self.secret.encode("utf-8")


class IngestToken(models.Model):
    """A bearer token for HTTP ingest. Only its sha256 is kept; the token is shown once."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=255, help_text="who uses it, e.g. the factory host")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=16, editable=False, help_text="to recognise it")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["site__name", "name"]

    def __str__(self) -> str:
        return f"{self.site.name} {self.name} ({self.prefix}…)"


class SiteMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_memberships"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=16, choices=ROLES, default=ROLE_VIEWER)

    class Meta:
        ordering = ["site__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "site"], name="trust_membership_key")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.site.name}"
