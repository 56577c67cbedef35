"""Bearer-token callers: who they are and which sites they may send for."""

from __future__ import annotations

from dataclasses import dataclass

from vacmon.trust.oidc import OidcIdentity


@dataclass(frozen=True)
class IngestIdentity:
    """A caller that may send status data: `sites` None means every site (operator)."""

    kind: str  # "token" (a site ingest token) or "jwt"
    subject: str
    sites: frozenset[str] | None

    def may_send_for(self, site: str) -> bool:
        return self.sites is None or site in self.sites


class BearerUser:
    """request.user for a bearer-token caller: authenticated, never staff, no database row.

    Django admin stays behind its own session login; bearer tokens serve the API and the
    dashboard only."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(
        self, username: str, ingest: IngestIdentity | None, oidc: OidcIdentity | None = None
    ) -> None:
        self.username = username
        self.ingest = ingest
        self.oidc = oidc

    def __str__(self) -> str:
        return self.username

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def has_perms(self, perms: object, obj: object = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False
