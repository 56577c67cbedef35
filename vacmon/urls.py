from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/", include("vacmon.api.urls")),
    path("api/v1/crr/", include("vacmon.publisher.api_urls")),
    path("crr/", include("vacmon.publisher.urls")),
    path("", include("vacmon.probes.urls")),
    path("", include("vacmon.ops.urls")),
    path("", include("vacmon.apel.urls")),
    path("", include("vacmon.dashboard.urls")),
]
