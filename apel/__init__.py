"""Pure core of VacMon's APEL accounting forwarder: parse, summarise, sign, forward.

No Django here; the web glue stores records in an outbox and calls these functions.
"""

from __future__ import annotations
