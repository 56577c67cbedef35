"""HTTP ingest authentication: site tokens and OIDC JWTs against a JWKS on 127.0.0.1."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import RequestFactory
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from vacmon.models import Site
from vacmon.trust import oidc
from vacmon.trust.http import BearerRefused, authenticate_ingest, check_ingest_site
from vacmon.trust.tokens import issue_token, revoke_token

pytestmark = pytest.mark.django_db

SITE = "UKI-LT2-QMUL"
SENDER_GROUP = f"/vacmon/sites/{SITE}/sender"


def request(authorization: str | None = None):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return RequestFactory().post("/api/v1/messages", **headers)


def bearer(token: str):
    return request(f"Bearer {token}")


def test_without_credentials_it_is_anonymous_while_auth_is_optional(settings):
    settings.VACMON_HTTP_INGEST_AUTH = False
    assert authenticate_ingest(request()) is None
    assert check_ingest_site(None, SITE)


def test_without_credentials_it_is_refused_when_auth_is_required(settings):
    settings.VACMON_HTTP_INGEST_AUTH = True
    with pytest.raises(NotAuthenticated):
        authenticate_ingest(request())
    assert not check_ingest_site(None, SITE)


def test_a_site_token_may_send_for_its_own_site_only():
    _, plaintext = issue_token(Site.objects.create(name=SITE), "factory01")
    identity = authenticate_ingest(bearer(plaintext))
    assert identity is not None and identity.kind == "token"
    assert check_ingest_site(identity, SITE)
    assert not check_ingest_site(identity, "UKI-OTHER")


def test_a_revoked_token_is_refused_with_a_clear_reason():
    token, plaintext = issue_token(Site.objects.create(name=SITE), "factory01")
    revoke_token(token)
    with pytest.raises(BearerRefused, match="revoked"):
        authenticate_ingest(bearer(plaintext))


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "vmk_abc", "Bearer vmk_nope"]
)
def test_malformed_or_unknown_credentials_are_refused(header):
    with pytest.raises(BearerRefused):
        authenticate_ingest(request(header))


def test_a_jwt_is_refused_while_oidc_is_not_configured(settings, issuer):
    settings.VACMON_OIDC_ISSUER = ""
    with pytest.raises(BearerRefused, match="unknown bearer token"):
        authenticate_ingest(bearer(issuer.token(groups=[SENDER_GROUP])))


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_jwt_with_a_sender_group_may_send_for_that_site(issuer, alg):
    identity = authenticate_ingest(bearer(issuer.token(alg=alg, groups=[SENDER_GROUP])))
    assert identity is not None and identity.kind == "jwt" and identity.subject == "alice"
    assert identity.sites == frozenset({SITE})
    assert not check_ingest_site(identity, "UKI-OTHER")


def test_an_operator_jwt_may_send_for_every_site(issuer):
    identity = authenticate_ingest(bearer(issuer.token(groups=["/vacmon/operators"])))
    assert identity is not None and identity.sites is None
    assert check_ingest_site(identity, "ANY-SITE")


def test_a_valid_jwt_that_grants_no_site_is_forbidden(issuer):
    viewer = issuer.token(groups=[f"/vacmon/sites/{SITE}/viewer", "/other/group"])
    with pytest.raises(PermissionDenied):
        authenticate_ingest(bearer(viewer))


def test_groups_may_come_from_another_claim(settings, issuer):
    settings.VACMON_OIDC_GROUPS_CLAIM = "wlcg.groups"
    token = issuer.token(**{"wlcg.groups": [f"/vacmon/sites/{SITE}/admin"]})
    identity = authenticate_ingest(bearer(token))
    assert identity is not None and identity.sites == frozenset({SITE})


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"iss": "https://elsewhere.example"}, "issuer"),
        ({"aud": "another-service"}, "(?i)audience"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"exp": None}, "exp"),
        ({"sub": None}, "sub"),
    ],
)
def test_a_jwt_with_wrong_claims_is_refused(issuer, claims, why):
    with pytest.raises(BearerRefused, match=why):
        authenticate_ingest(bearer(issuer.token(groups=[SENDER_GROUP], **claims)))


def test_a_jwt_signed_by_a_key_not_in_the_jwks_is_refused(issuer):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = issuer.token(key=stranger, kid="rsa1", groups=[SENDER_GROUP])
    with pytest.raises(BearerRefused, match="invalid token"):
        authenticate_ingest(bearer(forged))


def test_a_jwt_naming_an_unknown_key_is_refused(issuer):
    other = ec.generate_private_key(ec.SECP256R1())
    forged = issuer.token(alg="ES256", key=other, kid="nope", groups=[SENDER_GROUP])
    with pytest.raises(BearerRefused, match="signing key"):
        authenticate_ingest(bearer(forged))


def test_an_unsigned_jwt_is_refused(issuer):
    body = {"iss": issuer.url, "aud": "vacmon-test", "sub": "x", "exp": time.time() + 60}
    unsigned = jwt.encode(body, None, algorithm="none", headers={"kid": "rsa1"})
    with pytest.raises(BearerRefused):
        authenticate_ingest(bearer(unsigned))


def test_the_key_set_is_fetched_once_and_cached(issuer):
    for _ in range(5):
        authenticate_ingest(bearer(issuer.token(groups=[SENDER_GROUP])))
    assert issuer.hits == {"/jwks": 1}


def test_without_a_jwks_url_the_key_set_is_found_by_discovery(settings, issuer):
    settings.VACMON_OIDC_JWKS_URL = ""
    identity = authenticate_ingest(bearer(issuer.token(groups=[SENDER_GROUP])))
    assert identity is not None
    assert issuer.hits == {"/.well-known/openid-configuration": 1, "/jwks": 1}


def test_an_unreachable_issuer_refuses_tokens_instead_of_failing(settings, issuer):
    settings.VACMON_OIDC_JWKS_URL = "http://127.0.0.1:9/jwks"
    oidc.reset_cache()
    with pytest.raises(BearerRefused, match="could not be fetched"):
        authenticate_ingest(bearer(issuer.token(groups=[SENDER_GROUP])))
