from django.urls import path

from brokers import views

app_name = "brokers"

urlpatterns = [
    path("", views.directory, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("profile/", views.profile, name="profile"),
    path("profile/upgrade/", views.upgrade, name="upgrade"),
    path("agency/", views.agency, name="agency"),
    path("agency/filings/<int:pk>/confirm/", views.agency_confirm, name="agency-confirm"),
    path("agency/filings/<int:pk>/reject/", views.agency_reject, name="agency-reject"),
    # kind: demand or achievement
    path("claim/<slug:kind>/<int:pk>/", views.claim, name="claim"),
    path("engagements/", views.engagements, name="engagements"),
    path("engagements/<int:pk>/", views.engagement, name="engagement"),
    path("engagements/<int:pk>/activities/", views.activity, name="activity"),
    path("engagements/<int:pk>/negotiate/", views.negotiate, name="negotiate"),
    path("engagements/<int:pk>/deal/", views.mark_deal, name="deal"),
    path("engagements/<int:pk>/drop/", views.drop, name="drop"),
]
