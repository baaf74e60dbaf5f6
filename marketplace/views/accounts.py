"""Registration and the user's own profile. Log-in and password views are Django's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from marketplace.forms.accounts import ProfileForm, RegistrationForm
from marketplace.selectors import join_requests_of, memberships_of
from marketplace.services.accounts import account_register, user_update_profile


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
