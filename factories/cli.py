"""Command line: `simulate` a fleet, `send` messages from a file, report a `dodas` space.

    python -m factories simulate --sites 5 --factories 4 --machinetypes 3 \\
        --target udp://127.0.0.1:8884 [--rate 200] [--duration 600]
    python -m factories simulate ... --target http://127.0.0.1:8000 --token SITE_TOKEN
    python -m factories send messages.jsonl --target udp://vacmon.example.org:8884
    condor_status -json | python -m factories dodas --space dodas01.example.org \\
        --factory mgr.example.org --target http://vacmon:8000 --token T -
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from factories.cli_dodas import add_dodas_parser
from factories.simulate.run import add_simulate_parser
from factories.transport import SendResult, Transport, open_target


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        help="udp://host:port[,host:port] or http(s)://host:port (repeatable)",
    )
    parser.add_argument("--token", help="site token for an HTTP target")
    parser.add_argument("--spool", help="spool directory for an HTTP target")
    parser.add_argument("--key", help="HMAC key (UTF-8) to sign UDP datagrams with")
    parser.add_argument("--key-id", help="key id to put in signed datagrams")


def open_targets(args: argparse.Namespace) -> list[Transport]:
    if not args.target:
        raise SystemExit("at least one --target is needed")
    key = args.key.encode() if args.key else None
    return [
        open_target(t, token=args.token, spool_dir=args.spool, key=key, key_id=args.key_id)
        for t in args.target
    ]


def send_all(transports: Sequence[Transport], messages: Sequence[dict[str, Any]]) -> SendResult:
    total = SendResult()
    for transport in transports:
        total.add(transport.send(messages))
    return total


def read_messages(stream: TextIO) -> list[dict[str, Any]]:
    """A JSON array of messages, or one JSON object per line (blank lines skipped)."""
    text = stream.read()
    if text.lstrip().startswith("["):
        data = json.loads(text)
        return [m for m in data if isinstance(m, dict)]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def cmd_send(args: argparse.Namespace) -> int:
    if args.file == "-":
        messages = read_messages(sys.stdin)
    else:
        with open(args.file) as handle:
            messages = read_messages(handle)
    transports = open_targets(args)
    try:
        result = send_all(transports, messages)
    finally:
        for transport in transports:
            transport.close()
    print(
        f"{len(messages)} messages: {result.delivered} delivered, {result.spooled} spooled, "
        f"{len(result.refused)} refused, {len(result.errors)} errors",
        file=sys.stderr,
    )
    return 1 if result.errors or result.refused else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m factories",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_simulate_parser(commands, add_target_options, open_targets)
    send = commands.add_parser("send", help="send messages from a file (JSON lines or array)")
    send.add_argument("file", help="file name, or - for stdin")
    add_target_options(send)
    send.set_defaults(func=cmd_send)
    add_dodas_parser(commands, add_target_options, open_targets)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.monotonic()
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print(f"\ninterrupted after {time.monotonic() - started:.0f} s", file=sys.stderr)
        return 130
    return code
