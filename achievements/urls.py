from django.urls import path

from achievements import feeds, views, views_featured

app_name = "achievements"

urlpatterns = [
    path("achievements/", views.library, name="list"),
    path("achievements/<int:pk>/", views.detail, name="detail"),
    path("achievements/<int:pk>/inquire/", views.inquire, name="inquire"),
    path("workspace/achievements/", views.workspace_list, name="workspace-list"),
    path("workspace/achievements/new/", views.create, name="create"),
    path("workspace/achievements/<int:pk>/", views.workspace_detail, name="workspace-detail"),
    path("workspace/achievements/<int:pk>/edit/", views.edit, name="edit"),
    path("workspace/achievements/<int:pk>/submit/", views.submit, name="submit"),
    path("workspace/achievements/<int:pk>/approve-internally/", views.approve_internally, name="approve-internally"),
    path("workspace/achievements/<int:pk>/return/", views.return_internally, name="return"),
    path("workspace/achievements/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("workspace/achievements/<int:pk>/mark-transferred/", views.mark_transferred, name="mark-transferred"),
    path("workspace/achievements/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("workspace/achievements/<int:pk>/track/", views.track, name="track"),
    path("workspace/achievements/<int:pk>/delete/", views.delete, name="delete"),
    path("workspace/achievements/<int:pk>/attach/", views.attach, name="attach"),
    path("workspace/achievements/<int:pk>/ledger/", views.ledger_add, name="ledger-add"),
    path("workspace/achievements/<int:pk>/problems/", views.problem_add, name="problem-add"),
    path("workspace/problems/<int:pk>/", views.problem_update, name="problem-update"),
    path("workspace/inquiries/", views.inquiries, name="inquiries"),
    path("workspace/inquiries/<int:pk>/", views.inquiry, name="inquiry"),
    path("workspace/inquiries/<int:pk>/decline/", views.inquiry_decline, name="inquiry-decline"),
    path("workspace/inquiries/<int:pk>/start-deal/", views.inquiry_start_deal, name="inquiry-start-deal"),
    path("workspace/reports/", views.report, name="report"),
    path("workspace/reports/monthly.xlsx", views.report_xlsx, name="report-xlsx"),
    # Featured achievements (好成果) and their e-mail digest.
    path("featured/", views_featured.archive, name="featured"),
    path("featured/rss/", feeds.FeaturedRssFeed(), name="featured-rss"),
    path("featured/atom/", feeds.FeaturedAtomFeed(), name="featured-atom"),
    path("featured/<int:number>/", views_featured.issue_detail, name="featured-issue"),
    path("featured/<int:number>/print/", views_featured.issue_print, name="featured-print"),
    path("featured/<int:number>.pdf", views_featured.issue_pdf, name="featured-pdf"),
    path("featured/subscribe/", views_featured.subscribe, name="subscribe"),
    path("featured/confirm/<str:token>/", views_featured.subscription_confirm, name="subscription-confirm"),
    path("featured/unsubscribe/<str:token>/", views_featured.unsubscribe, name="unsubscribe"),
    path("workspace/subscriptions/", views_featured.subscriptions, name="subscriptions"),
    path("workspace/subscriptions/<int:pk>/", views_featured.subscription_update, name="subscription-update"),
    path(
        "workspace/subscriptions/<int:pk>/unsubscribe/",
        views_featured.subscription_cancel,
        name="subscription-cancel",
    ),
]
