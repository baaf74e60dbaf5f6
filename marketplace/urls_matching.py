from django.urls import path

from marketplace.views import matching

app_name = "matching"

urlpatterns = [
    path("workspace/demands/<int:pk>/matches/", matching.demand_page, name="demand"),
    path("workspace/achievements/<int:pk>/matches/", matching.achievement_page, name="achievement"),
    path("matches/<int:pk>/feedback/", matching.feedback, name="feedback"),
    path("matching/preview/", matching.preview, name="preview"),
    path("workspace/triage/", matching.triage, name="triage"),
]
