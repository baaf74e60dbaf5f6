"""Pages of the achievement library: the public library and detail, the organization's
workspace (listings, lifecycle actions, files, tracking, reports) and inquiries."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from achievements import reports, selectors, services
from achievements.enums import TRL, InquiryStatus, Status
from achievements.forms import (
    AchievementForm,
    AttachmentForm,
    CompleterFormSet,
    DeclineForm,
    InquiryForm,
    IPRightFormSet,
    LedgerEntryForm,
    LibraryFilterForm,
    OptionalReasonForm,
    ProblemForm,
    ProblemUpdateForm,
    ReasonForm,
    ReplyForm,
)
from achievements.models import Achievement, Inquiry, Problem
from marketplace.permissions import object_or_404
from marketplace.privacy import mask_email, mask_name, mask_phone
from marketplace.ratelimits import abuse_limit
from marketplace.selectors import active_membership, industry_field_groups, region_children, transitions_for
from marketplace.selectors.matching import achievement_matches
from marketplace.views.workspace import membership_required


def _service_error(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


# Public library ----------------------------------------------------------------------------


@require_GET
def library(request):
    form = LibraryFilterForm(request.GET)
    filters = form.filters()
    queryset = selectors.achievement_filter(selectors.achievement_list_queryset().public(), filters)
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "field_groups": industry_field_groups(),
        "provinces": region_children(None),
        "querystring": query.urlencode(),
    }
    return render(request, "achievements/library.html", context)


@require_GET
def detail(request, pk: int):
    achievement = object_or_404(request.user, "achievements.view_achievement", selectors.achievement_detail(pk), pk=pk)
    if achievement.is_public:
        services.achievement_count_view(achievement=achievement)
    show_contact = selectors.can_see_contact(request.user, achievement)
    context = {
        "achievement": achievement,
        "trl_levels": TRL.choices,
        "files": selectors.achievement_files(achievement),
        "show_contact": show_contact,
        "contact": _contact(achievement, show_contact),
        "can_inquire": request.user.has_perm("achievements.inquire_achievement", achievement),
        "inquiry_form": InquiryForm(initial={"subject": achievement.title[:200]}),
        "is_owner": request.user.has_perm("achievements.confirm_achievement", achievement),
        "evaluations": selectors.evaluation_results(achievement),
    }
    return render(request, "achievements/detail.html", context)


def _contact(achievement: Achievement, show: bool) -> dict:
    if show:
        return {
            "name": achievement.contact_name,
            "phone": achievement.contact_phone,
            "email": achievement.contact_email,
        }
    return {
        "name": mask_name(achievement.contact_name),
        "phone": mask_phone(achievement.contact_phone) if achievement.contact_phone else "",
        "email": mask_email(achievement.contact_email) if achievement.contact_email else "",
    }


@login_required
@require_http_methods(["GET", "POST"])
@abuse_limit("inquiry")
def inquire(request, pk: int):
    achievement = object_or_404(request.user, "achievements.view_achievement", selectors.achievement_detail(pk), pk=pk)
    if not request.user.has_perm("achievements.inquire_achievement", achievement):
        messages.error(request, _("Only members of verified organizations other than the owner can send inquiries."))
        return redirect(achievement)
    form = InquiryForm(request.POST or None, request.FILES or None, initial={"subject": achievement.title[:200]})
    if request.method == "POST" and form.is_valid():
        try:
            inquiry = services.inquiry_create(
                achievement=achievement,
                user=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your inquiry has been sent; the contact details are now visible to you."))
            return redirect(inquiry)
    return render(request, "achievements/inquire.html", {"achievement": achievement, "form": form})


# Workspace: the organization's achievements ------------------------------------------------


@membership_required
def workspace_list(request, membership):
    organization = membership.organization
    status = request.GET.get("status", "")
    queryset = selectors.organization_achievements(organization.pk)
    if status in Status.values:
        queryset = queryset.filter(status=status)
    context = {
        "organization": organization,
        "page": Paginator(queryset, 20).get_page(request.GET.get("page")),
        "statuses": Status.choices,
        "status": status,
        "internal_queue": selectors.internal_review_queue(organization.pk)
        if request.user.has_perm("achievements.approve_internally_achievement", organization)
        else [],
        "querystring": f"status={status}" if status else "",
    }
    return render(request, "achievements/workspace/list.html", context)


def _owned(request, pk: int, permission: str = "achievements.view_achievement") -> Achievement:
    """An achievement of one of the user's organizations; 404 for everyone else."""
    achievement = object_or_404(request.user, permission, selectors.achievement_detail(pk), pk=pk)
    if not request.user.has_perm("achievements.confirm_achievement", achievement):
        raise Http404
    return achievement


@login_required
def workspace_detail(request, pk: int):
    achievement = _owned(request, pk)
    user = request.user
    history = [
        {"log": log, "label": services.LIFECYCLE.label(log.to_status)} for log in transitions_for(achievement)[:30]
    ]
    context = {
        "achievement": achievement,
        "history": history,
        "files": selectors.achievement_files(achievement),
        "attachment_form": AttachmentForm(),
        "reason_form": ReasonForm(),
        "optional_reason_form": OptionalReasonForm(),
        "can_edit": user.has_perm("achievements.change_achievement", achievement),
        "can_delete": achievement.status == Status.DRAFT,
        "can_submit": achievement.status in services.SUBMITTABLE,
        "can_approve_internally": achievement.status == Status.INTERNAL_REVIEW
        and user.has_perm("achievements.approve_internally_achievement", achievement),
        "can_withdraw": services.LIFECYCLE.can(achievement.status, Status.WITHDRAWN),
        "can_transfer": achievement.status == Status.PUBLISHED,
        "ledger": achievement.ledger_entries.select_related("author")[:24] if achievement.is_tracked else [],
        "problems": achievement.problems.all() if achievement.is_tracked else [],
        "ledger_form": LedgerEntryForm(initial={"month": timezone.localdate().replace(day=1)}),
        "problem_form": ProblemForm(),
        "problem_update_form": ProblemUpdateForm(),
        "inquiries": achievement.inquiries.select_related("organization").order_by("-updated_at")[:20],
        "matches": achievement_matches(achievement, user, limit=3),
    }
    return render(request, "achievements/workspace/detail.html", context)


def _edit_forms(request, achievement: Achievement | None):
    data = request.POST if request.method == "POST" else None
    completers = (
        [{"name": c.name, "affiliation": c.affiliation, "title": c.title} for c in achievement.completers.all()]
        if achievement
        else []
    )
    ip_rights = (
        [
            {"kind": r.kind, "title": r.title, "number": r.number, "status": r.status}
            for r in achievement.ip_rights.all()
        ]
        if achievement
        else []
    )
    return (
        AchievementForm(data, instance=achievement),
        CompleterFormSet(data, prefix="completers", initial=completers or None),
        IPRightFormSet(data, prefix="ip_rights", initial=ip_rights or None),
    )


@membership_required
@require_http_methods(["GET", "POST"])
def create(request, membership):
    form, completers, ip_rights = _edit_forms(request, None)
    attachments = AttachmentForm(request.POST or None, request.FILES or None)
    attachments.fields["files"].required = False
    if request.method == "POST" and all(f.is_valid() for f in (form, completers, ip_rights, attachments)):
        try:
            with transaction.atomic():
                achievement = services.achievement_create(
                    user=request.user,
                    organization=membership.organization,
                    completers=completers.rows(),
                    ip_rights=ip_rights.rows(),
                    **form.service_fields(),
                )
                for uploaded in attachments.cleaned_data["files"]:
                    services.achievement_attach(achievement=achievement, user=request.user, uploaded=uploaded)
        except ValidationError as exc:
            (attachments if "files" in getattr(exc, "message_dict", {}) else form).add_service_error(exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("The draft is saved. Submit it for review when it is complete."))
            return redirect("achievements:workspace-detail", achievement.pk)
    context = {
        "form": form,
        "completers": completers,
        "ip_rights": ip_rights,
        "attachments": attachments,
        "achievement": None,
    }
    return render(request, "achievements/workspace/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    achievement = _owned(request, pk, "achievements.view_achievement")
    if not request.user.has_perm("achievements.change_achievement", achievement):
        messages.error(request, _("This achievement cannot be edited in its current status."))
        return redirect("achievements:workspace-detail", pk)
    form, completers, ip_rights = _edit_forms(request, achievement)
    if request.method == "POST" and all(f.is_valid() for f in (form, completers, ip_rights)):
        was_published = achievement.status == Status.PUBLISHED
        try:
            services.achievement_update(
                achievement=achievement,
                user=request.user,
                completers=completers.rows(),
                ip_rights=ip_rights.rows(),
                **form.service_fields(),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if was_published and achievement.status == Status.SUBMITTED:
                messages.warning(
                    request, _("Saved. The change needs the bureau's review again; the listing is hidden until then.")
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("achievements:workspace-detail", pk)
    context = {"form": form, "completers": completers, "ip_rights": ip_rights, "achievement": achievement}
    return render(request, "achievements/workspace/form.html", context)


def _action(request, pk: int, run, success: str, *, form_class=None):
    achievement = _owned(request, pk)
    kwargs = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
            return redirect("achievements:workspace-detail", pk)
        kwargs = form.cleaned_data
    try:
        run(achievement, **kwargs)
    except ValidationError as exc:
        _service_error(request, exc)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
    else:
        messages.success(request, success)
    return redirect("achievements:workspace-detail", pk)


@login_required
@require_POST
def submit(request, pk: int):
    def run(achievement):
        services.achievement_submit(achievement=achievement, user=request.user)

    return _action(request, pk, run, _("Submitted for review."))


@login_required
@require_POST
def approve_internally(request, pk: int):
    return _action(
        request,
        pk,
        lambda a: services.achievement_approve_internally(achievement=a, user=request.user),
        _("Approved and passed on to the bureau."),
    )


@login_required
@require_POST
def return_internally(request, pk: int):
    return _action(
        request,
        pk,
        lambda a, reason: services.achievement_return_internally(achievement=a, user=request.user, reason=reason),
        _("Returned to its author."),
        form_class=ReasonForm,
    )


@login_required
@require_POST
def withdraw(request, pk: int):
    return _action(
        request,
        pk,
        lambda a, reason: services.achievement_withdraw(achievement=a, user=request.user, reason=reason),
        _("Withdrawn."),
        form_class=OptionalReasonForm,
    )


@login_required
@require_POST
def mark_transferred(request, pk: int):
    return _action(
        request,
        pk,
        lambda a: services.achievement_mark_transferred(achievement=a, user=request.user),
        _("Marked as transferred."),
    )


@login_required
@require_POST
def confirm(request, pk: int):
    return _action(
        request,
        pk,
        lambda a: services.achievement_confirm(achievement=a, user=request.user),
        _("Confirmed as current. Thank you."),
    )


@login_required
@require_POST
def track(request, pk: int):
    tracked = request.POST.get("tracked") == "1"
    return _action(
        request,
        pk,
        lambda a: services.achievement_set_tracked(achievement=a, user=request.user, tracked=tracked),
        _("Tracking switched on.") if tracked else _("Tracking switched off."),
    )


@login_required
@require_POST
def delete(request, pk: int):
    achievement = _owned(request, pk)
    try:
        services.achievement_delete(achievement=achievement, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [_("Your role does not allow this.")])))
        return redirect("achievements:workspace-detail", pk)
    messages.success(request, _("The draft was deleted."))
    return redirect("achievements:workspace-list")


@login_required
@require_POST
def attach(request, pk: int):
    achievement = _owned(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("achievements:workspace-detail", pk)
    try:
        with transaction.atomic():
            for uploaded in form.cleaned_data["files"]:
                services.achievement_attach(achievement=achievement, user=request.user, uploaded=uploaded)
    except ValidationError as exc:
        _service_error(request, exc)
    except PermissionDenied:
        messages.error(request, _("This achievement cannot be edited in its current status."))
    else:
        messages.success(request, _("Attachments uploaded."))
    return redirect("achievements:workspace-detail", pk)


@login_required
@require_POST
def ledger_add(request, pk: int):
    achievement = _owned(request, pk)
    form = LedgerEntryForm(request.POST)
    if form.is_valid():
        try:
            services.ledger_entry_record(achievement=achievement, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _service_error(request, exc)
        else:
            messages.success(request, _("Progress recorded."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("achievements:workspace-detail", pk)


@login_required
@require_POST
def problem_add(request, pk: int):
    achievement = _owned(request, pk)
    form = ProblemForm(request.POST)
    if form.is_valid():
        try:
            services.problem_create(achievement=achievement, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _service_error(request, exc)
        else:
            messages.success(request, _("Problem added to the list."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("achievements:workspace-detail", pk)


@login_required
@require_POST
def problem_update(request, pk: int):
    problem = object_or_404(
        request.user, "achievements.change_problem", Problem.objects.select_related("achievement"), pk=pk
    )
    form = ProblemUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.problem_update(problem=problem, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _service_error(request, exc)
        else:
            messages.success(request, _("Problem updated."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("achievements:workspace-detail", problem.achievement_id)


# Inquiries ---------------------------------------------------------------------------------


@login_required
def inquiries(request):
    box = request.GET.get("box", "received")
    membership = active_membership(request)
    queryset = selectors.inquiries_for(request.user)
    organization_ids = [m.organization_id for m in getattr(request, "_memberships", [])]
    if box == "sent":
        queryset = queryset.filter(organization_id__in=organization_ids)
    else:
        box = "received"
        queryset = queryset.filter(achievement__organization_id__in=organization_ids)
    context = {
        "box": box,
        "page": Paginator(queryset, 20).get_page(request.GET.get("page")),
        "querystring": f"box={box}",
        "decline_reasons": selectors.decline_reasons(membership.organization_id) if membership else [],
    }
    return render(request, "achievements/inquiries.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def inquiry(request, pk: int):
    item = object_or_404(
        request.user,
        "achievements.view_inquiry",
        Inquiry.objects.select_related("achievement", "achievement__organization", "organization", "user"),
        pk=pk,
    )
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not request.user.has_perm("achievements.reply_inquiry", item):
            raise Http404
        if form.is_valid():
            try:
                services.inquiry_reply(
                    inquiry=item,
                    user=request.user,
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Message sent."))
                return redirect(item)
    is_asker = request.user.has_perm("achievements.decline_inquiry", item)
    context = {
        "inquiry": item,
        "messages_list": selectors.inquiry_messages(item),
        "files": selectors.inquiry_files(item),
        "form": form,
        "decline_form": DeclineForm(),
        "is_party": request.user.has_perm("achievements.reply_inquiry", item),
        "is_asker": is_asker,
        "closed": item.status in (InquiryStatus.DECLINED, InquiryStatus.DEAL_STARTED),
        "can_start_deal": item.status == InquiryStatus.ANSWERED
        and request.user.has_perm("achievements.start_deal_inquiry", item),
    }
    return render(request, "achievements/inquiry.html", context)


@login_required
@require_POST
def inquiry_decline(request, pk: int):
    item = object_or_404(
        request.user, "achievements.view_inquiry", Inquiry.objects.select_related("achievement"), pk=pk
    )
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason."))
        return redirect(item)
    try:
        services.inquiry_decline(
            inquiry=item, user=request.user, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        _service_error(request, exc)
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, _("You declined; the institution sees your reason."))
    return redirect(item)


@login_required
@require_POST
def inquiry_start_deal(request, pk: int):
    item = object_or_404(
        request.user, "achievements.view_inquiry", Inquiry.objects.select_related("achievement"), pk=pk
    )
    try:
        deal = services.inquiry_start_deal(inquiry=item, user=request.user)
    except ValidationError as exc:
        _service_error(request, exc)
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, _("The deal is started; the other side has been told."))
        return redirect(deal)
    return redirect(item)


# Monthly institution report ----------------------------------------------------------------


def _report_month(request) -> date:
    value = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        today = timezone.localdate()
        return today.replace(day=1)


@membership_required
def report(request, membership):
    month = _report_month(request)
    context = {
        "organization": membership.organization,
        "report": selectors.institution_month_report(membership.organization_id, month),
        "month_value": month.strftime("%Y-%m"),
    }
    return render(request, "achievements/workspace/report.html", context)


@membership_required
def report_xlsx(request, membership):
    month = _report_month(request)
    data = selectors.institution_month_report(membership.organization_id, month)
    content = reports.month_report_workbook(membership.organization, data)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    filename = _("Monthly report %(month)s.xlsx") % {"month": month.strftime("%Y-%m")}
    response["Content-Disposition"] = content_disposition_header(True, f"{membership.organization.name} {filename}")
    return response
