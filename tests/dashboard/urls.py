"""The dashboard alone at the site root, as vacmon/urls.py mounts it, so these tests do not
depend on every other package's routes importing."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("", include("vacmon.dashboard.urls"))]
