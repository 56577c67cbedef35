"""The few lines of I/O behind the group rollups (`vacmon.store.es.rollups`): create the
index, build settled buckets, read them, and keep the watermarks and dirty markers."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from elasticsearch import ConflictError, Elasticsearch, NotFoundError
from elasticsearch.helpers import bulk

from vacmon.store.base import SERIES_METRICS, ChartQuery
from vacmon.store.es import batch, paging, rollups, side_index
from vacmon.store.es.side_index import SearchRaw
from vacmon.store.summed import RESOLUTIONS

log = logging.getLogger(__name__)

# How long a process trusts the watermarks it read. A page makes several chart reads; one
# read of every watermark serves them all. A watermark read a moment ago can only be lower
# than the current one (more read from raw messages, the same answer), or higher while a
# late write's rebuild overwrites buckets in place, which reads their old or new sums.
MARKS_SECONDS = 10.0


class RollupIndex:
    def __init__(self, client: Elasticsearch, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.index = rollups.index_name(prefix)
        self._ready = False
        self._marks: tuple[float, dict[int, int]] | None = None

    def built_until(self, resolution: int) -> int:
        """The watermark of `resolution` as read at most MARKS_SECONDS ago (0 if none)."""
        now = time.monotonic()
        if self._marks is None or now - self._marks[0] > MARKS_SECONDS:
            self._marks = (now, self.marks(RESOLUTIONS))
        return self._marks[1].get(resolution, 0)

    def ensure(self) -> None:
        """Install the template and create the index (idempotent), once per process."""
        if self._ready:
            return
        side_index.create(self.client, self.index, rollups.template_body(self.prefix))
        self._ready = True

    # --- watermarks and markers ------------------------------------------------------------

    def marks(self, resolutions: Sequence[int]) -> dict[int, int]:
        """resolution -> built_until. Not real-time: a watermark is seen only once the
        documents indexed before it are searchable too (one shard, one refresh)."""
        try:
            answer = self.client.mget(
                index=self.index, ids=[rollups.mark_id(r) for r in resolutions], realtime=False
            )
        except NotFoundError:
            return {}  # nothing built yet
        return rollups.marks_from(answer.body)

    def mark_late(self, since: int, now: int) -> None:
        """Flag the hour of `since` for rebuilding, before the late messages are sent."""
        self.ensure()
        self.client.index(
            index=self.index, id=rollups.marker_id(since), document=rollups.marker_doc(since, now)
        )

    def _markers(self) -> list[rollups.Marker]:
        try:
            answer = self.client.search(index=self.index, **rollups.markers_query())
        except NotFoundError:
            return []
        return rollups.markers_from(answer.body)

    def _forget(self, markers: Sequence[rollups.Marker]) -> None:
        for marker in markers:
            try:
                # Only the version read: a marker set again since then stays for next time.
                self.client.delete(
                    index=self.index,
                    id=marker.doc_id,
                    if_seq_no=marker.seq_no,
                    if_primary_term=marker.primary_term,
                )
            except (ConflictError, NotFoundError):
                continue

    # --- building ----------------------------------------------------------------------------

    def maintain(self, now: int, search_raw: SearchRaw) -> dict[int, int]:
        """Build every resolution's settled buckets after its watermark (from the oldest raw
        message the first time, from a dirty marker's hour after a late write); return the
        new watermarks."""
        self.ensure()
        # Markers are found by search: make every one indexed so far searchable first.
        self.client.indices.refresh(index=self.index)
        marks, done = rollups.lowered_marks(self.marks(RESOLUTIONS), self._markers(), now)
        oldest: int | None = None
        for resolution in RESOLUTIONS:
            until = rollups.settled_until(now, resolution)
            begin = marks.get(resolution)
            if begin is None:
                oldest = oldest if oldest is not None else self._oldest(search_raw)
                if oldest is None:
                    continue  # no message yet
                begin = oldest - oldest % resolution
            if begin < until:
                marks[resolution] = self._build(resolution, begin, until, search_raw)
        self.client.indices.refresh(index=self.index)
        self._marks = None
        self._forget(done)
        return marks

    def _oldest(self, search_raw: SearchRaw) -> int | None:
        found = [
            rollups.oldest_from(search_raw(t, rollups.oldest_query(), None)) for t in SERIES_METRICS
        ]
        present = [t for t in found if t is not None]
        return min(present) if present else None

    def _build(self, resolution: int, begin: int, until: int, search_raw: SearchRaw) -> int:
        """Rebuild [begin, until) a time chunk at a time, each sized for about one page of
        (bucket, sender) pairs by the senders per bucket of the chunk before; the watermark
        moves on after each, so an interrupted build resumes where it stopped."""
        senders = 1000
        low = begin
        while low < until:
            span = max(1, rollups.BUILD_BUCKETS // max(senders, 1)) * resolution
            high = min(low + span, until)
            pairs = 0
            for message_type in SERIES_METRICS:
                sums = rollups.GroupSums(SERIES_METRICS[message_type])
                pairs = max(
                    pairs, self._collect(sums, message_type, resolution, low, high, search_raw)
                )
                actions = rollups.rollup_actions(self.index, message_type, resolution, sums)
                if actions:
                    bulk(self.client, actions, chunk_size=2000)
            senders = max(1, pairs // ((high - low) // resolution))
            self.client.index(
                index=self.index,
                id=rollups.mark_id(resolution),
                document=rollups.mark_doc(resolution, high),
            )
            low = high
        return until

    @staticmethod
    def _collect(
        sums: rollups.GroupSums,
        message_type: str,
        resolution: int,
        low: int,
        high: int,
        search_raw: SearchRaw,
    ) -> int:
        """Every page of one chunk into `sums`; return how many (bucket, sender) pairs."""
        after: dict[str, Any] | None = None
        pairs = 0
        while True:
            query = rollups.build_query(message_type, resolution, low, high, after)
            body = search_raw(message_type, query, rollups.BUILD_FILTER_PATH)
            pairs += len(body.get("aggregations", {}).get("senders", {}).get("buckets", []))
            after = sums.add_page(body)
            if after is None:
                return pairs

    # --- reading -------------------------------------------------------------------------------

    def read(self, sums: rollups.Sums, q: ChartQuery, *, first: int, before: int) -> None:
        """Add the built (group, bucket) sums of the chart `q`'s buckets in [first, before)
        into `sums`."""
        after: Any = None
        while True:
            query = rollups.read_query(q, first=first, before=before, after=after)
            answer = batch.search(
                self.client,
                index=self.index,
                ignore_unavailable=True,
                allow_no_indices=True,
                **query,
            )
            after = rollups.add_read_page(sums, q.metrics, paging.end_short_pages(query, answer))
            if after is None:
                return
