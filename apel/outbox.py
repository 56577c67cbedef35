"""The outbox contract between the forwarder and storage, and a sqlite3 implementation.

Contract (what a Django implementation must keep):
- A batch, once formed, never changes: same id, same header, same records. Its id is the
  STOMP `empa-id`, so a resend after a crash is recognisably the same message.
- `claim_next_batch(now)` hands out at most one due batch at a time per caller: a batch
  not sent, whose claim lease has expired (or never existed) and whose `retry_at` has
  passed; when none is due it forms a new batch from pending records (one header,
  at most 1,000 records and MAX_BODY_BYTES, oldest first). Claiming is a conditional
  UPDATE (`... WHERE claimed_until IS NULL OR claimed_until <= now`): one changed row
  means the batch is yours.
- `mark_sent(batch_id, records)` only after the broker's receipt, with the number of
  records the broker acknowledged; it counts them once, in the same step that marks the
  batch sent, so a pass that dies later loses no count. `mark_failed` releases the claim
  and schedules the retry. A crash between the two leaves the claim to expire, and the
  batch is then sent again with the same id (at-least-once; the server replaces on the
  records' natural keys).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from apel.builder import (
    MAX_BODY_BYTES,
    MAX_RECORDS_PER_MESSAGE,
    assemble,
    fit_count,
    serialise_record,
)
from apel.records import Record

# As ssmsend's purge() unlocks messages whose lock is older than five minutes.
DEFAULT_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Batch:
    batch_id: str
    header: str
    records: tuple[str, ...]  # serialised records, without the "%%" marker
    attempts: int = 0  # failed attempts so far, for the backoff

    @property
    def body(self) -> str:
        return assemble(self.header, self.records)


class Outbox(Protocol):
    def claim_next_batch(self, now: datetime) -> Batch | None: ...

    def mark_sent(self, batch_id: str, records: int) -> None: ...

    def mark_failed(self, batch_id: str, reason: str, retry_at: datetime) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS apel_record (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    header TEXT NOT NULL,
    body TEXT NOT NULL,
    batch_id TEXT REFERENCES apel_batch(id)
);
CREATE INDEX IF NOT EXISTS apel_record_pending ON apel_record(batch_id, header, id);
CREATE TABLE IF NOT EXISTS apel_batch (
    id TEXT PRIMARY KEY,
    header TEXT NOT NULL,
    created REAL NOT NULL,
    claimed_until REAL,
    retry_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at REAL
);
CREATE TABLE IF NOT EXISTS apel_counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO apel_counter (name, value) VALUES ('sent_records', 0);
"""


class SqliteOutbox:
    """Durable outbox on a sqlite3 file (or ":memory:"), safe across processes."""

    def __init__(
        self,
        path: Path | str,
        lease: timedelta = DEFAULT_LEASE,
        max_records: int = MAX_RECORDS_PER_MESSAGE,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self._db.executescript(_SCHEMA)
        self._lease = lease
        self._max_records = max_records
        self._max_bytes = max_bytes

    def close(self) -> None:
        self._db.close()

    def add(self, records: Iterable[Record]) -> int:
        rows = [(record.header, serialise_record(record)) for record in records]
        with self._transaction():
            self._db.executemany("INSERT INTO apel_record (header, body) VALUES (?, ?)", rows)
        return len(rows)

    def claim_next_batch(self, now: datetime) -> Batch | None:
        stamp = now.timestamp()
        with self._transaction():
            row = self._db.execute(
                "SELECT id FROM apel_batch WHERE sent_at IS NULL"
                " AND (claimed_until IS NULL OR claimed_until <= ?)"
                " AND (retry_at IS NULL OR retry_at <= ?) ORDER BY created LIMIT 1",
                (stamp, stamp),
            ).fetchone()
            batch_id = str(row[0]) if row else self._form_batch(stamp)
            if batch_id is None:
                return None
            changed = self._db.execute(
                "UPDATE apel_batch SET claimed_until = ? WHERE id = ?"
                " AND (claimed_until IS NULL OR claimed_until <= ?)",
                (stamp + self._lease.total_seconds(), batch_id, stamp),
            ).rowcount
            return self._load(batch_id) if changed == 1 else None

    def _form_batch(self, stamp: float) -> str | None:
        first = self._db.execute(
            "SELECT header FROM apel_record WHERE batch_id IS NULL ORDER BY id LIMIT 1"
        ).fetchone()
        if first is None:
            return None
        header = str(first[0])
        rows = self._db.execute(
            "SELECT id, body FROM apel_record WHERE batch_id IS NULL AND header = ?"
            " ORDER BY id LIMIT ?",
            (header, self._max_records),
        ).fetchall()
        count = fit_count(
            header, [str(body) for _, body in rows], self._max_records, self._max_bytes
        )
        batch_id = uuid.uuid4().hex
        self._db.execute(
            "INSERT INTO apel_batch (id, header, created) VALUES (?, ?, ?)",
            (batch_id, header, stamp),
        )
        last_id = rows[count - 1][0]
        self._db.execute(
            "UPDATE apel_record SET batch_id = ? WHERE batch_id IS NULL AND header = ? AND id <= ?",
            (batch_id, header, last_id),
        )
        return batch_id

    def _load(self, batch_id: str) -> Batch:
        header, attempts = self._db.execute(
            "SELECT header, attempts FROM apel_batch WHERE id = ?", (batch_id,)
        ).fetchone()
        bodies: Sequence[tuple[str]] = self._db.execute(
            "SELECT body FROM apel_record WHERE batch_id = ? ORDER BY id", (batch_id,)
        ).fetchall()
        return Batch(batch_id, str(header), tuple(body for (body,) in bodies), int(attempts))

    def mark_sent(self, batch_id: str, records: int) -> None:
        with self._transaction():
            changed = self._db.execute(
                "UPDATE apel_batch SET sent_at = ?, claimed_until = NULL"
                " WHERE id = ? AND sent_at IS NULL",
                (time.time(), batch_id),
            ).rowcount
            if changed == 1:
                self._db.execute(
                    "UPDATE apel_counter SET value = value + ? WHERE name = 'sent_records'",
                    (records,),
                )

    def sent_records(self) -> int:
        """Records in batches the broker acknowledged, each batch counted once."""
        (count,) = self._db.execute(
            "SELECT value FROM apel_counter WHERE name = 'sent_records'"
        ).fetchone()
        return int(count)

    def mark_failed(self, batch_id: str, reason: str, retry_at: datetime) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE apel_batch SET claimed_until = NULL, retry_at = ?,"
                " attempts = attempts + 1, last_error = ? WHERE id = ?",
                (retry_at.timestamp(), reason, batch_id),
            )

    def pending_records(self) -> int:
        """Records not yet acknowledged by a broker."""
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM apel_record r LEFT JOIN apel_batch b ON r.batch_id = b.id"
            " WHERE b.sent_at IS NULL"
        ).fetchone()
        return int(count)

    def batch_state(self, batch_id: str) -> dict[str, object]:
        row = self._db.execute(
            "SELECT attempts, last_error, retry_at, sent_at FROM apel_batch WHERE id = ?",
            (batch_id,),
        ).fetchone()
        return dict(zip(("attempts", "last_error", "retry_at", "sent_at"), row, strict=True))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE: take sqlite's write lock up front so two claimers cannot interleave."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
