"""What the benchmarks share: a throwaway VacMon on a fresh SQLite database."""

from __future__ import annotations

import os


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
