"""Admin actions that call a service per object, shared by every app's review queue."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (shown to the organization)"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=2000,
    )


def apply_service(modeladmin, request, queryset, service: Callable, *, done_message: str) -> None:
    """Call `service(obj)` for each selected object, each in its own transaction; report
    successes and, per object, the reason a failure was refused."""
    done = 0
    for obj in queryset:
        try:
            with transaction.atomic():
                service(obj)
        except (ValidationError, PermissionDenied) as exc:
            detail = " ".join(exc.messages) if isinstance(exc, ValidationError) else _("not allowed")
            modeladmin.message_user(request, f"{obj}: {detail}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


def reason_action(modeladmin, request, queryset, service: Callable, *, title: str, done_message: str):
    """An action that first asks for a reason on an intermediate page, then applies
    `service(obj, reason)` to every selected object."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        reason = form.cleaned_data["reason"]
        apply_service(modeladmin, request, queryset, lambda obj: service(obj, reason), done_message=done_message)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "objects": queryset,
        "form": form,
        "action": request.POST.get("action"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/reason_action.html", context)
