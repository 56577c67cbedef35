"""APEL Celery tasks: one-line wrappers with explicit time limits (CELERY_BEAT_SCHEDULE).

A pass killed by its time limit is a crash like any other: its claimed batch goes again,
under the same empa-id, once the claim runs out.
"""

from __future__ import annotations

from celery import shared_task

from vacmon.apel import forwarding, services


@shared_task(time_limit=600, ignore_result=True)
def forward_apel() -> None:
    forwarding.forward_once()


@shared_task(time_limit=1800, ignore_result=True)
def summarise_apel() -> int:
    return services.summarise_pending()
