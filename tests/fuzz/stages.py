"""The fuzz run past the parser: accepted messages are written to a real database in
batches, and every so often every page and API endpoint is read for the names just stored.

A write or a page that raises is a crash; one that takes longer than STALL_SECONDS is a
stall; a page answering 5xx is counted by URL. Rows that bypass the parser (huge sums, far
times, names no URL can hold, as rows stored before the parse bounds may be) are written
before each round of pages, so the read side is tried on what the parser would now refuse.
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from factories.messages import Message

STALL_SECONDS = 10.0
WRITE_BATCH = 2000


@dataclass
class StageReport:
    written: int = 0
    pages: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)
    stalls: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    canaries_missing: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.crashes or self.stalls or self.server_errors or self.canaries_missing)


def use_private_database() -> str:
    """Point Django at a new SQLite file unless DATABASE_URL names one; call before setup."""
    where = tempfile.mkdtemp(prefix="vacmon-fuzz-")
    os.environ.setdefault("VACMON_VAR_DIR", where)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{where}/fuzz.sqlite3")
    return os.environ["DATABASE_URL"]


class StoreAndPages:
    """Buffers accepted messages, writes them in batches, and reads the pages."""

    def __init__(self, pages_every: int, *, prepare: bool = True) -> None:
        """`prepare`: migrate the database and set up the test client's environment, as a
        test runner does (a test passes False: its runner already has)."""
        from django.core.management import call_command
        from django.test import Client
        from django.test.utils import setup_test_environment

        if prepare:
            setup_test_environment()
            call_command("migrate", verbosity=0)
        from vacmon.store import get_store

        self.store = get_store()
        self.client = Client()
        self.pages_every = pages_every
        self.buffer: list[Message] = []
        self.recent: dict[tuple[str, str, str], Message] = {}
        self.report = StageReport()
        self._canary = 0

    @property
    def failed(self) -> bool:
        return self.report.failed

    def accepted(self, message: Message) -> None:
        self.buffer.append(message)
        self.recent[(message.site, message.space, message.factory)] = message
        if len(self.buffer) >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self.buffer = self.buffer, []
        if batch:
            self._timed("write", lambda: self.store.write(batch))
            self.report.written += len(batch)

    def tick(self, n: int) -> None:
        if n and n % self.pages_every == 0:
            self.round()

    def round(self) -> None:
        """Write the buffer and hostile rows, check a canary is stored, read every page."""
        from tests.hostile.support import BAD_NAMES, Names, hostile_fleet

        self.flush()
        now = int(time.time())
        bad = BAD_NAMES[(n := self._canary) % len(BAD_NAMES)]
        hostile = Names(bad, bad, bad, machinetype=bad, machine=bad, vo=bad)
        self._timed("write hostile rows", lambda: self.store.write(hostile_fleet(now, hostile)))
        self._check_canary(now)
        names = [self._names(m) for m in list(self.recent.values())[-3:]] + [hostile]
        self.recent.clear()
        for found in names:
            self._pages(found)
        self._canary = n + 1

    def _check_canary(self, now: int) -> None:
        from tests.builders import factory_status
        from vacmon.store import Scope

        factory = f"canary-{self._canary}.fuzz.example"
        self._timed(
            "write canary",
            lambda: self.store.write([factory_status(received=now, factory=factory)]),
        )
        if not self.store.latest("factory_status", since=0, scope=Scope(factory=factory)):
            self.report.canaries_missing += 1

    @staticmethod
    def _names(m: Message) -> Any:
        from tests.hostile.support import Names

        return Names(
            m.site, m.space, m.factory, m.machinetype or "lhcb", m.machine or "m1", m.vo or "lhcb"
        )

    def _pages(self, names: Any) -> None:
        from tests.hostile.support import page_urls

        for url in page_urls(names):
            status = self._timed(f"GET {url[:120]!r}", lambda u=url: self.client.get(u).status_code)
            self.report.pages += 1
            if status is None:
                continue
            self.report.statuses[f"{status // 100}xx"] += 1
            if status >= 500:
                self.report.server_errors[url[:160]] += 1

    def _timed(self, what: str, action: Any) -> Any:
        started = time.monotonic()
        try:
            return action()
        except Exception:
            self.report.crashes.append(f"{what}: {traceback.format_exc()}")
            if what.startswith("GET"):
                self.report.server_errors[what[4:]] += 1
            return None
        finally:
            took = time.monotonic() - started
            if took > STALL_SECONDS:
                self.report.stalls.append(f"{what} took {took:.1f} s")


def print_stage_report(report: StageReport) -> None:
    print(f"written to the store: {report.written}")
    print(
        f"pages read: {report.pages}  "
        + "  ".join(f"{k}: {v}" for k, v in sorted(report.statuses.items()))
    )
    print(f"pages answering 5xx: {sum(report.server_errors.values())}")
    for url, n in report.server_errors.most_common(10):
        print(f"  {n:6d}  {url}")
    print(f"store or page crashes: {len(report.crashes)}")
    for crash in report.crashes[:5]:
        print("-" * 72)
        print(crash)
    print(f"stalls (over {STALL_SECONDS:.0f} s): {len(report.stalls)}")
    for stall in report.stalls[:10]:
        print(f"  {stall}")
    print(f"canaries not stored: {report.canaries_missing}")
