"""APEL forwarding throughput: uploaded text -> parse -> outbox -> batch -> sign -> STOMP receipt.

Needs RabbitMQ's STOMP adapter on 127.0.0.1:61613 (guest/guest). Prints records/s for the
whole path and for each stage. Usage: .venv/bin/python bench/apel.py [--records 50000]

`--django` measures VacMon's own path instead: each upload is POSTed to
/api/v1/apel/messages (Django test client, in process), stored in the database outbox
(a fresh SQLite file, or DATABASE_URL's database, migrated first), then one forwarding
pass cuts, signs and sends the batches and records each broker receipt. The uploads'
text is generated and the URL conf imported before the clock starts. `--stages` adds
where the time went, in microseconds a record, from timers around each stage's function.

`--django --pipelined` forwards while the uploads go on, as the service does: a second
process (the Celery worker's part) runs forwarding passes back to back from before the
first upload until every record has its broker receipt, and end to end is the time from
the first upload to the last receipt. `--clients N` uploads from N processes at once, as the
web server's workers take concurrent uploads. Both print the CPU each part used per
record over the timed run: the forked processes' own, and PostgreSQL's and RabbitMQ's
read from /proc (a PostgreSQL backend's time goes to its postmaster when it ends).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from apel.config import BrokerAddress, StompSettings
from apel.forwarder import Forwarder
from apel.outbox import SqliteOutbox
from apel.parse import parse_message
from apel.smime import Signer
from apel.stomp_sender import StompSender
from bench.common import process_cpu

RECORD = """Site: UKI-NORTHGRID-MAN-HEP
SubmitHost: vac01.tier2.hep.manchester.ac.uk/vac-vm123.tier2.hep.manchester.ac.uk
LocalJobId: {job_id}
LocalUserId: vm123.tier2.hep.manchester.ac.uk
Queue: atlas
GlobalUserName: /DC=uk/DC=ac/DC=manchester/DC=hep/DC=tier2/DC=vac01
FQAN: /atlas/Role=production/Capability=NULL
WallDuration: 86355
CpuDuration: 84211
Processors: 1
NodeCount: 1
InfrastructureDescription: APEL-VAC
InfrastructureType: grid
StartTime: {start}
EndTime: {end}
MemoryReal: 2097152
MemoryVirtual: 2097152
ServiceLevelType: HEPSPEC
ServiceLevel: 12.5
"""


def uploads(total: int, per_upload: int, now: int) -> list[str]:
    texts = []
    for first in range(0, total, per_upload):
        records = [
            RECORD.format(job_id=uuid.UUID(int=i), start=now - 90000 - i, end=now - 3600 - i)
            for i in range(first, min(total, first + per_upload))
        ]
        texts.append("APEL-individual-job-message: v0.3\n" + "%%\n".join(records) + "%%\n")
    return texts


def throwaway_signer(directory: Path) -> Signer:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vacmon-bench.example.org")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=7))
        .sign(key, hashes.SHA256())
    )
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Signer.from_files(directory / "cert.pem", directory / "key.pem", now)


def drain(queue: str) -> None:
    import kombu

    with kombu.Connection("amqp://guest:guest@127.0.0.1:5672//", connect_timeout=5) as conn:
        conn.default_channel.queue_delete(queue)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--upload-size", type=int, default=1000)
    parser.add_argument("--django", action="store_true", help="through VacMon's endpoint and DB")
    parser.add_argument(
        "--stages", action="store_true", help="with --django: microseconds a record per stage"
    )
    parser.add_argument(
        "--pipelined",
        action="store_true",
        help="with --django: forward from a second process while the uploads go on",
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=1,
        help="with --django: upload from this many processes at once, as web workers take them",
    )
    args = parser.parse_args()
    # Other work on the machine moves these figures a lot: say how busy it was.
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if args.django:
        if args.stages and args.clients > 1:
            parser.error("--stages times the uploads in this process: use it with --clients 1")
        run_django(args.records, args.upload_size, args.stages, args.pipelined, args.clients)
        return
    now = datetime.now(UTC)
    texts = uploads(args.records, args.upload_size, int(now.timestamp()))
    queue = f"vacmon-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        signer = throwaway_signer(Path(tmp))
        outbox = SqliteOutbox(Path(tmp) / "outbox.sqlite3")
        settings = StompSettings(
            (BrokerAddress("127.0.0.1", 61613),), f"/queue/{queue}", False, "guest", "guest"
        )
        forwarder = Forwarder(outbox, StompSender(settings), signer.seal)
        started = time.perf_counter()
        accepted = 0
        for text in texts:
            result = parse_message(text, now)
            accepted += len(result.records)
            outbox.add(result.records)
        parsed = time.perf_counter()
        report = forwarder.run_once()
        done = time.perf_counter()
    drain(queue)
    assert report.sent_records == accepted == args.records, (report, accepted)
    total = done - started
    print(f"records: {args.records} in {report.sent_batches} messages")
    print(f"parse + outbox: {accepted / (parsed - started):,.0f} records/s")
    print(f"batch + sign + send + receipt: {accepted / (done - parsed):,.0f} records/s")
    print(f"end to end: {accepted / total:,.0f} records/s ({total:.2f} s)")


class Stages:
    """Wall time spent inside chosen functions, summed per stage. Each is wrapped once per
    upload or per batch, so the wrapping costs nothing measurable per record."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner: object, name: str, stage: str) -> None:
        inner = getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)

    def wrap_iterator(self, owner: object, name: str, stage: str) -> None:
        inner = getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> Iterator[object]:
            items = inner(*args, **kwargs)
            while True:
                started = time.perf_counter()
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    spent = time.perf_counter() - started
                    self.seconds[stage] = self.seconds.get(stage, 0.0) + spent
                yield item

        setattr(owner, name, timed)

    def install(self) -> None:
        from apel.smime import Signer
        from apel.stomp_sender import StompSender
        from vacmon.apel import api, jobs, services
        from vacmon.apel.outbox import DjangoOutbox

        self.wrap(api.services, "accept_message", "upload: accept (parse .. commit)")
        self.wrap(services, "read_message", "upload: parse + checks")
        # A uniform message's own path (services._accept_uniform) authorises, dedups and
        # looks up relayed months in bulk; the rest take these per-record steps.
        self.wrap(services, "_authorised", "upload: per-record authorisation")
        self.wrap(services, "_not_relayed", "upload: months the site summarises itself")
        self.wrap(services, "_last_of_each_key", "upload: dedup within the upload")
        self.wrap(jobs, "uniform_rows", "upload: rows (uniform, by column)")
        self.wrap(jobs, "record_rows", "upload: rows (record by record)")
        self.wrap(jobs, "store", "upload: insert/upsert")
        self.wrap(DjangoOutbox, "claim_next_batch", "forward: cut batches (and read their texts)")
        self.wrap(Signer, "seal", "forward: build body + sign")
        self.wrap_iterator(StompSender, "send_all", "forward: send + await receipts")
        self.wrap(DjangoOutbox, "mark_sent", "forward: receipt bookkeeping")

    def report(self, records: int, upload: float, forward: float) -> None:
        accept = self.seconds.get("upload: accept (parse .. commit)", 0.0)
        rows = {"upload: HTTP handling (client, middleware, DRF)": upload - accept}
        rows |= self.seconds
        forwarded = sum(v for k, v in self.seconds.items() if k.startswith("forward"))
        rows["forward: the rest (pass set-up, loop)"] = forward - forwarded
        for stage, seconds in rows.items():
            print(f"  {stage:52} {seconds / records * 1e6:7.2f} us/record")


def run_django(
    total: int, per_upload: int, stages: bool = False, pipelined: bool = False, clients: int = 1
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vacmon.settings")
        os.environ["VACMON_VAR_DIR"] = tmp  # the SQLite file, unless DATABASE_URL is set
        # A throwaway service on loopback: the development key is fine (vacmon.wsgi checks).
        os.environ.setdefault("VACMON_ALLOW_INSECURE", "true")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client

        from vacmon.apel.forwarding import forward_once
        from vacmon.models import ApelBatch, ApelRecord, Site
        from vacmon.trust.tokens import issue_token

        call_command("migrate", verbosity=0)
        if ApelRecord.objects.exists():
            sys.exit("the database already holds APEL records; point DATABASE_URL at an empty one")
        now = datetime.now(UTC)
        texts = uploads(total, per_upload, int(now.timestamp()))
        throwaway_signer(Path(tmp))
        queue = f"vacmon-bench-{uuid.uuid4().hex[:8]}"
        config = Path(tmp) / "sender.cfg"
        config.write_text(
            "[broker]\nhost: 127.0.0.1\nport: 61613\nuse_ssl: false\n"
            "username: guest\npassword: guest\n"
            f"[certificates]\ncertificate: {tmp}/cert.pem\nkey: {tmp}/key.pem\n"
            f"[messaging]\ndestination: /queue/{queue}\n"
        )
        settings.VACMON_APEL_CONFIG = str(config)
        # Uploads carry a sender token of the records' site, as VACMON_APEL_UPLOAD_AUTH requires.
        _, token = issue_token(Site.objects.create(name="UKI-NORTHGRID-MAN-HEP"), "bench")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        # What a running server has done before its first upload: import the URL conf
        # (and with it every view module). Not timed.
        from django.urls import resolve

        resolve("/api/v1/apel/messages")
        # And what the web server's process setup does: vacmon.wsgi freezes what is loaded
        # by then, so full garbage collections no longer walk it.
        import vacmon.wsgi  # noqa: F401

        timing = Stages()
        if stages:
            timing.install()
        forwarder = Forked(forward_until, total) if pipelined else None
        shares = [texts[i::clients] for i in range(clients)] if clients > 1 else []
        uploaders = [Forked(upload_all, client, share) for share in shares]
        print("load average before the timed run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        servers_before, own_before = servers_cpu(), own_cpu()
        started = time.perf_counter()
        for worker in [forwarder, *uploaders]:
            if worker is not None:
                worker.go()
        if uploaders:
            accepted = sum(cast(int, uploader.result()) for uploader in uploaders)
        else:
            accepted = upload_all(client, texts)
        uploaded = time.perf_counter()
        if forwarder is not None:
            done, sent, passes = cast(tuple[float, int, int], forwarder.result())
        else:
            result = forward_once()
            done = time.perf_counter()
            assert result.report is not None, result
            sent, passes = result.report.sent_records, 1
        own = own_cpu() - own_before
        time.sleep(0.3)  # the forked uploaders' backends end and are reaped
        servers = {k: v - servers_before[k] for k, v in servers_cpu().items()}
        drain(queue)
        assert sent == accepted == total, (sent, accepted, total)
        assert not ApelBatch.objects.filter(sent_at=None).exists()
        batches = ApelBatch.objects.count()
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        how = "pipelined" if pipelined else "one pass after the uploads"
        print(
            f"django ({engine}, {how}, {clients} upload client(s)): {total} records"
            f" in {batches} messages, {passes} passes"
        )
        print(f"upload (HTTP endpoint -> DB outbox): {total / (uploaded - started):,.0f} records/s")
        if not pipelined:
            rate = total / (done - uploaded)
            print(f"forward (batch + sign + send + receipt): {rate:,.0f} records/s")
        print(f"end to end: {total / (done - started):,.0f} records/s ({done - started:.2f} s)")
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        cpu = {"this process": own} | {f"uploader {n}": u.cpu for n, u in enumerate(uploaders, 1)}
        if forwarder is not None:
            cpu["forwarder"] = forwarder.cpu
        cpu |= servers
        print(f"CPU over the timed run ({done - started:.2f} s wall), us a record:")
        for part, seconds in cpu.items():
            print(f"  {part:14} {seconds / total * 1e6:6.1f}")
        print(f"  {'total':14} {sum(cpu.values()) / total * 1e6:6.1f}")
        if stages:
            timing.report(total, uploaded - started, done - uploaded)


def upload_all(client: object, texts: list[str]) -> int:
    accepted = 0
    for text in texts:
        response = client.post(  # type: ignore[attr-defined]
            "/api/v1/apel/messages", text, content_type="text/plain"
        )
        assert response.status_code == 202, response.content[:300]
        accepted += int(response.json()["accepted"])
    return accepted


def forward_until(total: int) -> tuple[float, int, int]:
    """Forwarding passes back to back, as a busy Celery worker runs them, until `total`
    records have their receipts: the time of the last receipt, the records and passes."""
    from vacmon.apel.forwarding import forward_once

    sent = passes = 0
    while sent < total:
        result = forward_once()
        assert result.report is not None and not result.report.failures, result
        sent += result.report.sent_records
        passes += 1
        if not result.report.sent_records:
            time.sleep(0.005)  # nothing waiting yet: look again shortly
    return time.perf_counter(), sent, passes


class Forked:
    """`job(*args)` in a process forked now, after the set-up (so with the same settings
    and database, on its own connection), started by go() and answered by result()."""

    def __init__(self, job: Callable[..., object], *args: object) -> None:
        import multiprocessing

        from django.db import connections

        connections.close_all()  # never share a connection across the fork
        context = multiprocessing.get_context("fork")
        self._start, ready = context.Pipe()
        self._done, finished = context.Pipe()
        self._process = context.Process(target=self._run, args=(job, args, ready, finished))
        self._process.start()
        self.cpu = 0.0  # the job's own CPU seconds, known with its result

    def go(self) -> None:
        self._start.send(None)

    def result(self) -> object:
        answer, self.cpu = self._done.recv()
        self._process.join()
        return answer

    @staticmethod
    def _run(job: Callable[..., object], args: tuple[object, ...], ready: Any, done: Any) -> None:
        ready.recv()
        started = own_cpu()
        answer = job(*args)
        done.send((answer, own_cpu() - started))


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def servers_cpu() -> dict[str, float]:
    """CPU seconds so far of the PostgreSQL and RabbitMQ processes on this machine, with
    the children each reaped: a backend's time goes to the postmaster when it ends."""
    names = {"postgres": "PostgreSQL", "beam.smp": "RabbitMQ"}
    seconds = dict.fromkeys(names.values(), 0.0)
    for entry in Path("/proc").glob("[0-9]*"):
        name, cpu = process_cpu(entry.name, reaped=True)
        if name in names:
            seconds[names[name]] += cpu
    return seconds


if __name__ == "__main__":
    main()
