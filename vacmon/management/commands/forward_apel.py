"""Run one APEL pass now: rebuild changed summaries, then forward what is due."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vacmon.apel import forwarding, services


class Command(BaseCommand):
    help = "Build changed APEL summary/sync records and forward due batches (VACMON_APEL_CONFIG)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-summaries", action="store_true", help="skip the summariser")
        parser.add_argument("--max-batches", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_summaries"]:
            rebuilt = services.summarise_pending()
            self.stdout.write(f"summaries: {rebuilt} site-month(s) rebuilt")
        result = forwarding.forward_once(max_batches=options["max_batches"])
        if not result.enabled:
            self.stdout.write("forwarding is off: VACMON_APEL_CONFIG is empty")
            return
        if result.refused is not None:
            raise CommandError(f"forwarding refused: {result.refused}")
        report = result.report
        assert report is not None
        self.stdout.write(f"sent {report.sent_records} records in {report.sent_batches} batches")
        for batch_id, reason in report.failures:
            self.stderr.write(f"batch {batch_id} not sent: {reason}")
        if report.failures:
            raise CommandError("a batch was not acknowledged; it will be retried")
