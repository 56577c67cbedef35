from __future__ import annotations

from django.apps import AppConfig


class VacmonConfig(AppConfig):
    name = "vacmon"
    verbose_name = "VacMon"
    default_auto_field = "django.db.models.BigAutoField"
