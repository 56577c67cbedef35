"""Every periodic entry names a task the worker registers: task names follow module paths,
so a package that moves takes its beat entries with it or its work silently stops."""

from __future__ import annotations

from django.conf import settings


def test_every_beat_entry_names_a_registered_task() -> None:
    import vacmon.tasks  # noqa: F401  (registers every feature's tasks, as the worker does)
    from vacmon.celery import app

    unregistered = {
        key: entry["task"]
        for key, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in app.tasks
    }
    assert unregistered == {}


def test_the_store_is_maintained_every_minute_by_one_task() -> None:
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if "maintain" in e["task"]]
    assert entries == [{"task": "vacmon.tasks.maintain_store", "schedule": 60.0}]
