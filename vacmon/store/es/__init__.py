"""The Elasticsearch backend's parts.

`templates`, `builders` and `parsers` are pure (request bodies in, dataclasses out) so every
byte sent to the cluster and every reading of its answers is unit-tested without a server.
`client` turns settings into a client, `spool` keeps accepted messages on disk while the
cluster is away, and `check` is the I/O behind `manage.py check_store`. The store class
itself lives in `vacmon.store.elasticsearch`.
"""

from __future__ import annotations
