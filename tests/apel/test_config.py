from __future__ import annotations

from pathlib import Path

import pytest

from apel.config import (
    DEFAULT_DESTINATION,
    BrokerAddress,
    ConfigError,
    load_config,
    parse_config,
)
from apel.stomp_sender import tls_settings

CERTS = """
[certificates]
certificate: /etc/grid-security/hostcert.pem
key: /etc/grid-security/hostkey.pem
capath: /etc/grid-security/certificates
"""


def test_it_reads_an_ssmsend_style_file_with_several_brokers(tmp_path: Path) -> None:
    path = tmp_path / "sender.cfg"
    path.write_text(
        "[broker]\nhost: mq1.example.org, mq2.example.org:6163\nport: 6162\nuse_ssl: true\n"
        + CERTS
        + "server_cert: /etc/grid-security/apel.pem\n"
    )
    config = load_config(path)
    assert config.protocol == "STOMP" and config.stomp is not None
    assert config.stomp.brokers == (
        BrokerAddress("mq1.example.org", 6162),
        BrokerAddress("mq2.example.org", 6163),
    )
    assert config.stomp.destination == DEFAULT_DESTINATION
    assert config.stomp.use_ssl
    assert config.certificates.server_cert == Path("/etc/grid-security/apel.pem")


def test_it_builds_tls_settings_with_the_host_certificate() -> None:
    config = parse_config("[broker]\nhost: mq\nport: 6162\n" + CERTS)
    assert config.stomp is not None
    tls = tls_settings(config.stomp, config.certificates)
    assert tls is not None
    assert (tls.cert_file, tls.key_file) == (
        "/etc/grid-security/hostcert.pem",
        "/etc/grid-security/hostkey.pem",
    )


def test_plain_stomp_needs_no_tls_settings() -> None:
    config = parse_config(
        "[broker]\nhost: 127.0.0.1\nport: 61613\nuse_ssl: false\n"
        "[messaging]\ndestination: /queue/test\n" + CERTS
    )
    assert config.stomp is not None
    assert tls_settings(config.stomp, config.certificates) is None
    assert config.stomp.destination == "/queue/test"


def test_it_reads_an_ams_section() -> None:
    config = parse_config(
        "[sender]\nprotocol: AMS\n" + CERTS + "[ams]\nhost: msg.argo.grnet.gr\n"
        "project: accounting\ntopic: gLite-APEL\ntoken: secret\n"
    )
    assert config.ams is not None
    assert config.ams.url == "https://msg.argo.grnet.gr"
    assert (config.ams.project, config.ams.topic, config.ams.token) == (
        "accounting",
        "gLite-APEL",
        "secret",
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[broker]\nhost: mq\n" + CERTS, "port is required"),
        ("[broker]\nhost: mq\nport: x\n" + CERTS, "not a number"),
        ("[broker]\nbdii: ldap://lcg-bdii.cern.ch:2170\n" + CERTS, "bdii"),
        ("[broker]\nhost: mq\nport: 1\n", r"\[certificates\] certificate is required"),
        ("[broker]\nhost: mq\nport: 1\nuse_ssl: maybe\n" + CERTS, "true or false"),
        ("[sender]\nprotocol: AMS\n" + CERTS + "[ams]\nhost: h\n", "token"),
    ],
)
def test_it_fails_loudly_on_a_bad_file(text: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        parse_config(text)
