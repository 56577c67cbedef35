"""`manage.py copy_store --from embedded --to elasticsearch`: move history to a cluster.

Rows are read in primary-key batches from the embedded tables and sent with the store's
bulk path. Document ids come from each message's natural key, so an interrupted copy is
simply run again: what is already there comes back as duplicates.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vacmon.store.embedded.tables import MODELS, read_rows
from vacmon.store.es.bulk import Unavailable


class Command(BaseCommand):
    help = "Copy raw status messages from one store to another."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", choices=["embedded"], required=True)
        parser.add_argument("--to", dest="target", choices=["elasticsearch"], required=True)
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true", help="no progress line")

    def handle(self, *args: Any, **options: Any) -> None:
        from vacmon.store.elasticsearch import ElasticsearchStore

        if not settings.ELASTICSEARCH_URL:
            raise CommandError("ELASTICSEARCH_URL is not set: there is no cluster to copy to")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            store = ElasticsearchStore.from_settings()
        except ImproperlyConfigured as exc:
            raise CommandError(f"Elasticsearch settings: {exc}") from None
        self.progress = not options["no_progress"]
        totals = {"inserted": 0, "duplicates": 0, "refused": 0}
        try:
            for message_type, model in MODELS.items():
                self._copy(store, message_type, model, options["batch_size"], totals)
        finally:
            store.close()
        self.stdout.write(
            f"copied {sum(totals.values())} messages: {totals['inserted']} new, "
            f"{totals['duplicates']} already there, {totals['refused']} refused"
        )
        if totals["refused"]:
            raise CommandError(
                f"{totals['refused']} messages were refused; they are listed in the spool's "
                "rejected file and the log"
            )

    def _copy(
        self, store: Any, message_type: str, model: Any, batch: int, totals: dict[str, int]
    ) -> None:
        total = model.objects.count()
        done, last_pk = 0, 0
        self._show(message_type, done, total)
        while True:
            ids = model.objects.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)
            last = next(reversed(list(ids[:batch])), None)
            if last is None:
                break
            page = model.objects.filter(pk__gt=last_pk, pk__lte=last).order_by("pk")
            rows = read_rows(message_type, page)
            try:
                outcome = store.send_now(rows)
            except Unavailable as exc:
                self._stop(message_type, done, total, str(exc))
            if outcome.retry:
                self._stop(message_type, done, total, "the cluster kept answering 429/5xx")
            if outcome.failed:
                store.set_aside(outcome.failed)
            totals["inserted"] += outcome.inserted
            totals["duplicates"] += outcome.duplicates
            totals["refused"] += len(outcome.failed)
            done += len(rows)
            last_pk = last
            self._show(message_type, done, total)
        if self.progress:
            self.stderr.write("")

    def _show(self, message_type: str, done: int, total: int) -> None:
        if not self.progress:
            return
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        self.stderr.write(
            f"\r{message_type:<19} [{bar:<30}] {done}/{total} {share:4.0%}", ending=""
        )
        self.stderr.flush()

    def _stop(self, message_type: str, done: int, total: int, reason: str) -> NoReturn:
        raise CommandError(
            f"stopped after {done} of {total} {message_type} messages: {reason}. "
            "Run the command again: messages already copied are skipped as duplicates."
        )
