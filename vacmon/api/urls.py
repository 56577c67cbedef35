from __future__ import annotations

from django.urls import path

from vacmon.api import ingest_views
from vacmon.api import read_views as v

urlpatterns = [
    path("messages", ingest_views.MessagesView.as_view(), name="api-messages"),
    path("sites/", v.SitesView.as_view(), name="api-sites"),
    path("sites/<str:site>/", v.SiteView.as_view(), name="api-site"),
    path("sites/<str:site>/spaces/<str:space>/", v.SpaceView.as_view(), name="api-space"),
    path("spaces/", v.SpacesView.as_view(), name="api-spaces"),
    path("factories/", v.FactoriesView.as_view(), name="api-factories"),
    path(
        "factories/<str:site>/<str:space>/<str:factory>/",
        v.FactoryView.as_view(),
        name="api-factory",
    ),
    path("machinetypes/", v.MachinetypesView.as_view(), name="api-machinetypes"),
    path("machines/", v.MachinesView.as_view(), name="api-machines"),
    path("series/", v.SeriesView.as_view(), name="api-series"),
    path("ingest/counters/", v.CountersView.as_view(), name="api-counters"),
]
