"""S/MIME signing and encryption exactly as the SSM receiver accepts it (spec 2.3-2.5).

Detached `multipart/signed`, SHA-256, the signer certificate only, and an inner
`Content-Type: text/plain` part (the receiver drops everything up to the first blank line
of the signed content). Never opaque-signed (mistaken for encrypted) and never an inner
base64 transfer encoding (crashes the receiver).
"""

from __future__ import annotations

import base64
import secrets
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

# ssmsend refuses to start when `openssl x509 -checkend 86400` fails.
EXPIRY_MARGIN = timedelta(hours=24)
# Binary: we hand over the already canonical text/plain part (what the Text option builds).
SIGNING_OPTIONS = (pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary)

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class CertificateError(ValueError):
    """The host or server certificate would make SSM refuse to send."""


def load_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def load_key(path: Path) -> SigningKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise CertificateError(f"{path}: only RSA and EC keys can sign S/MIME here")
    return key


def check_validity(cert: x509.Certificate, now: datetime, what: str = "certificate") -> None:
    """Refuse a certificate not yet valid or expiring within 24 hours of `now`."""
    if cert.not_valid_before_utc > now:
        raise CertificateError(f"The {what} is not valid before {cert.not_valid_before_utc}")
    if cert.not_valid_after_utc - now < EXPIRY_MARGIN:
        raise CertificateError(
            f"The {what} expires at {cert.not_valid_after_utc}, within 24 hours of {now}"
        )


def _public_bytes(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def check_key_matches(cert: x509.Certificate, key: SigningKey) -> None:
    key_bytes = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if key_bytes != _public_bytes(cert):
        raise CertificateError("The certificate and the private key do not match")


def signer_dn(cert: x509.Certificate) -> str:
    """The DN as the receiver compares it with its list: `/C=../O=../CN=..` in subject order."""
    parts = []
    for attribute in cert.subject:
        name = attribute.rfc4514_attribute_name
        parts.append(f"/{name}={attribute.value!s}")
    return "".join(parts)


def _canonical_part(body: str) -> bytes:
    """The bytes `openssl smime -sign -text` signs: a text/plain part header, CRLF ends."""
    text = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return ("Content-Type: text/plain\r\n\r\n" + text).encode("ascii")


def _boundary(body: str) -> str:
    while True:
        boundary = "----" + secrets.token_hex(16).upper()
        if boundary not in body:
            return boundary


def sign(body: str, cert: x509.Certificate, key: SigningKey) -> str:
    """Return the detached S/MIME signed message for an ASCII APEL body.

    cryptography's own S/MIME writer goes through Python's email package line by line,
    which costs more than the signature on 1,000-record messages; we sign the canonical
    part ourselves and write the same multipart/signed layout as `openssl smime -sign
    -text`, with LF line ends as ssmsend puts on the wire (openssl canonicalises to CRLF
    when verifying).
    """
    der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(_canonical_part(body))
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.DER, SIGNING_OPTIONS)
    )
    boundary = _boundary(body)
    signature = base64.encodebytes(der).decode("ascii")
    return (
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/signed; protocol="application/x-pkcs7-signature";'
        f' micalg="sha-256"; boundary="{boundary}"\n\n'
        "This is an S/MIME signed message\n\n"
        f"--{boundary}\n"
        "Content-Type: text/plain\n\n"
        f"{body.replace(chr(13) + chr(10), chr(10))}\n"
        f"--{boundary}\n"
        'Content-Type: application/x-pkcs7-signature; name="smime.p7s"\n'
        "Content-Transfer-Encoding: base64\n"
        'Content-Disposition: attachment; filename="smime.p7s"\n\n'
        f"{signature}\n"
        f"--{boundary}--\n"
    )


def encrypt(signed: str, server_cert: x509.Certificate) -> str:
    """Encrypt a signed message to the receiver's certificate (AES-128, as ssmsend)."""
    encrypted = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(signed.encode("ascii"))
        .add_recipient(server_cert)
        .set_content_encryption_algorithm(algorithms.AES128)
        .encrypt(serialization.Encoding.SMIME, [])
    )
    return encrypted.decode("ascii")


def decrypt(encrypted: str, cert: x509.Certificate, key: rsa.RSAPrivateKey) -> str:
    """The receiver's side of `encrypt`, for tests and diagnostics."""
    plain = pkcs7.pkcs7_decrypt_smime(encrypted.encode("ascii"), cert, key, [])
    return plain.decode("ascii")


@dataclass(frozen=True)
class Signer:
    """Host credentials (and optional receiver certificate) checked once, used per message."""

    cert: x509.Certificate
    key: SigningKey
    server_cert: x509.Certificate | None = None

    @classmethod
    def from_files(
        cls, cert_path: Path, key_path: Path, now: datetime, server_cert_path: Path | None = None
    ) -> Signer:
        signer = cls(
            load_certificate(cert_path),
            load_key(key_path),
            load_certificate(server_cert_path) if server_cert_path else None,
        )
        signer.check(now)
        return signer

    def check(self, now: datetime) -> None:
        check_key_matches(self.cert, self.key)
        check_validity(self.cert, now, "host certificate")
        if self.server_cert is not None:
            check_validity(self.server_cert, now, "server certificate")
            if self.server_cert == self.cert:
                raise CertificateError("The server certificate must differ from the host one")

    def seal(self, body: str) -> str:
        signed = sign(body, self.cert, self.key)
        return signed if self.server_cert is None else encrypt(signed, self.server_cert)


def verify_with_openssl(signed: str, cafile: Path, openssl: str = "openssl") -> str:
    """Verify with `openssl smime -verify` as the receiver does; return the signed content.

    The returned content still starts with the inner `Content-Type: text/plain` part
    header, as the receiver sees it before stripping up to the first blank line.
    """
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "message.smime"
        source.write_text(signed, encoding="ascii")
        completed = subprocess.run(
            [openssl, "smime", "-verify", "-CAfile", str(cafile), "-in", str(source)],
            capture_output=True,
            check=False,
            timeout=30,
        )
    if completed.returncode != 0:
        raise CertificateError(
            f"openssl smime -verify failed: {completed.stderr.decode(errors='replace')}"
        )
    return completed.stdout.decode("ascii")


def inner_text(content: str) -> str:
    """Drop the inner MIME headers up to the first blank line, as the receiver does."""
    normalised = content.replace("\r\n", "\n")
    _, blank, rest = normalised.partition("\n\n")
    if not blank:
        raise ValueError("No blank line between message header and body")
    return rest
