"""Regenerate the CRR documents now, in this process, instead of at the next period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vacmon.publisher import services


class Command(BaseCommand):
    help = "Regenerate, validate and store the CRR documents of every space heard recently."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", help="only this site (as the factories send it)")

    def handle(self, *args: Any, site: str | None = None, **options: Any) -> None:
        outcomes = services.publish_all(site=site)
        refused = 0
        for o in outcomes:
            where = f"{o.site}/{o.space or '(site)'}"
            if o.withdrawn:
                self.stdout.write(f"{where}: withdrawn")
                continue
            self.stdout.write(
                f"{where}: published {', '.join(o.published) or 'nothing'}"
                + (f"; refused {', '.join(o.refused)}" if o.refused else "")
            )
            refused += len(o.refused)
        if refused:
            self.stderr.write(f"{refused} document(s) refused; see the log or /crr/")
