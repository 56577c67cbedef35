"""`python -m factories dodas`: report an HTCondor (DODAS) space from condor_status -json."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from factories.build import factory_status, machinetype_status
from factories.collect import vcycle_collector
from factories.dodas import CondorMapping, load_ads, snapshot
from factories.flavour import dodas
from factories.model import HostStatus, Sender
from factories.transport import Transport


def space_messages(
    ads: list[dict[str, Any]],
    sender: Sender,
    mapping: CondorMapping,
    now: int,
    host: HostStatus,
) -> list[dict[str, Any]]:
    """factory_status + one machinetype_status per machinetype for the space."""
    snap = snapshot(ads, mapping, now)
    messages = [
        factory_status(sender, now=now, host=host, running=snap.totals, capacity=snap.capacity)
    ]
    count = len(snap.machinetypes)
    messages.extend(
        machinetype_status(sender, now=now, machinetype=mt, num_machinetypes=count)
        for mt in snap.machinetypes
    )
    return messages


def _slot_types(values: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for value in values:
        number, _, name = value.partition("=")
        out[int(number)] = name
    return out


def cmd_dodas(
    args: argparse.Namespace, open_targets: Callable[[argparse.Namespace], list[Transport]]
) -> int:
    if args.file == "-":
        ads = load_ads(sys.stdin)
    else:
        with open(args.file) as handle:
            ads = load_ads(handle)
    mapping = CondorMapping(
        slot_types=_slot_types(args.slot_type),
        default_vo=args.default_vo,
        hs06_per_core=args.hs06_per_core,
    )
    sender = Sender(dodas(), args.space, args.factory, args.site)
    host = vcycle_collector(daemon_dir=args.daemon_dir).collect()
    messages = space_messages(ads, sender, mapping, int(time.time()), host)
    if args.print:
        for message in messages:
            print(json.dumps(message))
        return 0
    transports = open_targets(args)
    for transport in transports:
        result = transport.send(messages)
        if result.errors:
            print("; ".join(result.errors), file=sys.stderr)
        transport.close()
    return 0


def add_dodas_parser(
    commands: Any,
    add_target_options: Callable[[argparse.ArgumentParser], None],
    open_targets: Callable[[argparse.Namespace], list[Transport]],
) -> None:
    cmd = commands.add_parser("dodas", help="report an HTCondor space from condor_status -json")
    cmd.add_argument("file", help="condor_status -json output, or - for stdin")
    cmd.add_argument("--space", required=True)
    cmd.add_argument("--factory", required=True, help="the reporting host's FQDN")
    cmd.add_argument("--site", help="GOCDB site name")
    cmd.add_argument("--slot-type", action="append", default=[], help="N=machinetype")
    cmd.add_argument("--default-vo")
    cmd.add_argument("--hs06-per-core", type=float)
    cmd.add_argument("--daemon-dir", default="/tmp", help="disk whose free space is reported")
    cmd.add_argument("--print", action="store_true", help="print the messages, send nothing")
    add_target_options(cmd)
    cmd.set_defaults(func=lambda args: cmd_dodas(args, open_targets))
