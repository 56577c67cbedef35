"""What an upload reports, and the forwarding choice of a site its records are checked
against: shared by the job records (services) and the relayed summaries and syncs (relay)."""

from __future__ import annotations

from dataclasses import dataclass, field

from apel.records import RecordError
from vacmon.models.apel import MODE_BOTH, MODE_INDIVIDUAL, MODE_SUMMARIES


@dataclass
class UploadReport:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[RecordError] = field(default_factory=list)
    message_error: str | None = None


@dataclass(frozen=True)
class SitePolicy:
    mode: str = MODE_INDIVIDUAL
    enabled: bool = True

    @property
    def forwards_jobs(self) -> bool:
        return self.enabled and self.mode in (MODE_INDIVIDUAL, MODE_BOTH)

    @property
    def forwards_summaries(self) -> bool:
        return self.enabled and self.mode in (MODE_SUMMARIES, MODE_BOTH)
