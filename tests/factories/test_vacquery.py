from __future__ import annotations

import hashlib
import json

from factories.build import machinetype_status
from factories.flavour import VAC_03
from factories.vacquery import (
    QueryKind,
    accept_reply,
    cookie_for,
    decode_query,
    encode_query,
    encode_reply,
    expected_replies,
    make_salt,
)
from tests import samples
from tests.factories import golden as g

SPACE = g.VAC_SPACE


def test_the_cookie_is_sha256_of_salt_plus_factory():
    assert cookie_for("salt", "f.example") == hashlib.sha256(b"saltf.example").hexdigest()
    assert make_salt() != make_salt() and len(make_salt()) == 44


def test_queries_have_vacs_exact_forms():
    flavour = VAC_03.with_client("vac-command")
    mt = json.loads(encode_query(QueryKind.MACHINETYPES, space=SPACE, cookie="c", flavour=flavour))
    assert mt == {
        "cookie": "c",
        "vacquery_version": "VacQuery 01.03",
        "vac_version": "Vac 03.00.01 vac-command",
        "message_type": "machinetypes_query",
        "space": SPACE,
    }
    machines = json.loads(encode_query(QueryKind.MACHINES, space=SPACE, cookie="c", flavour=VAC_03))
    assert machines["method"] == "machines"
    factory = json.loads(encode_query(QueryKind.FACTORY, space=SPACE, cookie="c", flavour=VAC_03))
    assert (factory["method"], factory["vac_version"]) == ("factories", "Vac 03.00.01")


def test_a_responder_accepts_its_own_space_in_both_query_forms():
    modern = encode_query(QueryKind.MACHINES, space=SPACE, cookie="abc", flavour=VAC_03)
    query = decode_query(modern, space=SPACE)
    assert (query.kind, query.cookie) == (QueryKind.MACHINES, "abc")
    legacy = json.dumps({"method": "factories", "cookie": "x", "space": SPACE}).encode()
    assert decode_query(legacy, space=SPACE).kind is QueryKind.FACTORY


def test_a_responder_ignores_other_spaces_and_junk():
    query = encode_query(QueryKind.FACTORY, space="other.space", cookie="c", flavour=VAC_03)
    assert decode_query(query, space=SPACE) is None
    assert decode_query(b"[1]", space=SPACE) is None
    assert decode_query(b"\xff", space=SPACE) is None
    assert decode_query(json.dumps({"space": SPACE, "cookie": "c"}).encode(), space=SPACE) is None
    assert decode_query(b" " * 1025, space=SPACE) is None


def test_a_reply_carries_the_query_cookie_and_the_responder_client_name():
    reply = json.loads(encode_reply(json.loads(samples.VAC_MACHINE_FINISHED), cookie="c1"))
    assert reply["cookie"] == "c1"
    assert reply["daemon_version"] == reply["vac_version"] == "Vac 03.00.01 vacd-responder"


def make_reply(cookie, **changes):
    status = machinetype_status(g.VAC_SENDER, now=g.NOW, machinetype=g.VAC_LHCB, num_machinetypes=2)
    return encode_reply({**status, **changes}, cookie=cookie)


def test_the_client_accepts_a_reply_with_the_cookie_it_gave_that_factory():
    salt = make_salt()
    good = make_reply(cookie_for(salt, g.VAC_FACTORY))
    accepted = accept_reply(good, kind=QueryKind.MACHINETYPES, space=SPACE, salt=salt)
    assert accepted["machinetype"] == "lhcb"


def test_the_client_discards_forged_stray_and_incomplete_replies():
    salt = make_salt()
    cookie = cookie_for(salt, g.VAC_FACTORY)
    check = {"kind": QueryKind.MACHINETYPES, "space": SPACE, "salt": salt}
    assert accept_reply(make_reply("0"), **check) is None
    assert accept_reply(make_reply(cookie, space="other"), **check) is None
    assert accept_reply(make_reply(cookie, factory="other.host"), **check) is None
    assert accept_reply(make_reply(cookie), **{**check, "kind": QueryKind.FACTORY}) is None
    vcycle_like = json.loads(make_reply(cookie))
    del vcycle_like["num_before_fizzle"]
    assert accept_reply(json.dumps(vcycle_like).encode(), **check) is None
    assert accept_reply(b"not json", **check) is None


def test_a_factory_owes_as_many_replies_as_it_announces():
    assert expected_replies([], QueryKind.MACHINES) == 1
    assert expected_replies([{"num_machines": 8}], QueryKind.MACHINES) == 8
    assert expected_replies([{"num_machinetypes": 2.0}], QueryKind.MACHINETYPES) == 2
    assert expected_replies([{"num_machines": 8}], QueryKind.FACTORY) == 1
