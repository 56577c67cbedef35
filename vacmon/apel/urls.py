from __future__ import annotations

from django.urls import path

from vacmon.apel import api, views

urlpatterns = [
    path("api/v1/apel/messages", api.MessagesApi.as_view(), name="apel-messages"),
    path("api/v1/apel/status", api.StatusApi.as_view(), name="apel-status"),
    path("accounting/", views.index, name="accounting-index"),
]
