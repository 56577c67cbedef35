"""`manage.py check_store`: is the configured store usable right now?

With ELASTICSEARCH_URL set it reports the server, the compatibility header, templates and
lifecycle, a write -> refresh -> read round trip and the spool; otherwise it does a round
trip on the embedded store. Exits non-zero with one clear sentence on the first problem.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from vacmon.store.base import Scope
from vacmon.store.es import check
from vacmon.store.es.check import CHECK_SITE, Line, check_message

_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


class Command(BaseCommand):
    help = "Check the configured store: server, templates, lifecycle and a round trip."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.ELASTICSEARCH_URL:
            self._elasticsearch()
        else:
            self._embedded()

    def _print(self, line: Line) -> None:
        self.stdout.write(f"{_MARK[line.status]} {line.label}: {line.detail}")

    def _elasticsearch(self) -> None:
        from vacmon.store.elasticsearch import ElasticsearchStore

        try:
            store = ElasticsearchStore.from_settings()
        except ImproperlyConfigured as exc:
            raise CommandError(f"Elasticsearch settings: {exc}") from None
        self._print(Line("store", "ok", f"elasticsearch, data streams {store.prefix}*"))
        try:
            for line in check.run(store):
                self._print(line)
        except check.CheckFailed as exc:
            raise CommandError(str(exc)) from None
        finally:
            store.close()

    def _embedded(self) -> None:
        from vacmon.store.embedded import EmbeddedStore

        self._print(Line("store", "ok", f"embedded ({connection.vendor}); ELASTICSEARCH_URL unset"))
        store = EmbeddedStore()
        now = int(time.time())
        message = check_message(now)
        started = time.monotonic()
        try:
            # The check message is rolled back: the round trip leaves nothing behind.
            with transaction.atomic():
                store.write([message])
                found = store.history(
                    "factory_status", since=now, until=now, scope=Scope(site=CHECK_SITE)
                )
                transaction.set_rollback(True)
        except DatabaseError as exc:
            raise CommandError(
                f"the embedded store is not usable ({exc}); has `manage.py migrate` run?"
            ) from None
        if not any(m.key == message.key for m in found):
            raise CommandError(
                "the embedded store wrote the check message but did not read it back"
            )
        elapsed = (time.monotonic() - started) * 1000
        self._print(Line("round trip", "ok", f"write and read back in {elapsed:.0f} ms"))
