"""Service-request pages for both sides: the requester's and the operator's lists, a request's
page with its history and bookings, and each side's moves on it (quotation, acceptance,
declining, withdrawal, equipment bookings, start and the outcome report)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from marketplace.permissions import object_or_404
from marketplace.selectors import transitions_for
from pilots import selectors, services
from pilots.enums import RequestStatus
from pilots.forms_requests import AcceptForm, BookingForm, CompleteForm, QuoteForm, ReasonForm
from pilots.models import ServiceRequest

PAGE_SIZE = 20
SIDES = (("requester", gettext_lazy("Requests I made")), ("operator", gettext_lazy("Requests received")))


def _refusal(exc: Exception) -> str:
    """The Chinese reason of a refused service call, for a message."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("Your role does not allow this.")


def _request_queryset():
    return ServiceRequest.objects.select_related(
        "base", "base__operator", "service", "organization", "requested_by", "achievement", "demand"
    )


def _party_request(request, pk: int) -> ServiceRequest:
    """The request if the user is one of its parties or bureau staff; 404 otherwise."""
    return object_or_404(request.user, "pilots.view_servicerequest", _request_queryset(), pk=pk)


def _side_request(request, pk: int, permission: str) -> ServiceRequest:
    """The request for an action of one side: 404 for outsiders, 403 for the other side."""
    service_request = _party_request(request, pk)
    if not request.user.has_perm(permission, service_request):
        raise PermissionDenied
    return service_request


# Lists ---------------------------------------------------------------------------------------


@login_required
@require_GET
def request_list(request):
    side = request.GET.get("side", "")
    side = side if side in dict(SIDES) else "requester"
    status = request.GET.get("status", "")
    status = status if status == "open" or status in RequestStatus.values else ""
    requests = selectors.requests_for(request.user, side=side, status=status)
    context = {
        "page": Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page")),
        "side": side,
        "sides": SIDES,
        "status": status,
        "statuses": [("open", _("Open")), *RequestStatus.choices],
        "querystring": "&".join(part for part in (f"side={side}", f"status={status}" if status else "") if part),
    }
    return render(request, "pilots/requests/list.html", context)


# One request ---------------------------------------------------------------------------------


def _request_page(request, service_request: ServiceRequest, *, status: int = 200, **forms):
    """The request's page, with the action forms of the side the user is on (a form given in
    `forms` replaces the blank one, to show its errors)."""
    user = request.user
    is_operator = user.has_perm("pilots.operate_servicerequest", service_request)
    is_requester = user.has_perm("pilots.request_servicerequest", service_request)
    current = service_request.status
    context = {
        "service_request": service_request,
        "base": service_request.base,
        "is_operator": is_operator,
        "is_requester": is_requester,
        "history": [
            {"log": log, "label": services.REQUEST.label(log.to_status)}
            for log in transitions_for(service_request)[:50]
        ],
        "bookings": service_request.bookings.select_related("equipment").order_by("starts_at", "id"),
    }
    can = services.REQUEST.can
    if is_operator:
        if can(current, RequestStatus.QUOTED) or current == RequestStatus.QUOTED:
            context["quote_form"] = forms.get("quote_form") or QuoteForm(
                initial={"amount": service_request.quoted_amount, "note": service_request.quote_note}
            )
        if current == RequestStatus.SUBMITTED:
            price = service_request.service.price if service_request.service else None
            context["accept_form"] = forms.get("accept_form") or AcceptForm(initial={"amount": price})
        if can(current, RequestStatus.DECLINED):
            context["decline_form"] = forms.get("decline_form") or ReasonForm(auto_id="decline_%s")
        if current in (RequestStatus.ACCEPTED, RequestStatus.SCHEDULED, RequestStatus.IN_PROGRESS):
            context["book_form"] = forms.get("book_form") or BookingForm(base=service_request.base)
        context["can_start"] = can(current, RequestStatus.IN_PROGRESS)
        if can(current, RequestStatus.COMPLETED):
            context["complete_form"] = forms.get("complete_form") or CompleteForm()
    if is_requester:
        context["can_accept_quote"] = current == RequestStatus.QUOTED
        if can(current, RequestStatus.WITHDRAWN):
            context["withdraw_form"] = forms.get("withdraw_form") or ReasonForm(auto_id="withdraw_%s")
    # A refused form stays on the page with its error, even when the move is no longer open.
    context.update(forms)
    return render(request, "pilots/requests/detail.html", context, status=status)


@login_required
@require_GET
def request_detail(request, pk: int):
    return _request_page(request, _party_request(request, pk))


def _done(request, service_request: ServiceRequest, message: str):
    messages.success(request, message)
    return redirect(service_request)


def _failed(request, pk: int, form_name: str, form, exc: ValidationError):
    """Re-render the page (from the database: the failed call may have changed the object in
    memory) with the service's error on the form."""
    form.add_service_error(exc)
    return _request_page(request, _party_request(request, pk), **{form_name: form})


@login_required
@require_POST
def quote(request, pk: int):
    service_request = _side_request(request, pk, "pilots.operate_servicerequest")
    form = QuoteForm(request.POST)
    if form.is_valid():
        try:
            services.request_quote(
                request=service_request,
                user=request.user,
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            return _failed(request, pk, "quote_form", form, exc)
        return _done(request, service_request, _("Your quotation has been sent to the requester."))
    return _request_page(request, service_request, quote_form=form)


@login_required
@require_POST
def accept(request, pk: int):
    """The operator accepts a new request (at an amount), or the requester accepts a quotation."""
    service_request = _party_request(request, pk)
    if service_request.status == RequestStatus.QUOTED:
        if not request.user.has_perm("pilots.request_servicerequest", service_request):
            raise PermissionDenied
        try:
            services.request_accept(request=service_request, user=request.user)
        except ValidationError as exc:
            messages.error(request, _refusal(exc))
            return redirect(service_request)
        return _done(request, service_request, _("You accepted the quotation; the base will schedule the work."))
    if not request.user.has_perm("pilots.operate_servicerequest", service_request):
        raise PermissionDenied
    form = AcceptForm(request.POST)
    if form.is_valid():
        try:
            services.request_accept(
                request=service_request,
                user=request.user,
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            return _failed(request, pk, "accept_form", form, exc)
        return _done(request, service_request, _("The request is accepted. Book the equipment to schedule it."))
    return _request_page(request, service_request, accept_form=form)


@login_required
@require_POST
def decline(request, pk: int):
    service_request = _side_request(request, pk, "pilots.operate_servicerequest")
    form = ReasonForm(request.POST, auto_id="decline_%s")
    if form.is_valid():
        try:
            services.request_decline(request=service_request, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            return _failed(request, pk, "decline_form", form, exc)
        return _done(request, service_request, _("The request is declined; the requester sees your reason."))
    return _request_page(request, service_request, decline_form=form)


@login_required
@require_POST
def withdraw(request, pk: int):
    service_request = _side_request(request, pk, "pilots.request_servicerequest")
    form = ReasonForm(request.POST, auto_id="withdraw_%s")
    if form.is_valid():
        try:
            services.request_withdraw(request=service_request, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            return _failed(request, pk, "withdraw_form", form, exc)
        return _done(request, service_request, _("The request is withdrawn."))
    return _request_page(request, service_request, withdraw_form=form)


@login_required
@require_POST
def book(request, pk: int):
    service_request = _side_request(request, pk, "pilots.operate_servicerequest")
    form = BookingForm(request.POST, base=service_request.base)
    if form.is_valid():
        try:
            services.request_book(request=service_request, user=request.user, slots=form.slots())
        except ValidationError as exc:
            return _failed(request, pk, "book_form", form, exc)
        return _done(
            request,
            service_request,
            _("%(equipment)s is booked for this request.") % {"equipment": form.cleaned_data["equipment"]},
        )
    return _request_page(request, service_request, book_form=form)


@login_required
@require_POST
def start(request, pk: int):
    service_request = _side_request(request, pk, "pilots.operate_servicerequest")
    try:
        services.request_start(request=service_request, user=request.user)
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
        return redirect(service_request)
    return _done(request, service_request, _("The work has started."))


@login_required
@require_POST
def complete(request, pk: int):
    service_request = _side_request(request, pk, "pilots.operate_servicerequest")
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            services.request_complete(
                request=service_request, user=request.user, report=form.cleaned_data["outcome_report"]
            )
        except ValidationError as exc:
            return _failed(request, pk, "complete_form", form, exc)
        return _done(request, service_request, _("The work is completed; the requester can read your report."))
    return _request_page(request, service_request, complete_form=form)
