"""Write a batch so that a message which can never be stored costs only itself.

A write that fails for good (store.faults) is split in halves and each half written on its
own, down to single messages: the one that still fails is handed back with its reason and
everything else is stored. Both backends make this safe: the embedded store writes a batch
in one transaction, and every Elasticsearch document has a deterministic `_id`, so a half
sent twice comes back as duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from factories.messages import Message
from vacmon.store.base import WriteResult
from vacmon.store.faults import describe, is_transient

Write = Callable[[Sequence[Message]], WriteResult]


class GiveUp(Exception):
    """Raised by a write to end the whole batch (say at a shutdown deadline): not about
    any message, so the split stops and it reaches the caller."""


@dataclass
class Isolated:
    inserted: int = 0
    duplicates: int = 0
    # Indices into the batch of the messages that cannot be stored, with the reason.
    poisoned: list[tuple[int, str]] = field(default_factory=list)


def write_isolating(write: Write, messages: Sequence[Message]) -> Isolated:
    """Store `messages` with `write`, setting aside each message it refuses for good.

    A transient error is raised to the caller, which retries it (without holding a lock);
    `write` is expected to do that retrying itself, so the split never starts over."""
    out = Isolated()
    _write_part(write, messages, 0, out)
    return out


def _write_part(write: Write, part: Sequence[Message], offset: int, out: Isolated) -> None:
    try:
        result = write(part)
    except Exception as exc:
        if is_transient(exc) or isinstance(exc, GiveUp):
            raise
        if len(part) == 1:
            out.poisoned.append((offset, describe(exc)))
            return
        middle = len(part) // 2
        _write_part(write, part[:middle], offset, out)
        _write_part(write, part[middle:], offset + middle, out)
        return
    out.inserted += result.inserted
    out.duplicates += result.duplicates
    if result.refused:
        at = {id(m): offset + i for i, m in enumerate(part)}
        out.poisoned.extend((at[id(m)], reason) for m, reason in result.refused)
