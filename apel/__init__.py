"""Pure core of VacMon's APEL accounting forwarder: parse, summarise, sign, forward.

No Django here; the web glue stores records in an outbox and calls these functions:

- `parse_message(text, now) -> ParseResult`            (apel.parse)
- `serialise_record(record) -> str`, `fit_count`, `assemble`, `build_messages` (apel.builder)
- `summarise_jobs`, `normalised_summaries`, `sync_records` (apel.summaries)
- `load_config(path) -> ApelConfig`                     (apel.config)
- `Signer.from_files(cert, key, now, server_cert)`      (apel.smime)
- `Outbox` protocol, `Batch`, `SqliteOutbox`            (apel.outbox)
- `Forwarder(outbox, transport, signer.seal).run_once()` (apel.forwarder)
- transports: `StompSender` (apel.stomp_sender), `AmsSender` (apel.ams_sender)
"""

from __future__ import annotations
