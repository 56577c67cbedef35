"""Small builders shared by the APEL tests: record texts and a throwaway PKI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
JOB_HEADER = "APEL-individual-job-message: v0.3"


def job_fields(**changes: str | None) -> dict[str, str]:
    """A Vac-style job record (spec vac-protocol 6.1); None removes a field."""
    fields = {
        "Site": "UKI-NORTHGRID-MAN-HEP",
        "SubmitHost": "vac01.tier2.hep.manchester.ac.uk/vac-vm123.tier2.hep.manchester.ac.uk",
        "LocalJobId": "c9e8d7f6-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
        "LocalUserId": "vm123.tier2.hep.manchester.ac.uk",
        "Queue": "atlas",
        "GlobalUserName": "/DC=uk/DC=ac/DC=manchester/DC=hep/DC=tier2/DC=vac01",
        "FQAN": "/atlas/Role=production/Capability=NULL",
        "WallDuration": "86355",
        "CpuDuration": "84211",
        "Processors": "1",
        "NodeCount": "1",
        "InfrastructureDescription": "APEL-VAC",
        "InfrastructureType": "grid",
        "StartTime": "1795600000",
        "EndTime": "1795686355",
        "MemoryReal": "2097152",
        "MemoryVirtual": "2097152",
        "ServiceLevelType": "HEPSPEC",
        "ServiceLevel": "12.5",
    }
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return fields


def record_text(fields: dict[str, str]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in fields.items())


def message(*records: dict[str, str], header: str = JOB_HEADER) -> str:
    return header + "\n" + "".join(record_text(r) + "%%\n" for r in records)


def many_jobs(count: int, start: int = 0) -> str:
    return message(*(job_fields(LocalJobId=f"job-{i:07d}") for i in range(start, start + count)))


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    cert_file: Path
    key_file: Path
    server_cert_file: Path
    server_key_file: Path
    ca_cert: x509.Certificate


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "UK"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "VacMon Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue(
    subject: str,
    issuer_key: rsa.RSAPrivateKey | None = None,
    issuer_name: x509.Name | None = None,
    not_after: datetime | None = None,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    is_ca = issuer_key is None
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name or _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - timedelta(days=1))
        .not_valid_after(not_after or datetime.now(UTC) + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if is_ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    return builder.sign(issuer_key or key, hashes.SHA256()), key


def write_pem(path: Path, cert: x509.Certificate, key: rsa.RSAPrivateKey | None = None) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        key_path = path.with_suffix(".key")
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


def make_pki(directory: Path) -> Pki:
    ca_cert, ca_key = issue("VacMon Test CA")
    host_cert, host_key = issue("vacmon.example.org", ca_key, ca_cert.subject)
    server_cert, server_key = issue("apel-server.example.org", ca_key, ca_cert.subject)
    write_pem(directory / "ca.pem", ca_cert)
    write_pem(directory / "host.pem", host_cert, host_key)
    write_pem(directory / "server.pem", server_cert, server_key)
    return Pki(
        ca_file=directory / "ca.pem",
        cert_file=directory / "host.pem",
        key_file=directory / "host.key",
        server_cert_file=directory / "server.pem",
        server_key_file=directory / "server.key",
        ca_cert=ca_cert,
    )
