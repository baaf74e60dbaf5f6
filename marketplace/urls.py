"""Root URL configuration: public pages, accounts, workspace, API, admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from oauth2_provider import views as oauth_views

from marketplace.forms.accounts import LoginForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from marketplace.ratelimits import abuse_limit
from marketplace.views import accounts, evaluation, public, workspace
from marketplace.views import search as search_views
from marketplace.views import statistics as statistics_views
from marketplace.views import statistics_funnel as statistics_funnel_views
from marketplace.views import two_factor as two_factor_views

admin.site.site_header = "科技大市场 · 管理控制台"
admin.site.site_title = "科技大市场管理"
admin.site.index_title = "科技局工作台"

account_patterns = [
    # Abuse limits per client address on the POSTs (ABUSE_LIMITS, marketplace/ratelimits.py).
    path("register/", abuse_limit("register")(accounts.register), name="register"),
    path(
        "login/",
        abuse_limit("login")(
            auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True)
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Staff accounts' second step after the password (marketplace/otp.py).
    path("two-factor/", abuse_limit("login")(two_factor_views.two_factor), name="two-factor"),
    path("two-factor/setup/", two_factor_views.two_factor_setup, name="two-factor-setup"),
    path(
        "password-reset/",
        abuse_limit("password_reset")(auth_views.PasswordResetView.as_view(form_class=PasswordResetForm)),
        name="password_reset",
    ),
    path("password-reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=SetPasswordForm),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path(
        "password-change/",
        auth_views.PasswordChangeView.as_view(
            form_class=PasswordChangeForm, success_url=reverse_lazy("password_change_done")
        ),
        name="password_change",
    ),
    path("password-change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("profile/", accounts.profile, name="profile"),
    path("privacy/", accounts.privacy_notice, name="privacy-notice"),
    path("privacy/consent/", accounts.privacy_consent, name="privacy-consent"),
    path("profile/my-data/", accounts.personal_data_download, name="personal-data-download"),
    # Checks the password again: limited like the log-in.
    path("profile/delete/", abuse_limit("login")(accounts.account_delete_view), name="account-delete"),
]

organization_patterns = (
    [
        path("", public.organization_directory, name="list"),
        path("<int:pk>/", public.organization_detail, name="detail"),
    ],
    "organizations",
)

workspace_patterns = (
    [
        path("", workspace.home, name="home"),
        path("switch/", workspace.switch_organization, name="switch"),
        path("organization/", workspace.organization_edit, name="organization"),
        path("organization/new/", workspace.organization_new, name="organization-new"),
        path("join/", workspace.join_organization, name="join"),
        path("verification/", workspace.verification, name="verification"),
        path("members/", workspace.members, name="members"),
        path("members/<int:pk>/role/", workspace.member_role, name="member-role"),
        path("members/<int:pk>/remove/", workspace.member_remove, name="member-remove"),
        path("join-requests/<int:pk>/approve/", workspace.join_request_approve_view, name="join-request-approve"),
        path("join-requests/<int:pk>/reject/", workspace.join_request_reject_view, name="join-request-reject"),
        path("join-requests/<int:pk>/cancel/", workspace.join_request_cancel_view, name="join-request-cancel"),
        path("notifications/", workspace.notifications, name="notifications"),
        path("notifications/<int:pk>/read/", workspace.notification_read, name="notification-read"),
        path("notifications/read-all/", workspace.notifications_read_all, name="notifications-read-all"),
        path("saved-searches/", search_views.saved_search_list, name="saved-searches"),
        path("saved-searches/<int:pk>/delete/", search_views.saved_search_delete_view, name="saved-search-delete"),
        path("favourites/", search_views.favourite_list, name="favourites"),
    ],
    "workspace",
)

evaluation_patterns = (
    [
        path("", evaluation.assignment_list, name="list"),
        path("profile/", evaluation.profile_edit, name="profile"),
        path("assignments/<int:pk>/", evaluation.assignment_detail, name="assignment"),
        path("assignments/<int:pk>/submit/", evaluation.assignment_submit_view, name="submit"),
        path("assignments/<int:pk>/decline/", evaluation.assignment_decline_view, name="decline"),
        path("assignments/<int:pk>/subjects/<int:subject_pk>/", evaluation.subject_score, name="subject"),
        path(
            "assignments/<int:pk>/subjects/<int:subject_pk>/files/<int:number>/",
            evaluation.subject_file,
            name="subject-file",
        ),
    ],
    "evaluation",
)

statistics_patterns = (
    [
        path("", statistics_views.dashboard, name="dashboard"),
        path("export/", statistics_views.export, name="export"),
        path("funnel/", statistics_funnel_views.funnel_page, name="funnel"),
        path("funnel/export/", statistics_funnel_views.funnel_export, name="funnel-export"),
        path("bulletin/", statistics_views.bulletin, name="bulletin"),
        path("bulletin/print/", statistics_views.bulletin_html, name="bulletin-html"),
    ],
    "statistics",
)

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin console).
    path("favicon.ico", public.favicon, name="favicon"),
    path("accounts/", include(account_patterns)),
    path("organizations/", include(organization_patterns)),
    path("workspace/", include(workspace_patterns)),
    path("expert/", include(evaluation_patterns)),
    path("statistics/", include(statistics_patterns)),
    path("brokers/", include("brokers.urls")),
    path("pilots/", include("pilots.urls")),
    path("events/", include("events.urls")),
    path("", include("achievements.urls")),
    path("", include("demands.urls")),
    path("", include("marketplace.urls_matching")),
    path("", include("marketplace.urls_deals")),
    path("search/", search_views.search_page, name="search"),
    path("search/save/", search_views.saved_search_save, name="search-save"),
    path("favourites/<slug:kind>/<int:object_id>/", search_views.favourite_toggle, name="favourite-toggle"),
    path("regions/options/", public.region_options, name="region-options"),
    path("files/<uuid:pk>/", public.private_file, name="private-file"),
    path("api/", include("marketplace.api.urls")),
    # Partner systems' OAuth2 tokens (client credentials only): issue and revoke.
    path("o/token/", oauth_views.TokenView.as_view(), name="oauth-token"),
    path("o/revoke_token/", oauth_views.RevokeTokenView.as_view(), name="oauth-revoke-token"),
    path("admin/", admin.site.urls),
]
