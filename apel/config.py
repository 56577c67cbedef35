"""Read an ssmsend-style INI file, so an APEL admin can reuse what they already know.

```
[sender]
protocol: STOMP              # or AMS
[broker]
host: mq1.example.org, mq2.example.org:6163   # several brokers, tried in turn
port: 6162
use_ssl: true
[certificates]
certificate: /etc/grid-security/hostcert.pem
key: /etc/grid-security/hostkey.pem
capath: /etc/grid-security/certificates
server_cert: /etc/grid-security/apel-server.pem   # optional: encrypt to it
[messaging]
destination: /queue/global.accounting.cpu.central
[ams]                          # optional, for protocol AMS
host: msg.argo.grnet.gr
project: accounting
topic: gLite-APEL
token: ...
```
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DESTINATION = "/queue/global.accounting.cpu.central"
DEFAULT_AMS_TOPIC = "gLite-APEL"
DEFAULT_AMS_PROJECT = "accounting"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int


@dataclass(frozen=True)
class Certificates:
    certificate: Path
    key: Path
    capath: Path | None = None
    server_cert: Path | None = None


@dataclass(frozen=True)
class StompSettings:
    brokers: tuple[BrokerAddress, ...]
    destination: str = DEFAULT_DESTINATION
    use_ssl: bool = True
    # ssmsend sends no login; brokers that insist on one (a local test RabbitMQ) get these.
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class AmsSettings:
    url: str  # "https://host" (a bare host in the file gets https://)
    project: str
    topic: str
    token: str


@dataclass(frozen=True)
class ApelConfig:
    protocol: str  # "STOMP" or "AMS"
    certificates: Certificates
    stomp: StompSettings | None = None
    ams: AmsSettings | None = None


def _get(cp: configparser.RawConfigParser, section: str, key: str) -> str | None:
    if not cp.has_option(section, key):
        return None
    value = cp.get(section, key).strip()
    return value or None


def _require(cp: configparser.RawConfigParser, section: str, key: str) -> str:
    value = _get(cp, section, key)
    if value is None:
        raise ConfigError(f"[{section}] {key} is required")
    return value


def _port(text: str, where: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise ConfigError(f"{where}: port {text!r} is not a number") from None
    if not 0 < port < 65536:
        raise ConfigError(f"{where}: port {port} is out of range")
    return port


def _brokers(cp: configparser.RawConfigParser) -> tuple[BrokerAddress, ...]:
    if _get(cp, "broker", "bdii") and not _get(cp, "broker", "host"):
        raise ConfigError("[broker] bdii lookup is gone (as in ssm 4); set host and port")
    default_port = _get(cp, "broker", "port")
    brokers = []
    for item in _require(cp, "broker", "host").replace(",", " ").split():
        host, colon, port = item.rpartition(":")
        if not colon:
            host, port = item, default_port or ""
            if not port:
                raise ConfigError(f"[broker] port is required for host {item}")
        brokers.append(BrokerAddress(host, _port(port, "[broker]")))
    return tuple(brokers)


def _bool(cp: configparser.RawConfigParser, section: str, key: str, default: bool) -> bool:
    if not cp.has_option(section, key):
        return default
    try:
        return cp.getboolean(section, key)
    except ValueError:
        raise ConfigError(f"[{section}] {key} must be true or false") from None


def _path(cp: configparser.RawConfigParser, key: str) -> Path | None:
    value = _get(cp, "certificates", key)
    return Path(value) if value else None


def _ams(cp: configparser.RawConfigParser) -> AmsSettings:
    # Prefer an [ams] section; fall back to ssmsend's own layout ([broker] host,
    # [messaging] ams_project / destination / token).
    section = "ams" if cp.has_section("ams") else None
    host = _get(cp, "ams", "host") if section else _get(cp, "broker", "host")
    if host is None:
        raise ConfigError("[ams] host is required for protocol AMS")
    url = host if "://" in host else f"https://{host}"
    project = (
        _get(cp, "ams", "project") if section else _get(cp, "messaging", "ams_project")
    ) or DEFAULT_AMS_PROJECT
    topic = (_get(cp, "ams", "topic") if section else _get(cp, "messaging", "destination")) or (
        DEFAULT_AMS_TOPIC
    )
    token = _get(cp, "ams", "token") if section else _get(cp, "messaging", "token")
    if token is None:
        raise ConfigError("[ams] token is required for protocol AMS")
    return AmsSettings(url.rstrip("/"), project, topic, token)


def parse_config(text: str) -> ApelConfig:
    cp = configparser.RawConfigParser(inline_comment_prefixes=("#",))
    try:
        cp.read_string(text)
    except configparser.Error as error:
        raise ConfigError(str(error)) from None
    certificates = Certificates(
        certificate=Path(_require(cp, "certificates", "certificate")),
        key=Path(_require(cp, "certificates", "key")),
        capath=_path(cp, "capath"),
        server_cert=_path(cp, "server_cert"),
    )
    protocol = (_get(cp, "sender", "protocol") or "STOMP").upper()
    if protocol == "AMS":
        return ApelConfig("AMS", certificates, ams=_ams(cp))
    if protocol != "STOMP":
        raise ConfigError(f"[sender] protocol must be STOMP or AMS, not {protocol}")
    stomp = StompSettings(
        brokers=_brokers(cp),
        destination=_get(cp, "messaging", "destination") or DEFAULT_DESTINATION,
        use_ssl=_bool(cp, "broker", "use_ssl", True),
        username=_get(cp, "broker", "username"),
        password=_get(cp, "broker", "password"),
    )
    ams = _ams(cp) if cp.has_section("ams") else None
    return ApelConfig("STOMP", certificates, stomp=stomp, ams=ams)


def load_config(path: Path) -> ApelConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"Cannot read {path}: {error}") from None
    return parse_config(text)
