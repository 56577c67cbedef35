from __future__ import annotations

import base64
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured

from vacmon.store.es.client import FastJson, auth_headers, make_client, read_settings


def conf(**values):
    return SimpleNamespace(ELASTICSEARCH_URL="https://es.example:9200", **values)


def test_it_reads_defaults_when_settings_py_does_not_declare_the_names(tmp_path):
    read = read_settings(conf(VACMON_RAW_RETENTION_DAYS=12, VAR_DIR=tmp_path))
    assert read.prefix == "vacmon-"
    assert read.retention == "12d"
    assert read.lifecycle == "dsl"
    assert read.spool_dir == tmp_path / "spool" / "elasticsearch"
    assert read.spool_max_bytes == 1024**3


def test_it_takes_an_explicit_retention_and_lifecycle():
    read = read_settings(conf(ELASTICSEARCH_RETENTION="36h", ELASTICSEARCH_LIFECYCLE="ILM"))
    assert (read.retention, read.lifecycle) == ("36h", "ilm")
    assert read_settings(conf(ELASTICSEARCH_RETENTION=7)).retention == "7d"


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({"ELASTICSEARCH_PREFIX": "Vac Mon"}, "ELASTICSEARCH_PREFIX"),
        ({"ELASTICSEARCH_RETENTION": "a month"}, "ELASTICSEARCH_RETENTION"),
        ({"ELASTICSEARCH_LIFECYCLE": "curator"}, "ELASTICSEARCH_LIFECYCLE"),
        ({"ELASTICSEARCH_API_KEY": "k", "ELASTICSEARCH_USERNAME": "u"}, "ELASTICSEARCH_API_KEY"),
        ({"ELASTICSEARCH_USERNAME": "u"}, "ELASTICSEARCH_PASSWORD"),
        ({"ELASTICSEARCH_CA_CERTS": "/nonexistent/ca.pem"}, "ELASTICSEARCH_CA_CERTS"),
        ({"VACMON_SPOOL_MAX_BYTES": 10}, "VACMON_SPOOL_MAX_BYTES"),
    ],
)
def test_it_names_the_setting_at_fault(values, names):
    with pytest.raises(ImproperlyConfigured, match=names):
        read_settings(conf(**values))


def test_it_refuses_a_url_that_is_not_http():
    with pytest.raises(ImproperlyConfigured, match="ELASTICSEARCH_URL"):
        read_settings(SimpleNamespace(ELASTICSEARCH_URL="es.example:9200"))


def test_an_encoded_api_key_is_sent_as_given_and_an_id_key_pair_is_encoded():
    encoded = base64.b64encode(b"id1:secret").decode()
    assert auth_headers(read_settings(conf(ELASTICSEARCH_API_KEY=encoded))) == {
        "authorization": f"ApiKey {encoded}"
    }
    assert auth_headers(read_settings(conf(ELASTICSEARCH_API_KEY="id1:secret"))) == {
        "authorization": f"ApiKey {encoded}"
    }


def test_basic_auth_is_built_from_user_and_password():
    read = read_settings(conf(ELASTICSEARCH_USERNAME="vacmon", ELASTICSEARCH_PASSWORD="pw"))
    assert auth_headers(read) == {
        "authorization": "Basic " + base64.b64encode(b"vacmon:pw").decode()
    }


def test_the_client_carries_the_ca_bundle_and_leaves_status_retries_to_the_bulk_helper(tmp_path):
    ca = Path(tmp_path / "ca.pem")
    ca.write_text("not parsed until a TLS connection is made")
    read = read_settings(conf(ELASTICSEARCH_CA_CERTS=str(ca), ELASTICSEARCH_API_KEY="id:k"))
    client = make_client(read)
    try:
        assert client._retry_on_status == ()
        assert client._headers["authorization"].startswith("ApiKey ")
    finally:
        client.close()


def test_answers_are_decoded_by_orjson_and_what_it_refuses_by_json():
    assert FastJson().loads(b'{"took": 3, "hits": {"hits": []}}') == {
        "took": 3,
        "hits": {"hits": []},
    }
    # A sum that overflowed a double comes back as Infinity, which orjson refuses.
    assert math.isinf(FastJson().loads(b'{"value": Infinity}')["value"])
