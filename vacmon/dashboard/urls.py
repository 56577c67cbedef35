from __future__ import annotations

from django.urls import path

from vacmon.dashboard import detail_views, views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("search/", views.search, name="search"),
    path("vos/", views.vo_list, name="vos"),
    path("vos/<str:vo>/", views.vo_page, name="vo"),
    path("machines/", detail_views.machines, name="machines"),
    path("sites/<str:site>/", views.site, name="site"),
    path("sites/<str:site>/<str:space>/", views.space, name="space"),
    path(
        "sites/<str:site>/<str:space>/machinetypes/<str:machinetype>/",
        detail_views.machinetype,
        name="machinetype",
    ),
    path("sites/<str:site>/<str:space>/<str:factory>/", detail_views.factory, name="factory"),
    path(
        "sites/<str:site>/<str:space>/<str:factory>/machines/<str:machine>/",
        detail_views.machine,
        name="machine",
    ),
]
