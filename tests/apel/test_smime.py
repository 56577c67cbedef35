from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from apel.parse import parse_message
from apel.smime import (
    CertificateError,
    Signer,
    check_validity,
    decrypt,
    inner_text,
    load_certificate,
    load_key,
    sign,
    signer_dn,
    verify_with_openssl,
)
from tests.apel.helpers import NOW, Pki, issue, many_jobs, write_pem


def test_openssl_verifies_the_signature_and_the_receiver_reads_the_body(pki: Pki) -> None:
    body = many_jobs(3)
    signed = sign(body, load_certificate(pki.cert_file), load_key(pki.key_file))
    content = verify_with_openssl(signed, pki.ca_file)
    assert inner_text(content) == body
    assert parse_message(inner_text(content), NOW).ok


def test_the_signature_is_detached_sha256_with_a_plain_text_inner_part(pki: Pki) -> None:
    cert, key = load_certificate(pki.cert_file), load_key(pki.key_file)
    signed = sign("APEL-sync-message: v0.1\n", cert, key)
    assert 'Content-Type: multipart/signed; protocol="application/x-pkcs7-signature"' in signed
    assert 'micalg="sha-256"' in signed
    assert "pkcs7-mime" not in signed  # an opaque signature would be taken for encryption
    assert "\r" not in signed  # LF line ends, as ssmsend's openssl writes them
    signed_part = signed.split("This is an S/MIME signed message\n\n")[1]
    boundary_line, inner_headers, _ = signed_part.split("\n", 2)
    assert boundary_line.startswith("--")
    assert inner_headers == "Content-Type: text/plain"
    assert signed_part.split("\n", 3)[2] == ""  # blank line, then the APEL body


def test_openssl_notices_tampering(pki: Pki) -> None:
    signed = sign(many_jobs(1), load_certificate(pki.cert_file), load_key(pki.key_file))
    with pytest.raises(CertificateError):
        tampered = signed.replace("WallDuration: 86355", "WallDuration: 96355")
        verify_with_openssl(tampered, pki.ca_file)


def test_an_encrypted_message_decrypts_to_a_verifiable_signed_one(pki: Pki) -> None:
    signer = Signer.from_files(pki.cert_file, pki.key_file, datetime.now(UTC), pki.server_cert_file)
    sealed = signer.seal(many_jobs(2))
    assert "application/pkcs7-mime" in sealed or "application/x-pkcs7-mime" in sealed
    server_key = load_key(pki.server_key_file)
    signed = decrypt(sealed, load_certificate(pki.server_cert_file), server_key)  # type: ignore[arg-type]
    assert inner_text(verify_with_openssl(signed, pki.ca_file)) == many_jobs(2)


def test_openssl_cli_can_decrypt_what_we_encrypt(pki: Pki, tmp_path: Path) -> None:
    signer = Signer.from_files(pki.cert_file, pki.key_file, datetime.now(UTC), pki.server_cert_file)
    (tmp_path / "in").write_text(signer.seal(many_jobs(1)))
    completed = subprocess.run(
        ["openssl", "smime", "-decrypt", "-in", str(tmp_path / "in"), "-recip",
         str(pki.server_cert_file), "-inkey", str(pki.server_key_file)],
        capture_output=True, check=True, timeout=30,
    )  # fmt: skip
    assert inner_text(verify_with_openssl(completed.stdout.decode(), pki.ca_file)) == many_jobs(1)


def test_it_refuses_a_certificate_expiring_within_24_hours() -> None:
    cert, _ = issue("short.example.org", not_after=datetime.now(UTC) + timedelta(hours=23))
    with pytest.raises(CertificateError, match="within 24 hours"):
        check_validity(cert, datetime.now(UTC))
    check_validity(cert, datetime.now(UTC) - timedelta(hours=2))


def test_it_refuses_a_key_that_does_not_match_the_certificate(pki: Pki, tmp_path: Path) -> None:
    other, other_key = issue("other.example.org")
    write_pem(tmp_path / "other.pem", other, other_key)
    with pytest.raises(CertificateError, match="do not match"):
        Signer.from_files(pki.cert_file, tmp_path / "other.key", datetime.now(UTC))


def test_it_refuses_the_host_certificate_as_server_certificate(pki: Pki) -> None:
    with pytest.raises(CertificateError, match="differ"):
        Signer.from_files(pki.cert_file, pki.key_file, datetime.now(UTC), pki.cert_file)


def test_the_signer_dn_is_in_the_receivers_slash_format(pki: Pki) -> None:
    assert signer_dn(load_certificate(pki.cert_file)) == "/C=UK/O=VacMon Test/CN=vacmon.example.org"
