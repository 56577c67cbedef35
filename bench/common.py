"""What the benchmarks share: a throwaway VacMon on a fresh SQLite database, and the CPU
a process has used, read from /proc."""

from __future__ import annotations

import os
from pathlib import Path


def setup_django(var_dir: str, *, allow_insecure: bool = False) -> None:
    """Django with its state under `var_dir` and the embedded store, migrated. A DATABASE_URL
    or ELASTICSEARCH_URL in the environment is dropped, so a run never writes to them;
    `allow_insecure` lets a bench serve pages from a loopback instance with the
    development defaults."""
    os.environ["VACMON_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("ELASTICSEARCH_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vacmon.settings")
    if allow_insecure:
        os.environ.setdefault("VACMON_ALLOW_INSECURE", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def process_cpu(pid: int | str, *, reaped: bool = False) -> tuple[str, float]:
    """The name and the user plus system CPU seconds of one process, with those of the
    children it reaped when `reaped` (a PostgreSQL backend's go to its postmaster when it
    ends); ("", 0.0) once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "", 0.0
    name, fields = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
    # utime, stime, cutime, cstime: fields 14-17 of proc(5), counted after the name.
    ticks = fields.split()[11 : 15 if reaped else 13]
    return name, sum(map(int, ticks)) / os.sysconf("SC_CLK_TCK")
