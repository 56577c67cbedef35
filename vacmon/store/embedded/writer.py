"""Batched writes: each table's rows of a batch in one bulk insert (vacmon.store.embedded.bulk).

The unique natural key makes duplicates (version-logger bursts, several destinations) a
no-op at the database (ON CONFLICT DO NOTHING), and the row count tells how many were new.
The latest state is written once per sender per batch, from its newest message.

A write is made in two steps: `prepare` builds every row in Python, which needs no
database, and `write` sends them. Ingest prepares a batch before it takes the write lock
(vacmon.ingest.batch), so on SQLite, whose one writer the ingest workers take turns at,
one worker builds its rows while another writes.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction

from factories.messages import Message
from vacmon.models import LatestStatus, MachineShutdown
from vacmon.store.ahead import ahead, ahead_sql
from vacmon.store.base import WriteResult
from vacmon.store.embedded.bulk import DO_NOTHING, already_stored, insert_many
from vacmon.store.embedded.tables import LATEST_FIGURES, MODELS, columns, row_maker
from vacmon.store.shutdowns import Key, key_of, outcome_of

_LATEST_TYPES = ("factory_status", "machinetype_status")

Row = Sequence[Any]


class Prepared(list[Message]):
    """A batch with its rows built: the raw rows of each message type, the latest state's
    rows and the new machine outcomes' rows. A part of it (a slice, as the poison split
    makes) is a plain list, prepared again when written."""

    def __init__(self, messages: Iterable[Message]) -> None:
        super().__init__(messages)
        self.raw: dict[str, list[Row]] = {}
        by_type: dict[str, list[Message]] = {}
        for m in self:
            by_type.setdefault(m.message_type, []).append(m)
        for message_type, batch in by_type.items():
            make = _plan(message_type)[2]
            self.raw[message_type] = [make(m) for m in batch]
        self.latest = _latest_rows([m for t in _LATEST_TYPES for m in by_type.get(t, ())])
        self.shutdowns = _shutdown_rows(by_type.get("machinetype_status", []))


def prepare(messages: Sequence[Message]) -> Prepared:
    return messages if isinstance(messages, Prepared) else Prepared(messages)


def write(messages: Sequence[Message]) -> WriteResult:
    batch = prepare(messages)
    try:
        inserted = _write(batch, direct=connection.vendor == "postgresql")
    except IntegrityError as exc:
        if not already_stored(exc):
            raise
        # A row of the batch was stored before (a copy that reached another listener, a
        # batch spilled and read again): all of it again, each row checked.
        inserted = _write(batch, direct=False)
    return WriteResult(inserted=inserted, duplicates=len(batch) - inserted)


def _write(batch: Prepared, direct: bool) -> int:
    inserted = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for message_type, rows in batch.raw.items():
            inserted += _insert(cursor, message_type, rows, direct)
        _upsert_latest(cursor, batch.latest)
        _insert_shutdowns(cursor, batch.shutdowns, direct)
    return inserted


_PLANS: dict[str, tuple[str, list[str], Callable[[Message], list[Any]]]] = {}


def _plan(message_type: str) -> tuple[str, list[str], Callable[[Message], list[Any]]]:
    if message_type not in _PLANS:
        model = MODELS[message_type]
        make = row_maker(columns(model))
        _PLANS[message_type] = (model._meta.db_table, make.columns, make)  # type: ignore[attr-defined]
    return _PLANS[message_type]


def _insert(cursor: object, message_type: str, rows: list[Row], direct: bool) -> int:
    table, cols, _ = _plan(message_type)
    return insert_many(cursor, table, cols, rows, DO_NOTHING, direct=direct)


# The latest-state row: the sender's key, the envelope and the figures of LATEST_FIGURES.
_ENVELOPE = ("vo", "time_received", "time_sent", "skewed", "trusted")
_KEPT = (*_ENVELOPE, *LATEST_FIGURES)
_LATEST_COLUMNS = ("message_type", "site", "space", "factory", "item", *_KEPT)
_envelope = operator.attrgetter(*_ENVELOPE)


def _latest_tail(table: str) -> str:
    return (
        "ON CONFLICT (message_type, site, space, factory, item) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _KEPT)
        # A row already ahead (stored before this rule) gives way to any current report.
        + f" WHERE excluded.time_sent >= {table}.time_sent OR {ahead_sql(table)}"
    )


def _latest_rows(batch: list[Message]) -> list[Row]:
    newest: dict[tuple[str, str, str, str, str], Message] = {}
    for m in batch:
        if ahead(m):
            continue
        key = (m.message_type, m.site, m.space, m.factory, m.machinetype or "")
        seen = newest.get(key)
        # Newest by time sent, then received, as across batches (the upsert's WHERE) and
        # as every read of a window picks: a batch must not decide the latest state.
        if seen is None or (m.time_sent, m.time_received) >= (seen.time_sent, seen.time_received):
            newest[key] = m
    # A row is built for each sender of the batch, nearly one a message: one tuple
    # concatenation each, with the envelope's getter planned once (bench/ingest_profile.py).
    # One row per key: PostgreSQL refuses a statement that updates a row twice.
    return [
        key + _envelope(m) + tuple(map(m.fields.get, LATEST_FIGURES)) for key, m in newest.items()
    ]


def _upsert_latest(cursor: object, rows: list[Row]) -> None:
    if rows:
        table = LatestStatus._meta.db_table
        insert_many(cursor, table, _LATEST_COLUMNS, rows, _latest_tail(table))


_SHUTDOWN_COLUMNS = (
    "site",
    "space",
    "factory",
    "machinetype",
    "vo",
    "machine",
    "time",
    "message",
    "time_received",
)


# Outcomes this process stored lately. A machinetype repeats its last outcome in every
# message until the next one, so nearly every outcome in a batch is one of these and never
# reaches the database. Forgetting one only costs an ON CONFLICT; keys join after commit,
# so a rolled-back batch cannot hide an outcome.
_STORED: OrderedDict[Key, None] = OrderedDict()
STORED_KEYS = 100_000


def _shutdown_rows(batch: list[Message]) -> dict[Key, Row]:
    """The row of each new outcome the batch names, once, by its key."""
    first: dict[Key, Row] = {}
    for m in batch:
        key = key_of(m)
        if key is None or key in first or key in _STORED:
            continue
        # A tuple, not `shutdown_of`'s Shutdown object, which costs more than the rest of
        # this loop.
        first[key] = (*outcome_of(m, key), m.time_received)
    return first


def _insert_shutdowns(cursor: object, rows: dict[Key, Row], direct: bool) -> None:
    if rows:
        table = MachineShutdown._meta.db_table
        insert_many(
            cursor, table, _SHUTDOWN_COLUMNS, list(rows.values()), DO_NOTHING, direct=direct
        )
        transaction.on_commit(lambda: _remember(rows))


def _remember(keys: Iterable[Key]) -> None:
    for key in keys:
        _STORED[key] = None
    while len(_STORED) > STORED_KEYS:
        _STORED.popitem(last=False)
