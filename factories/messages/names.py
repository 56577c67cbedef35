"""The characters a site, space, factory, machinetype or machine name may hold.

Every real name is a GOCDB site name (`UKI-NORTHGRID-MAN-HEP`, `CERN-PROD`, `INFN-T1`), a DNS
name (spaces, factories, Vac machines `vm123-01.example.ac.uk`, the site fallback), a Vac
machinetype (`[a-z0-9-]+`, spec 1.4) or a Vcycle machine (`vcycle-<machinetype>-<10 chars>`,
spec 1.5). So: ASCII letters, digits, `.`, `_` and `-`, starting with a letter or a digit.
A machine may also hold `@`: an HTCondor slot (`slot1_2@wn01.example.org`) is the machine
the DODAS adapter reports, and `@` is a plain character in a URL path. Anything else (a `/`,
a `%`, a newline, a space, unicode) is refused at ingest as `bad_name`, because these names
become URL path segments, file names and metric labels. A name that starts with a letter or
digit is never `.` or `..`, which a browser would fold away.
"""

from __future__ import annotations

import re

MAX_NAME = 255
NAME_FIELDS = ("site", "space", "factory", "machinetype", "machine")
NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit"
MACHINE_RULE = "letters, digits, '.', '_', '-' and '@', starting with a letter or digit"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)
_MACHINE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*", re.ASCII)


# Names found safe, per rule: a factory sends the same few names every minute, so nearly every
# check is one set lookup instead of a regex match. Bounded, as senders choose the names.
_KNOWN: dict[bool, set[str]] = {False: set(), True: set()}
_KNOWN_LIMIT = 100_000


def is_safe_name(value: str, field: str = "site") -> bool:
    """True if `value` may be the `field` name of a message."""
    machine = field == "machine"
    known = _KNOWN[machine]
    if value in known:
        return True
    pattern = _MACHINE if machine else _NAME
    if len(value) > MAX_NAME or pattern.fullmatch(value) is None:
        return False
    if len(known) >= _KNOWN_LIMIT:
        known.clear()
    known.add(value)
    return True


def rule_for(field: str) -> str:
    return MACHINE_RULE if field == "machine" else NAME_RULE
