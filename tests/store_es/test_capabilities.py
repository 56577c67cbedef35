"""Which APIs a cluster serves, read from how it answers a route (pure)."""

from __future__ import annotations

import pytest

from vacmon.store.es import capabilities, parsers
from vacmon.store.es.capabilities import Capabilities

# The answers Elasticsearch 8.19's integration-test distribution gives (recorded from it).
NO_HANDLER = {"error": "no handler found for uri [/_ilm/policy/x] and method [GET]"}
WRONG_METHOD = {
    "error": "Incorrect HTTP method for uri [/] and method [GET], allowed: [DELETE]",
    "status": 405,
}
NOT_FOUND = {
    "error": {"type": "resource_not_found_exception", "reason": "Lifecycle policy not found: x"},
    "status": 404,
}


@pytest.mark.parametrize(("status", "body"), [(400, NO_HANDLER), (405, WRONG_METHOD)])
def test_a_route_no_module_registered_is_a_missing_handler(status, body):
    assert capabilities.missing_handler(status, body)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, NOT_FOUND),
        (400, {"error": {"type": "parse_exception", "reason": "request body is required"}}),
        (405, {"error": "something else"}),
        (500, NO_HANDLER),
    ],
)
def test_a_served_route_that_refuses_the_request_is_not_a_missing_handler(status, body):
    assert not capabilities.missing_handler(status, body)


def test_the_probe_marks_missing_only_the_routes_answered_without_a_handler():
    def perform(method, path):
        if path.startswith(("/_ilm", "/_data_stream")) or path == "/":
            return 400, NO_HANDLER
        return 404, NOT_FOUND

    caps = capabilities.probe(perform)

    assert caps.missing() == ["root_info", "data_stream_api", "data_stream_lifecycle", "ilm"]
    assert caps.delete_by_query


def test_a_lifecycle_is_supported_only_where_its_api_is_served():
    caps = Capabilities(data_stream_lifecycle=False)
    assert not caps.supports("dsl")
    assert caps.supports("ilm")
    assert caps.supports("none")
    assert not Capabilities(ilm=False).supports("ilm")


def test_server_info_is_read_from_the_nodes_api_where_get_root_is_missing():
    body = {"nodes": {"abc": {"version": "8.19.21", "build_flavor": "default"}}}

    info = parsers.server_info_from_nodes({"X-Elastic-Product": "Elasticsearch"}, body)

    assert (info.product, info.version, info.major) == ("Elasticsearch", "8.19.21", 8)
    assert parsers.server_problem(info) is None


def test_a_nodes_answer_without_a_version_is_unexpected():
    with pytest.raises(parsers.UnexpectedResponse, match="version"):
        parsers.server_info_from_nodes({}, {"nodes": {}})
