"""Registration, the user's own profile and their personal data (privacy notice and consent, download,
account deletion). Log-in and password views are Django's."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.forms.accounts import AccountDeleteForm, PrivacyConsentForm, ProfileForm, RegistrationForm
from marketplace.selectors import join_requests_of, memberships_of
from marketplace.services.accounts import account_register, user_update_profile
from marketplace.services.privacy import (
    account_delete,
    organizations_blocking_deletion,
    personal_data_export,
    privacy_consent_record,
)


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("workspace:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_register(**form.service_arguments())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if form.cleaned_data["mode"] == RegistrationForm.CREATE:
                messages.success(
                    request,
                    _(
                        "Welcome! Your organization is registered. Upload its licence to have it verified by the bureau."
                    ),
                )
            else:
                messages.success(
                    request, _("Welcome! Your request to join has been sent to the organization's administrators.")
                )
            return redirect("workspace:home")
    return render(request, "registration/register.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user_update_profile(user=request.user, **{name: form.cleaned_data[name] for name in form.Meta.fields})
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("profile")
    context = {
        "form": form,
        "memberships": memberships_of(request.user),
        "join_requests": join_requests_of(request.user)[:20],
    }
    return render(request, "accounts/profile.html", context)


def _privacy_context() -> dict:
    return {
        "privacy_notice_version": settings.PRIVACY_NOTICE_VERSION,
        "privacy_contact_email": settings.PRIVACY_CONTACT_EMAIL,
        "market_name": settings.MARKET_NAME,
    }


@require_GET
def privacy_notice(request):
    """The privacy notice (PIPL arts. 17 and 30): public, linked from every page and from registration."""
    return render(request, "accounts/privacy_notice.html", _privacy_context())


@login_required
@require_http_methods(["GET", "POST"])
def privacy_consent(request):
    """Asks someone who has not agreed to the current notice (PrivacyConsentMiddleware sends them here)."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = PrivacyConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        privacy_consent_record(user=request.user)
        messages.success(request, _("Thank you. Your agreement to the privacy notice is recorded."))
        return redirect(next_url or "workspace:home")
    context = {**_privacy_context(), "form": form, "next": next_url}
    return render(request, "accounts/privacy_consent.html", context)


@login_required
@require_GET
@never_cache
def personal_data_download(request):
    """A copy of the person's personal data as a JSON file (PIPL art. 45)."""
    data = personal_data_export(user=request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"personal-data-{request.user.pk}-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def account_delete_view(request):
    """Delete one's own account after giving the password again; logs out on success."""
    form = AccountDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_delete(user=request.user, password=form.cleaned_data["password"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            logout(request)
            messages.success(request, _("Your account is deleted. The records you wrote stay with your organizations."))
            return redirect("home")
    context = {"form": form, "blocking_organizations": organizations_blocking_deletion(request.user)}
    return render(request, "accounts/delete.html", context)
