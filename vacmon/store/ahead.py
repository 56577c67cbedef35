"""The future never wins: the rule for a message sent from beyond the skew window ahead.

Such a message (the sender's clock is wrong, or the message is forged) is stored and
flagged `skewed` like any other, but it never becomes the latest state, so it is not in
CRR either, and its heartbeat ages are not charted: a time_sent ten years ahead would
otherwise outrank every genuine report after it. A message skewed into the past is only
late, and competes as usual.
"""

from __future__ import annotations

from factories.messages import Message


def ahead(message: Message) -> bool:
    """Whether `message` was sent from beyond the skew window ahead of its receipt."""
    return message.skewed and message.time_sent > message.time_received


def ahead_sql(table: str = "") -> str:
    """The same rule over a row of a raw or latest-state table (SQLite keeps booleans as
    0 and 1, which SQL's AND takes as they are)."""
    t = f"{table}." if table else ""
    return f"({t}skewed AND {t}time_sent > {t}time_received)"
