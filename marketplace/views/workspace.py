"""The organization workspace: the signed-in user's organization, members and notifications."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.enums import JoinRequestStatus
from marketplace.forms.organizations import (
    DecisionForm,
    JoinOrganizationForm,
    MembershipRoleForm,
    OrganizationForm,
    VerificationRequestForm,
)
from marketplace.models import JoinRequest, Membership, Notification
from marketplace.permissions import object_or_404
from marketplace.selectors import (
    ACTIVE_ORGANIZATION_SESSION_KEY,
    active_membership,
    join_requests_of,
    memberships_of,
    notifications_for,
    organization_members,
    pending_join_requests,
    transitions_for,
)
from marketplace.services.notifications import notification_mark_read, notifications_mark_all_read
from marketplace.services.organizations import (
    VERIFICATION,
    join_request_approve,
    join_request_cancel,
    join_request_create,
    join_request_reject,
    membership_change_role,
    membership_remove,
    organization_create,
    organization_evidence,
    organization_request_verification,
    organization_update,
)


def membership_required(view):
    """The user must act for an organization; without one they are sent to join or create one."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = active_membership(request)
        if membership is None:
            return redirect("workspace:home")
        return view(request, membership, *args, **kwargs)

    return wrapper


@login_required
def home(request):
    membership = active_membership(request)
    if membership is None:
        return render(
            request,
            "workspace/no_organization.html",
            {"join_requests": join_requests_of(request.user).filter(status=JoinRequestStatus.PENDING)},
        )
    organization = membership.organization
    context = {
        "membership": membership,
        "organization": organization,
        "notifications": notifications_for(request.user).filter(read_at__isnull=True)[:5],
        "pending_requests": pending_join_requests(organization)
        if request.user.has_perm("marketplace.manage_members_organization", organization)
        else [],
        "member_count": organization.memberships.count(),
    }
    return render(request, "workspace/home.html", context)


@login_required
@require_POST
def switch_organization(request):
    wanted = request.POST.get("organization", "")
    membership = next((m for m in memberships_of(request.user) if str(m.organization_id) == wanted), None)
    if membership is None:
        raise Http404
    request.session[ACTIVE_ORGANIZATION_SESSION_KEY] = membership.organization_id
    return redirect("workspace:home")


@membership_required
@require_http_methods(["GET", "POST"])
def organization_edit(request, membership):
    organization = membership.organization
    if not request.user.has_perm("marketplace.change_organization", organization):
        raise PermissionDenied
    form = OrganizationForm(request.POST or None, instance=organization, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            organization_update(organization=organization, user=request.user, **form.service_fields())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The organization's details are saved."))
            return redirect("workspace:home")
    return render(request, "workspace/organization_form.html", {"form": form, "organization": organization})


@membership_required
@require_http_methods(["GET", "POST"])
def verification(request, membership):
    organization = membership.organization
    can_request = request.user.has_perm("marketplace.request_verification_organization", organization)
    form = VerificationRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_request:
            raise PermissionDenied
        if form.is_valid():
            try:
                organization_request_verification(
                    organization=organization, user=request.user, evidence=form.cleaned_data["evidence"]
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request, _("Submitted. The bureau reviews verification requests within a few working days.")
                )
                return redirect("workspace:verification")
    context = {
        "organization": organization,
        "form": form,
        "can_request": can_request,
        "evidence": organization_evidence(organization),
        "history": [
            {"log": log, "label": VERIFICATION.label(log.to_status)} for log in transitions_for(organization)[:20]
        ],
    }
    return render(request, "workspace/verification.html", context)


@membership_required
def members(request, membership):
    organization = membership.organization
    can_manage = request.user.has_perm("marketplace.manage_members_organization", organization)
    context = {
        "organization": organization,
        "members": organization_members(organization),
        "can_manage": can_manage,
        "pending_requests": pending_join_requests(organization) if can_manage else [],
        "role_form": MembershipRoleForm(),
        "decision_form": DecisionForm(),
    }
    return render(request, "workspace/members.html", context)


def _member_of_active_organization(request, membership, pk) -> Membership:
    return object_or_404(
        request.user,
        "marketplace.change_membership",
        Membership.objects.filter(organization=membership.organization).select_related("user"),
        pk=pk,
    )


@membership_required
@require_POST
def member_role(request, membership, pk: int):
    target = _member_of_active_organization(request, membership, pk)
    form = MembershipRoleForm(request.POST)
    if form.is_valid():
        try:
            membership_change_role(membership=target, role=form.cleaned_data["role"], user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(name)s is now %(role)s.")
                % {"name": target.user.get_full_name(), "role": target.get_role_display()},
            )
    return redirect("workspace:members")


@membership_required
@require_POST
def member_remove(request, membership, pk: int):
    target = object_or_404(
        request.user,
        "marketplace.view_membership",
        Membership.objects.filter(organization=membership.organization).select_related("user"),
        pk=pk,
    )
    try:
        membership_remove(membership=target, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("workspace:members")
    except PermissionDenied as exc:
        raise Http404 from exc
    if target.user_id == request.user.pk:
        request.session.pop(ACTIVE_ORGANIZATION_SESSION_KEY, None)
        messages.success(request, _("You have left %(organization)s.") % {"organization": membership.organization.name})
        return redirect("workspace:home")
    messages.success(request, _("%(name)s was removed.") % {"name": target.user.get_full_name()})
    return redirect("workspace:members")


def _join_request_for_admin(request, pk) -> JoinRequest:
    return object_or_404(
        request.user,
        "marketplace.change_joinrequest",
        JoinRequest.objects.select_related("user", "organization"),
        pk=pk,
    )


@login_required
@require_POST
def join_request_approve_view(request, pk: int):
    join_request = _join_request_for_admin(request, pk)
    try:
        join_request_approve(join_request=join_request, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s has joined.") % {"name": join_request.user.get_full_name()})
    return redirect("workspace:members")


@login_required
@require_POST
def join_request_reject_view(request, pk: int):
    join_request = _join_request_for_admin(request, pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        join_request_reject(join_request=join_request, user=request.user, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The request was declined."))
    return redirect("workspace:members")


@login_required
@require_POST
def join_request_cancel_view(request, pk: int):
    join_request = object_or_404(request.user, "marketplace.cancel_joinrequest", JoinRequest.objects.all(), pk=pk)
    try:
        join_request_cancel(join_request=join_request, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your request was withdrawn."))
    return redirect("workspace:home")


@login_required
@require_http_methods(["GET", "POST"])
def join_organization(request):
    form = JoinOrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            join_request_create(user=request.user, organization=form.organization, message=form.cleaned_data["message"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your request has been sent to the organization's administrators."))
            return redirect("workspace:home")
    return render(request, "workspace/join.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def organization_new(request):
    form = OrganizationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            organization = organization_create(created_by=request.user, **form.service_fields())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            request.session[ACTIVE_ORGANIZATION_SESSION_KEY] = organization.pk
            messages.success(
                request, _("%(name)s is registered. Request verification to publish.") % {"name": organization.name}
            )
            return redirect("workspace:verification")
    return render(request, "workspace/organization_form.html", {"form": form, "organization": None})


@login_required
def notifications(request):
    page = Paginator(notifications_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "workspace/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = object_or_404(request.user, "marketplace.change_notification", Notification.objects.all(), pk=pk)
    notification_mark_read(notification=notification)
    if request.htmx:
        return render(request, "workspace/_notification.html", {"notification": notification})
    if notification.url and notification.url.startswith("/") and not notification.url.startswith("//"):
        return redirect(notification.url)
    return redirect("workspace:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
    return redirect("workspace:notifications")
