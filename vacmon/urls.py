from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/", include("vacmon.api.urls")),
    path("api/v1/crr/", include("vacmon.crr.api_urls")),
    path("crr/", include("vacmon.crr.urls")),
    path("", include("vacmon.probes.urls")),
    path("", include("vacmon.ops.urls")),
    path("", include("vacmon.accounting.urls")),
    path("", include("vacmon.dashboard.urls")),
]
