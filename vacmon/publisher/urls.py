from __future__ import annotations

from django.urls import path

from vacmon.publisher import views

urlpatterns = [
    path("", views.index, name="crr-index"),
    path("<str:site>/crr.json", views.site_document, name="crr-site"),
    path("<str:site>/<str:space>/crr.json", views.space_document, name="crr-space"),
]
