from __future__ import annotations

from django.urls import path

from vacmon.publisher import api

urlpatterns = [
    path("settings/", api.SettingsListApi.as_view(), name="api-crr-settings"),
    path(
        "settings/<str:site>/<str:space>/",
        api.SettingsDetailApi.as_view(),
        name="api-crr-space-settings",
    ),
]
