"""The facts a CRR document is rendered from, independent of the output format.

The builder (`derive.py`) turns factory and machinetype statuses into these; the
renderers (`render.py`) turn them into one JSON shape or another. Figures stay in the
senders' units here (seconds, bytes) so each format applies its own rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Product(StrEnum):
    """The framework that runs a space, parsed from `daemon_version`."""

    VAC = "Vac"
    VCYCLE = "Vcycle"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DaemonVersion:
    """`Vac 03.00.01 vacd-factory` -> product VAC, name `Vac`, version `03.00.01`."""

    product: Product
    name: str
    version: str

    @classmethod
    def parse(cls, text: str | None) -> DaemonVersion:
        words = (text or "").split()
        if not words:
            return cls(Product.UNKNOWN, "unknown", "unknown")
        version = words[1] if len(words) > 1 else "unknown"
        for product in (Product.VAC, Product.VCYCLE):
            if words[0] == product.value:
                return cls(product, words[0], version)
        # Anything else is passed through as the original did; no CRR v1.5 enum value
        # matches it, so such a document is refused at publication time.
        return cls(Product.UNKNOWN, words[0], text or "unknown")


@dataclass(frozen=True)
class ShareFacts:
    """One machinetype of a space; None means no status in the window reported it."""

    machinetype: str
    vos: tuple[str, ...]
    max_wallclock_seconds: float | None = None
    bytes_per_processor: float | None = None
    max_processors: float | None = None


@dataclass(frozen=True)
class Post2019Fields:
    """Fields agreed in June 2019 (spec crr-etf-sam 1.1) whose spellings are unknown.

    Filled where we know the value, but no current format emits them: CRR v1.5 forbids
    extra keys. A future format can render them once a schema exists.
    """

    processors: int | None = None
    node_type: str | None = None
    hosting_site: str | None = None


@dataclass(frozen=True)
class ResourceFacts:
    """One space: one CRR computing resource with one access point."""

    resource_id: str
    site: str
    daemon: DaemonVersion
    status: str
    os: str
    comment: str | None
    total_processors: float
    total_hs06: float
    shares: tuple[ShareFacts, ...]
    publication_time: int
    fallback_max_wallclock_seconds: float
    fallback_bytes_per_processor: float
    coprocessor: str | None = None
    post_2019: Post2019Fields | None = None
