"""Connection settings and the official client built from them.

Settings are read with getattr(settings, NAME, default) so the backend works whether or not
settings.py declares them; each is documented in docs/elasticsearch.md.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from django.core.exceptions import ImproperlyConfigured
from elasticsearch import Elasticsearch
from elasticsearch.serializer import JsonSerializer

from vacmon.store.es.templates import LIFECYCLES, check_prefix, check_retention

DEFAULT_SPOOL_MAX_BYTES = 1024**3
REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class EsSettings:
    url: str
    api_key: str = ""
    username: str = ""
    password: str = ""
    ca_certs: str = ""
    prefix: str = "vacmon-"
    retention: str = "30d"
    lifecycle: str = "dsl"
    spool_dir: Path = Path("var/spool/elasticsearch")
    spool_max_bytes: int = DEFAULT_SPOOL_MAX_BYTES


def read_settings(settings: Any) -> EsSettings:
    """Read and validate every ELASTICSEARCH_* and spool setting; ImproperlyConfigured
    names the setting at fault."""
    url = str(getattr(settings, "ELASTICSEARCH_URL", "") or "")
    if not url.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"ELASTICSEARCH_URL must be an http(s) URL, got {url!r}")
    days = int(getattr(settings, "VACMON_RAW_RETENTION_DAYS", 30))
    retention = getattr(settings, "ELASTICSEARCH_RETENTION", "") or f"{days}d"
    if isinstance(retention, int):
        retention = f"{retention}d"
    var_dir = Path(getattr(settings, "VAR_DIR", "var"))
    conf = EsSettings(
        url=url,
        api_key=str(getattr(settings, "ELASTICSEARCH_API_KEY", "") or ""),
        username=str(getattr(settings, "ELASTICSEARCH_USERNAME", "") or ""),
        password=str(getattr(settings, "ELASTICSEARCH_PASSWORD", "") or ""),
        ca_certs=str(getattr(settings, "ELASTICSEARCH_CA_CERTS", "") or ""),
        prefix=str(getattr(settings, "ELASTICSEARCH_PREFIX", "") or "vacmon-"),
        retention=str(retention),
        lifecycle=str(getattr(settings, "ELASTICSEARCH_LIFECYCLE", "") or "dsl").lower(),
        spool_dir=Path(
            getattr(settings, "VACMON_SPOOL_DIR", "") or var_dir / "spool" / "elasticsearch"
        ),
        spool_max_bytes=int(
            getattr(settings, "VACMON_SPOOL_MAX_BYTES", 0) or DEFAULT_SPOOL_MAX_BYTES
        ),
    )
    _validate(conf)
    return conf


def _validate(conf: EsSettings) -> None:
    try:
        check_prefix(conf.prefix)
    except ValueError as exc:
        raise ImproperlyConfigured(f"ELASTICSEARCH_PREFIX: {exc}") from None
    try:
        check_retention(conf.retention)
    except ValueError as exc:
        raise ImproperlyConfigured(f"ELASTICSEARCH_RETENTION: {exc}") from None
    if conf.lifecycle not in LIFECYCLES:
        raise ImproperlyConfigured(
            f"ELASTICSEARCH_LIFECYCLE must be one of {', '.join(LIFECYCLES)}, "
            f"got {conf.lifecycle!r}"
        )
    if conf.api_key and (conf.username or conf.password):
        raise ImproperlyConfigured(
            "set either ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/PASSWORD, not both"
        )
    if bool(conf.username) != bool(conf.password):
        raise ImproperlyConfigured("ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD go together")
    if conf.ca_certs and not Path(conf.ca_certs).is_file():
        raise ImproperlyConfigured(f"ELASTICSEARCH_CA_CERTS: no such file {conf.ca_certs!r}")
    if conf.spool_max_bytes < 1024 * 1024:
        raise ImproperlyConfigured("VACMON_SPOOL_MAX_BYTES must be at least 1 MiB")


def _api_key(value: str) -> str | tuple[str, str]:
    # Kibana hands out the base64 "encoded" form; the API returns id and key separately,
    # which people paste as "id:key". Base64 never contains a colon, so both are accepted.
    if ":" in value:
        key_id, key = value.split(":", 1)
        return (key_id, key)
    return value


def auth_headers(conf: EsSettings) -> dict[str, str]:
    """The Authorization header for requests made below the client (check_store's plain
    GET /, which must not carry the compatibility header)."""
    if conf.api_key:
        key = _api_key(conf.api_key)
        token = key if isinstance(key, str) else base64.b64encode(":".join(key).encode()).decode()
        return {"authorization": f"ApiKey {token}"}
    if conf.username:
        basic = base64.b64encode(f"{conf.username}:{conf.password}".encode()).decode()
        return {"authorization": f"Basic {basic}"}
    return {}


class FastJson(JsonSerializer):
    """Answers decoded with orjson: a dashboard page reads aggregation answers of up to
    half a megabyte, and the standard library's decoder spent more time on them than the
    cluster took to compute them. What orjson refuses (an `Infinity` from a sum that
    overflowed a double) is decoded as before. Requests are still written by the standard
    encoder, which writes every number our documents may hold."""

    def loads(self, data: bytes) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().loads(data)


def make_client(conf: EsSettings, *, request_timeout: float = REQUEST_TIMEOUT) -> Elasticsearch:
    options: dict[str, Any] = {
        "request_timeout": request_timeout,
        # Status retries are done by streaming_bulk with backoff; the transport retrying
        # 429/5xx immediately would only add load to an overloaded cluster.
        "retry_on_status": (),
        "max_retries": 1,
        "serializer": FastJson(),
    }
    if conf.api_key:
        options["api_key"] = _api_key(conf.api_key)
    elif conf.username:
        options["basic_auth"] = (conf.username, conf.password)
    if conf.ca_certs:
        options["ca_certs"] = conf.ca_certs
    return Elasticsearch(conf.url, **options)
