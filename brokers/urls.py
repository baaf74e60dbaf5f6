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

from brokers import views_training  # noqa: E402 -- training routes appended after the core ones

urlpatterns += [
    path("training/", views_training.course_list, name="courses"),
    path("training/<int:pk>/", views_training.course_detail, name="course"),
    path("training/<int:pk>/enrol/", views_training.enrol, name="enrol"),
    path("training/report/", views_training.training_report, name="training-report"),
    path("training/report.xlsx", views_training.training_report_xlsx, name="training-report-xlsx"),
]

from brokers import views_rewards  # noqa: E402 -- team, performance and reward routes appended after the core ones

urlpatterns += [
    path("teams/", views_rewards.teams, name="teams"),
    path("teams/<int:pk>/", views_rewards.team, name="team"),
    path("performance/", views_rewards.performance, name="performance"),
    path("performance.xlsx", views_rewards.performance_export, name="performance-export"),
    path("performance/excellent/", views_rewards.excellent_select, name="excellent-select"),
    path("excellent/", views_rewards.excellent, name="excellent"),
]
