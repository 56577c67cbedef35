"""A new space's first CRR document, within a minute of its first status.

The schedule regenerates every document each PERIOD_SECONDS; waiting for it would leave a
new space without a document for up to five minutes. Ingest calls `NewSpaces` after each
stored batch instead: a space this process has not seen before, and that has no document,
gets one publication task queued at once. The schedule is unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from factories.messages import Message
from vacmon.models import PublishedDocument
from vacmon.models.publisher import SITE_AGGREGATE

log = logging.getLogger(__name__)

FIRST_PUBLICATION_SECONDS = 60
"""What a 404 for a space heard but not yet published promises (Retry-After)."""

SEEN_LIMIT = 100_000  # spaces remembered per process; past it, start again (a cheap query)

Send = Callable[[str, str], object]


def _queue_task(site: str, space: str) -> object:
    from vacmon.publisher.tasks import publish_first  # the task module imports Celery's app

    return publish_first.delay(site, space)


class NewSpaces:
    """Called with every stored batch; queues a first publication for unpublished spaces."""

    def __init__(self, send: Send = _queue_task) -> None:
        self.send = send
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, messages: Iterable[Message]) -> None:
        spaces = {
            (m.site, m.space)
            for m in messages
            if m.message_type == "factory_status" and m.site and m.space
        }
        new = spaces - self.seen
        if not new:
            return
        if len(self.seen) + len(new) > SEEN_LIMIT:
            self.seen.clear()
        self.seen |= new
        # Nothing here may cost ingest a batch: the schedule still publishes a space within
        # a period if this fails.
        try:
            due = sorted(new - published(new))
        except Exception:
            log.exception("could not tell which new spaces have a CRR document")
            self.seen -= new  # asked again with the next batch
            return
        for site, space in due:
            try:
                self.send(site, space)
            except Exception:
                log.exception("could not queue the first CRR publication of %s/%s", site, space)


def published(spaces: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of `spaces` already have a current document. One query for any number: the
    documents of their sites and space names, paired up here. An OR of one condition per
    space was refused by SQLite past 1,000 spaces (its expression depth limit)."""
    sites, names = {site for site, _ in spaces}, {space for _, space in spaces}
    rows = PublishedDocument.objects.filter(site__in=sites, space__in=names, current=True)
    return set(rows.exclude(space=SITE_AGGREGATE).values_list("site", "space")) & spaces
