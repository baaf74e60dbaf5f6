"""Staff accounts log in with a second factor (TOTP through django-otp, recovery codes as backup).

After the password log-in a staff member's session is not yet *verified*: until they enter a
six-digit code from their authenticator app (or a one-time recovery code) on the two-factor pages
(marketplace/views/two_factor.py), `StaffSecondFactorMiddleware` lets them reach nothing else but
those pages and the log-out. The admin console asks the same of its users (`StaffAdminSite`), and
its own log-in page only forwards to the site's, so it cannot be used to get around the step.

This module is imported while the app registry loads (`StaffAdminConfig` is in INSTALLED_APPS), so
it must not import models at module level.
"""

from __future__ import annotations

from urllib.parse import urlencode

import rules
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.signals import m2m_changed
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from marketplace import rules as market_rules
from marketplace.enums import StaffGroup

# How long a non-staff user's "no bureau staff group" answer is kept; group changes drop it at once
# (see _forget_staff_groups), the timeout only bounds changes made behind the ORM's back.
STAFF_GROUP_CACHE_SECONDS = 300


def _staff_group_cache_key(user_pk) -> str:
    return f"second-factor:staff-group:{user_pk}"


@rules.predicate
def has_staff_flag(user) -> bool:
    return bool(getattr(user, "is_staff", False))


@rules.predicate
def in_staff_group(user) -> bool:
    """Member of a bureau staff group. The bureau predicates (marketplace.rules) grant their powers
    on group membership alone, so such a user is staff even without `is_staff`. Cached per user:
    the middleware asks on every request, and other users must not pay a query for it."""
    key = _staff_group_cache_key(user.pk)
    member = cache.get(key)
    if member is None:
        member = user.groups.filter(name__in=StaffGroup.values).exists()
        cache.set(key, member, STAFF_GROUP_CACHE_SECONDS)
    return member


# Staff: who can enter the admin console (is_staff, superusers) or holds a bureau role.
requires_second_factor = rules.is_authenticated & (market_rules.is_superuser | has_staff_flag | in_staff_group)


def _forget_staff_groups(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """Group membership changed (from the user's side or the group's): drop the cached answers."""
    if sender._meta.label_lower != f"{settings.AUTH_USER_MODEL.lower()}_groups":
        return
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        user_pks = [instance.pk]
    elif pk_set is not None:
        user_pks = list(pk_set)
    else:  # a group's members cleared: find them before they go
        user_pks = list(instance.user_set.values_list("pk", flat=True))
    keys = [_staff_group_cache_key(pk) for pk in user_pks]
    cache.delete_many(keys)
    # Again once the change is committed: a request between the change and the commit would have
    # cached the old answer (not staff) and skipped the second factor until it expired.
    transaction.on_commit(lambda: cache.delete_many(keys))


m2m_changed.connect(_forget_staff_groups, dispatch_uid="marketplace.otp.forget_staff_groups")


def _remember_staff_groups(sender, request, user, **kwargs) -> None:
    """A fresh answer at each log-in, so that the requests of the session find it cached."""
    if not (user.is_superuser or user.is_staff):
        member = user.groups.filter(name__in=StaffGroup.values).exists()
        cache.set(_staff_group_cache_key(user.pk), member, STAFF_GROUP_CACHE_SECONDS)


user_logged_in.connect(_remember_staff_groups, dispatch_uid="marketplace.otp.remember_staff_groups")


def second_factor_pending(request) -> bool:
    """The request's user is staff and this session has not passed the second factor yet."""
    if not settings.STAFF_OTP_REQUIRED:
        return False
    user = request.user
    if not requires_second_factor(user):
        return False
    is_verified = getattr(user, "is_verified", None)  # installed by django-otp's OTPMiddleware
    return not (is_verified is not None and is_verified())


def two_factor_url(next_url: str) -> str:
    return f"{reverse('two-factor')}?{urlencode({'next': next_url})}"


class StaffSecondFactorMiddleware:
    """Sends staff sessions without a verified second factor to the two-factor page (HTML), or
    refuses them with 403 (API). Everything is covered — the admin console, the statistics console,
    the review pages of every app, the session API — so that no staff-only page can be forgotten;
    only the two-factor pages, log-out, static files and the health check stay open.
    Goes after django-otp's OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_prefixes: tuple[str, ...] | None = None

    def _open(self, path: str) -> bool:
        if self._open_prefixes is None:
            self._open_prefixes = (
                reverse("two-factor"),
                reverse("logout"),
                reverse("healthz"),
                reverse("favicon"),
                "/" + settings.STATIC_URL.lstrip("/"),
            )
        return path.startswith(self._open_prefixes)

    def __call__(self, request):
        if second_factor_pending(request) and not self._open(request.path_info):
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request):
        if request.path_info.startswith("/api/"):
            message = _("Staff accounts must complete two-step verification before using the API.")
            return JsonResponse(
                {"error": {"code": "second_factor_required", "message": message, "fields": {}}}, status=403
            )
        if request.method == "GET":
            target = two_factor_url(request.get_full_path())
        else:  # a form posted from a page opened before: come back to that page, not to the POST
            target = two_factor_url(request.headers.get("Referer") or resolve_url(settings.LOGIN_REDIRECT_URL))
        if request.headers.get("HX-Request"):
            # A partial update would swap the two-factor page into a fragment: let htmx navigate.
            return HttpResponse(status=204, headers={"HX-Redirect": target})
        return HttpResponseRedirect(target)


class StaffAdminSite(AdminSite):
    """The admin console, open only to staff sessions that passed the second factor. Its own log-in
    page is never used: visitors go to the site's log-in (password, then the second factor)."""

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        if not settings.STAFF_OTP_REQUIRED:
            return True
        is_verified = getattr(request.user, "is_verified", None)
        return is_verified is not None and is_verified()

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or reverse("admin:index")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        if request.user.is_authenticated:
            if second_factor_pending(request):
                return HttpResponseRedirect(two_factor_url(next_url))
            if self.has_permission(request):
                return HttpResponseRedirect(next_url)
            # Logged in but not admin staff: the site's log-in would only send them back here.
            raise PermissionDenied
        return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}")


class StaffAdminConfig(AdminConfig):
    """django.contrib.admin with StaffAdminSite as the default site (INSTALLED_APPS)."""

    default_site = "marketplace.otp.StaffAdminSite"


# Bureau administrators manage staff members' second-factor devices in the admin console:
# deleting a member's authenticator (and recovery codes) makes them enrol again at the next log-in.
for _app_label, _model in (("otp_totp", "totpdevice"), ("otp_static", "staticdevice")):
    rules.add_perm(_app_label, market_rules.is_bureau_administrator)
    for _action in ("view", "delete"):  # no change: a device must not be moved to another account
        rules.add_perm(f"{_app_label}.{_action}_{_model}", market_rules.is_bureau_administrator)
