"""The Celery application: background work (rollups, retention, CRR, APEL, probes)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vacmon.settings")

app = Celery("vacmon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["vacmon"])
