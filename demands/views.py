"""Pages of the demand board: the public board and detail, responding, the enterprise's
workspace, the responder's workspace, and staff recording demands for enterprises."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brokers import services as broker_services
from demands import exports, selectors, services
from demands.enums import ResponseStatus, Source, Status
from demands.forms import BoardFilterForm, DemandForm, MessageForm, NoteForm, ResponseDeclineForm, ResponseForm
from demands.models import Demand, DemandResponse
from marketplace import rules as market_rules
from marketplace.forms.base import live_validation
from marketplace.forms.organizations import MultipleFileField
from marketplace.models import Organization
from marketplace.permissions import object_or_404
from marketplace.ratelimits import abuse_limit
from marketplace.selectors import active_membership, industry_field_groups, region_children, transitions_for
from marketplace.selectors.matching import demand_matches
from marketplace.services.files import private_file_clean_copy
from marketplace.views.workspace import membership_required


def _errors(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _board_queryset(request):
    form = BoardFilterForm(request.GET)
    filters = form.filters()
    queryset = selectors.demand_filter(selectors.demand_list_queryset().public(), filters, user=request.user)
    return form, filters, queryset


@require_GET
def board(request):
    form, filters, queryset = _board_queryset(request)
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "items": selectors.present_many(page, request.user),
        "field_groups": industry_field_groups(),
        "provinces": region_children(None),
        "querystring": query.urlencode(),
    }
    return render(request, "demands/board.html", context)


@require_GET
def board_export(request):
    """The board as filtered, as an Excel sheet — with the same masking as the page."""
    _form, _filters, queryset = _board_queryset(request)
    items = selectors.present_many(queryset[: exports.MAX_ROWS], request.user)
    response = HttpResponse(
        exports.board_workbook(items), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(True, _("Demands.xlsx"))
    return response


@require_GET
def detail(request, pk: int):
    demand = object_or_404(request.user, "demands.view_demand", selectors.demand_detail(pk), pk=pk)
    if demand.is_public:
        services.demand_count_view(demand=demand)
    view = selectors.present(demand, request.user)
    context = {
        "view": view,
        "demand": demand,
        "files": selectors.demand_files(demand) if view.details else [],
        "can_respond": request.user.has_perm("demands.respond_demand", demand),
        "is_owner": request.user.has_perm("demands.manage_demand", demand),
        "own_response": DemandResponse.objects.filter(
            demand=demand,
            organization_id__in=market_rules.membership_roles(request.user).keys(),
            status__in=ResponseStatus.live(),
        ).first()
        if request.user.is_authenticated
        else None,
    }
    return render(request, "demands/detail.html", context)


@require_GET
def file(request, pk: int, number: int):
    """An attachment of a demand whose details the user may see. When the enterprise is hidden
    from the user, the file comes with a neutral name and without embedded metadata."""
    demand = object_or_404(request.user, "demands.see_details_demand", selectors.demand_detail(pk), pk=pk)
    files = list(selectors.demand_files(demand))
    if not 1 <= number <= len(files):
        raise Http404
    stored = files[number - 1]
    view = selectors.present(demand, request.user)
    if view.enterprise is not None:
        return redirect(stored)
    response = HttpResponse(private_file_clean_copy(stored), content_type=stored.content_type_header)
    name = _("Attachment %(number)s.%(ext)s") % {"number": number, "ext": stored.kind}
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@abuse_limit("response")
def respond(request, pk: int):
    demand = object_or_404(request.user, "demands.view_demand", selectors.demand_detail(pk), pk=pk)
    if not request.user.has_perm("demands.respond_demand", demand):
        messages.error(
            request,
            _("Only members of verified organizations other than the enterprise can respond to an open demand."),
        )
        return redirect(demand)
    organization_ids = list(market_rules.membership_roles(request.user).keys())
    form = ResponseForm(request.POST or None, request.FILES or None, organization_ids=organization_ids)
    if request.method == "POST" and form.is_valid():
        try:
            response = services.response_create(
                demand=demand, user=request.user, organization=_responder(request, demand), **form.service_fields()
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your response has been sent to the enterprise."))
            return redirect(response)
    return render(request, "demands/respond.html", {"view": selectors.present(demand, request.user), "form": form})


def _responder(request, demand: Demand) -> Organization | None:
    """The organization chosen in the workspace switcher responds (a member of several has one chosen)."""
    membership = active_membership(request)
    if membership is None or membership.organization_id == demand.organization_id:
        return None
    return membership.organization


# Enterprise workspace ----------------------------------------------------------------------


@membership_required
def workspace_list(request, membership):
    status = request.GET.get("status", "")
    queryset = selectors.organization_demands(membership.organization_id)
    if status in Status.values:
        queryset = queryset.filter(status=status)
    context = {
        "organization": membership.organization,
        "page": Paginator(queryset, 20).get_page(request.GET.get("page")),
        "statuses": Status.choices,
        "status": status,
        "querystring": f"status={status}" if status else "",
    }
    return render(request, "demands/workspace/list.html", context)


def _owned(request, pk: int) -> Demand:
    demand = object_or_404(request.user, "demands.view_demand", selectors.demand_detail(pk), pk=pk)
    if not request.user.has_perm("demands.manage_demand", demand):
        raise Http404
    return demand


@login_required
def workspace_detail(request, pk: int):
    demand = _owned(request, pk)
    history = [{"log": log, "label": services.LIFECYCLE.label(log.to_status)} for log in transitions_for(demand)[:30]]
    context = {
        "demand": demand,
        "view": selectors.present(demand, request.user),
        "responses": selectors.demand_responses(demand),
        "matches": demand_matches(demand, request.user, limit=3),
        "files": selectors.demand_files(demand),
        "history": history,
        "can_edit": request.user.has_perm("demands.change_demand", demand),
        "can_submit": demand.status in services.SUBMITTABLE and not demand.needs_enterprise_confirmation,
        "needs_confirmation": demand.needs_enterprise_confirmation,
        "can_confirm_recorded": demand.needs_enterprise_confirmation
        and market_rules.is_org_admin(request.user, demand.organization),
        "note_form": NoteForm(),
        "attachment_field": MultipleFileField(required=False),
    }
    return render(request, "demands/workspace/detail.html", context)


def _demand_form_page(request, *, form, demand, organization, save):
    form.live_validation_url = request.path
    checked = live_validation(request, form)
    if checked is not None:
        return checked
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                result = save(form)
        except ValidationError as exc:
            form.add_service_error(exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            return result
    context = {"form": form, "demand": demand, "organization": organization}
    return render(request, "demands/workspace/form.html", context)


@membership_required
@require_http_methods(["GET", "POST"])
def create(request, membership):
    organization = membership.organization
    form = DemandForm(request.POST or None, owner=organization)

    def save(form):
        demand = services.demand_create(user=request.user, organization=organization, **form.service_fields())
        messages.success(request, _("The draft is saved. Submit it for review when it is complete."))
        return redirect("demands:workspace-detail", demand.pk)

    return _demand_form_page(request, form=form, demand=None, organization=organization, save=save)


@login_required
@require_http_methods(["GET", "POST"])
def record(request):
    """Bureau staff and active brokers (demand mining, 需求挖掘) record a demand for an
    enterprise, which confirms it before submission."""
    if not request.user.has_perm("demands.record_demand"):
        raise PermissionDenied
    enterprises = Organization.objects.verified().filter(kind="enterprise").order_by("name")
    chosen = request.POST.get("enterprise") or request.GET.get("enterprise") or ""
    organization = enterprises.filter(pk=chosen).first() if chosen.isdigit() else None
    form = DemandForm(request.POST or None, owner=organization)
    form.live_validation_url = request.path
    checked = live_validation(request, form)
    if checked is not None:
        return checked
    if request.method == "POST" and form.is_valid():
        if organization is None:
            form.add_error(None, _("Choose the enterprise the demand is for."))
        else:
            try:
                if market_rules.is_bureau_staff(request.user):
                    demand = services.demand_create(
                        user=request.user, organization=organization, source=Source.STAFF, **form.service_fields()
                    )
                else:
                    # A broker's record (source "broker"); the broker is assigned to see it.
                    demand = broker_services.demand_mine(
                        user=request.user, organization=organization, **form.service_fields()
                    )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Recorded. The enterprise has been asked to confirm it."))
                return redirect("demands:detail", demand.pk)
    context = {
        "form": form,
        "demand": None,
        "organization": organization,
        "enterprises": enterprises,
        "recording": True,
    }
    return render(request, "demands/workspace/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    demand = _owned(request, pk)
    if not request.user.has_perm("demands.change_demand", demand):
        messages.error(request, _("This demand cannot be edited in its current status."))
        return redirect("demands:workspace-detail", pk)
    form = DemandForm(request.POST or None, instance=demand)
    was_published = demand.status == Status.PUBLISHED

    def save(form):
        services.demand_update(demand=demand, user=request.user, **form.service_fields())
        if was_published and demand.status == Status.SUBMITTED:
            messages.warning(
                request, _("Saved. The change needs the bureau's review again; the demand is hidden until then.")
            )
        else:
            messages.success(request, _("Saved."))
        return redirect("demands:workspace-detail", pk)

    return _demand_form_page(request, form=form, demand=demand, organization=demand.organization, save=save)


def _action(request, pk: int, run, success: str, *, with_note: bool = False):
    demand = _owned(request, pk)
    kwargs = {}
    if with_note:
        form = NoteForm(request.POST)
        form.is_valid()
        kwargs["note"] = form.cleaned_data.get("note", "")
    try:
        run(demand, **kwargs)
    except ValidationError as exc:
        _errors(request, exc)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
    else:
        messages.success(request, success)
    return redirect("demands:workspace-detail", pk)


@login_required
@require_POST
def submit(request, pk: int):
    return _action(
        request, pk, lambda d: services.demand_submit(demand=d, user=request.user), _("Submitted for review.")
    )


@login_required
@require_POST
def confirm_recorded(request, pk: int):
    return _action(
        request,
        pk,
        lambda d: services.demand_confirm_recorded(demand=d, user=request.user),
        _("Confirmed and submitted for review."),
    )


@login_required
@require_POST
def confirm(request, pk: int):
    return _action(
        request,
        pk,
        lambda d: services.demand_confirm(demand=d, user=request.user),
        _("Confirmed as current. Thank you."),
    )


@login_required
@require_POST
def solve(request, pk: int):
    return _action(
        request,
        pk,
        lambda d, note: services.demand_mark_solved(demand=d, user=request.user, note=note),
        _("Marked as solved."),
        with_note=True,
    )


@login_required
@require_POST
def close(request, pk: int):
    return _action(
        request,
        pk,
        lambda d, note: services.demand_close(demand=d, user=request.user, note=note),
        _("The demand is closed."),
        with_note=True,
    )


@login_required
@require_POST
def reopen(request, pk: int):
    return _action(
        request, pk, lambda d: services.demand_reopen(demand=d, user=request.user), _("Open for responses again.")
    )


@login_required
@require_POST
def delete(request, pk: int):
    demand = _owned(request, pk)
    try:
        services.demand_delete(demand=demand, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [_("Your role does not allow this.")])))
        return redirect("demands:workspace-detail", pk)
    messages.success(request, _("The draft was deleted."))
    return redirect("demands:workspace-list")


@login_required
@require_POST
def attach(request, pk: int):
    demand = _owned(request, pk)
    field = MultipleFileField(required=True)
    try:
        uploads = field.clean(request.FILES.getlist("files"))
        with transaction.atomic():
            for uploaded in uploads:
                services.demand_attach(demand=demand, user=request.user, uploaded=uploaded)
    except ValidationError as exc:
        _errors(request, exc)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
    else:
        messages.success(request, _("Attachments uploaded."))
    return redirect("demands:workspace-detail", pk)


# Responses ---------------------------------------------------------------------------------


@login_required
def responses(request):
    page = Paginator(selectors.responses_of(request.user), 20).get_page(request.GET.get("page"))
    items = [(response, selectors.present(response.demand, request.user)) for response in page]
    return render(request, "demands/responses.html", {"page": page, "items": items})


@login_required
@require_http_methods(["GET", "POST"])
def response_detail(request, pk: int):
    response = object_or_404(request.user, "demands.view_demandresponse", selectors.response_list_queryset(), pk=pk)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not request.user.has_perm("demands.message_demandresponse", response):
            raise Http404
        if form.is_valid():
            try:
                services.response_message(
                    response=response,
                    user=request.user,
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Message sent."))
                return redirect(response)
    is_owner = request.user.has_perm("demands.decide_demandresponse", response)
    context = {
        "response": response,
        "view": selectors.present(response.demand, request.user),
        "messages_list": selectors.response_messages(response),
        "files": selectors.response_files(response),
        "form": form,
        "decline_form": ResponseDeclineForm(),
        "is_owner": is_owner,
        "is_party": request.user.has_perm("demands.message_demandresponse", response),
        "is_live": response.status in ResponseStatus.live(),
        "can_withdraw": request.user.has_perm("demands.withdraw_demandresponse", response),
    }
    return render(request, "demands/response.html", context)


def _response_action(request, pk: int, run, success: str):
    response = object_or_404(request.user, "demands.view_demandresponse", selectors.response_list_queryset(), pk=pk)
    try:
        # Each service returns the response, or the deal it started, which is shown next.
        result = run(response)
    except ValidationError as exc:
        _errors(request, exc)
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, success)
        return redirect(result or response)
    return redirect(response)


@login_required
@require_POST
def response_shortlist(request, pk: int):
    return _response_action(
        request, pk, lambda r: services.response_shortlist(response=r, user=request.user), _("Shortlisted.")
    )


@login_required
@require_POST
def response_decline(request, pk: int):
    form = ResponseDeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason."))
        return redirect("demands:response", pk)
    return _response_action(
        request,
        pk,
        lambda r: services.response_decline(response=r, user=request.user, **form.cleaned_data),
        _("Declined; the responder sees your reason."),
    )


@login_required
@require_POST
def response_start_deal(request, pk: int):
    return _response_action(
        request,
        pk,
        lambda r: services.response_start_deal(response=r, user=request.user),
        _("The deal is started and the demand is negotiating; the responder has been told."),
    )


@login_required
@require_POST
def response_withdraw(request, pk: int):
    return _response_action(
        request,
        pk,
        lambda r: services.response_withdraw(response=r, user=request.user),
        _("Your response is withdrawn."),
    )
