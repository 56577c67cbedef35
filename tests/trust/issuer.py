"""A test OIDC issuer: RSA and EC keys, a JWKS (and discovery document) served over HTTP
on 127.0.0.1:0, and a function to mint tokens."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

AUDIENCE = "vacmon-test"


# Generated once per test run: RSA key generation costs a noticeable fraction of a second.
_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_EC = ec.generate_private_key(ec.SECP256R1())


class Issuer:
    def __init__(self) -> None:
        self.rsa = _RSA
        self.ec = _EC
        self.url = ""
        self.hits: dict[str, int] = {}

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, algorithm, key in (
            ("rsa1", RSAAlgorithm, self.rsa.public_key()),
            ("ec1", ECAlgorithm, self.ec.public_key()),
        ):
            jwk = json.loads(algorithm.to_jwk(key))
            jwk.update(kid=kid, use="sig")
            keys.append(jwk)
        return {"keys": keys}

    def token(
        self, *, alg: str = "RS256", key: Any = None, kid: str | None = None, **claims: Any
    ) -> str:
        now = int(time.time())
        body = {"iss": self.url, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 600}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        if key is None:
            key = self.rsa if alg == "RS256" else self.ec
        kid = kid or ("rsa1" if alg == "RS256" else "ec1")
        return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


@contextmanager
def serve_issuer() -> Iterator[Issuer]:
    issuer = Issuer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            issuer.hits[self.path] = issuer.hits.get(self.path, 0) + 1
            if self.path == "/jwks":
                body = issuer.jwks()
            elif self.path == "/.well-known/openid-configuration":
                body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks"}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
