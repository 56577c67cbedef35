"""Probe URLs: the JSON API under api/v1/probes/, the pages and feed under probes/."""

from __future__ import annotations

from django.urls import path

from vacmon.probes import api, views

urlpatterns = [
    path("api/v1/probes/definitions/", api.DefinitionsView.as_view(), name="probes-definitions"),
    path(
        "api/v1/probes/definitions/<int:pk>/",
        api.DefinitionView.as_view(),
        name="probes-definition",
    ),
    path("api/v1/probes/endpoints/", api.EndpointsView.as_view(), name="probes-endpoints"),
    path("api/v1/probes/downtimes/", api.DowntimesView.as_view(), name="probes-downtimes"),
    path("api/v1/probes/downtimes/<int:pk>/", api.DowntimeView.as_view(), name="probes-downtime"),
    path("api/v1/probes/results/", api.ResultsView.as_view(), name="probes-results"),
    path("api/v1/probes/timelines/", api.TimelineView.as_view(), name="probes-timeline"),
    path("api/v1/probes/ar/", api.AvailabilityView.as_view(), name="probes-ar"),
    path("api/v1/probes/runner/", api.RunnerView.as_view(), name="probes-runner"),
    path("probes/", views.matrix, name="probes-matrix"),
    path("probes/metric/", views.metric, name="probes-metric"),
    path("probes/ar/", views.ar_month, name="probes-ar-month"),
    path("probes/ar/<str:site>/", views.ar_site, name="probes-ar-site"),
    path("probes/runner/", views.runner, name="probes-runner-page"),
    path("probes/feed.xml", views.feed_xml, name="probes-feed"),
]
