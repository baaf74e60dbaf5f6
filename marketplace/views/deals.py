"""The parties' deal workspace: their deals, each deal's terms, stages and payments, and the
contract registration form. Brokers named on a deal and bureau staff read it; the registrar
works in the admin console."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.enums import DealStage, PartyRole, RegistrationStatus
from marketplace.forms.base import live_validation
from marketplace.forms.deals import (
    STAGE_ACTIONS,
    DealFailForm,
    DealSignForm,
    DealTermsForm,
    PaymentForm,
    RegistrationForm,
)
from marketplace.models import ContractRegistration, Deal, Match
from marketplace.money import to_yuan
from marketplace.permissions import object_or_404
from marketplace.selectors import transitions_for
from marketplace.selectors.deals import deal_detail, deals_of
from marketplace.services import deals as services

PAGE_SIZE = 20
# What a registration's history shows in the deal's timeline.
REGISTRATION_EVENTS = {
    RegistrationStatus.SUBMITTED: gettext_lazy("Registration submitted"),
    RegistrationStatus.ACCEPTED: gettext_lazy("Registration accepted"),
    RegistrationStatus.RETURNED: gettext_lazy("Registration returned"),
    RegistrationStatus.REGISTERED: gettext_lazy("Registration number issued"),
}


def _service_errors(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _deal(request, pk: int, permission: str = "marketplace.view_deal") -> Deal:
    return object_or_404(request.user, permission, deal_detail(), pk=pk)


@login_required
@require_GET
def deal_list(request):
    stage = request.GET.get("stage", "")
    stage = stage if stage in DealStage.values else ""
    context = {
        "page": Paginator(deals_of(request.user, stage=stage), PAGE_SIZE).get_page(request.GET.get("page")),
        "stages": DealStage.choices,
        "stage": stage,
        "querystring": f"stage={stage}" if stage else "",
    }
    return render(request, "deals/list.html", context)


def _timeline(deal: Deal) -> list[dict]:
    items = [{"log": log, "label": services.DEAL_LIFECYCLE.label(log.to_status)} for log in transitions_for(deal)[:50]]
    registration = getattr(deal, "registration", None)
    if registration is not None:
        items += [
            {"log": log, "label": REGISTRATION_EVENTS.get(log.to_status, log.to_status)}
            for log in transitions_for(registration)[:50]
        ]
    return sorted(items, key=lambda item: (item["log"].created_at, item["log"].pk), reverse=True)


def _detail_context(request, deal: Deal, **forms) -> dict:
    can_change = request.user.has_perm("marketplace.change_deal", deal)
    targets = services.DEAL_LIFECYCLE.allowed_targets(deal.stage) if can_change else set()
    registration = getattr(deal, "registration", None)
    paid = sum((payment.amount for payment in deal.payments.all()), start=0)
    return {
        "deal": deal,
        "registration": registration,
        "can_change": can_change,
        "can_edit_terms": can_change and deal.stage in (DealStage.INTENT, DealStage.NEGOTIATING),
        "stage_actions": [(stage, label) for stage, label in STAGE_ACTIONS.items() if stage in targets],
        "can_sign": DealStage.SIGNED in targets,
        "can_fail": DealStage.FAILED in targets,
        "can_pay": can_change and deal.is_signed and deal.stage != DealStage.FAILED,
        "can_register": can_change
        and deal.is_signed
        and (registration is None or registration.status in (RegistrationStatus.DRAFT, RegistrationStatus.RETURNED)),
        "paid": paid,
        "outstanding": (deal.amount - paid) if deal.amount is not None else None,
        "terms_form": forms.get("terms_form") or DealTermsForm.for_deal(deal),
        "sign_form": forms.get("sign_form")
        or DealSignForm(initial={"amount_wan": DealTermsForm.for_deal(deal).initial["amount_wan"]}),
        "fail_form": forms.get("fail_form") or DealFailForm(),
        "payment_form": forms.get("payment_form") or PaymentForm(),
        "timeline": _timeline(deal),
    }


@login_required
@require_GET
def deal_page(request, pk: int):
    deal = _deal(request, pk)
    return render(request, "deals/detail.html", _detail_context(request, deal))


def _rerender(request, deal: Deal, **forms):
    return render(request, "deals/detail.html", _detail_context(request, deal, **forms), status=400)


def _form_post(request, pk: int, form_class, run, success: str, form_name: str):
    """A party's form on the deal page: valid input goes to the service `run(deal, form)`;
    refused input re-renders the page with the form's errors (400)."""
    deal = _deal(request, pk, "marketplace.change_deal")
    form = form_class(request.POST)
    if form.is_valid():
        try:
            run(deal, form)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, success)
            return redirect(deal)
    return _rerender(request, deal, **{form_name: form})


@login_required
@require_POST
def deal_terms(request, pk: int):
    return _form_post(
        request,
        pk,
        DealTermsForm,
        lambda deal, form: services.deal_update(deal=deal, user=request.user, **form.service_arguments()),
        _("The terms are saved."),
        "terms_form",
    )


@login_required
@require_POST
def deal_move(request, pk: int):
    """One of the parties' stage changes: negotiate, sign (date and amount), perform,
    complete, or fail (reason)."""
    deal = _deal(request, pk, "marketplace.change_deal")
    stage = request.POST.get("stage", "")
    form = None
    kwargs = {}
    if stage == DealStage.SIGNED:
        form = DealSignForm(request.POST)
        if form.is_valid():
            kwargs = {"signed_on": form.cleaned_data["signed_on"], "amount": to_yuan(form.cleaned_data["amount_wan"])}
    elif stage == DealStage.FAILED:
        form = DealFailForm(request.POST)
        if form.is_valid():
            kwargs = {"reason": form.cleaned_data["reason"]}
    elif stage not in STAGE_ACTIONS:
        messages.error(request, _("This stage is not set by the parties."))
        return redirect(deal)
    if form is None or form.is_valid():
        try:
            services.deal_move(deal=deal, user=request.user, stage=stage, **kwargs)
        except ValidationError as exc:
            if form is None:
                _service_errors(request, exc)
                return redirect(deal)
            form.add_service_error(exc)
        else:
            messages.success(request, _("The deal is now: %(stage)s") % {"stage": services.DEAL_LIFECYCLE.label(stage)})
            return redirect(deal)
    name = "sign_form" if stage == DealStage.SIGNED else "fail_form"
    return _rerender(request, deal, **{name: form})


@login_required
@require_POST
def payment_add(request, pk: int):
    return _form_post(
        request,
        pk,
        PaymentForm,
        lambda deal, form: services.payment_record(deal=deal, user=request.user, **form.service_arguments()),
        _("The payment is recorded."),
        "payment_form",
    )


def _registration_initial(deal: Deal, registration: ContractRegistration | None) -> dict:
    if registration is None:
        return RegistrationForm.initial_from(services.registration_initial(deal))
    initial = {name: getattr(registration, name) for name in services.PARTY_FIELDS}
    initial["industry_field"] = registration.industry_field_id
    initial["parties"] = [
        {
            "role": party.role,
            "name": party.name,
            "uscc": party.uscc,
            "region": party.region_id,
            "legal_entity_kind": party.legal_entity_kind,
        }
        for party in registration.parties.all()
    ]
    return RegistrationForm.initial_from(initial)


@login_required
@require_http_methods(["GET", "POST"])
def registration_edit(request, pk: int):
    """The registration form, prefilled from the deal (or the saved draft), checked field by
    field as it is filled in. Saving keeps a draft; submitting sends it to the registrar."""
    deal = _deal(request, pk, "marketplace.register_deal")
    registration = getattr(deal, "registration", None)
    if registration is not None and registration.status not in (RegistrationStatus.DRAFT, RegistrationStatus.RETURNED):
        messages.info(request, _("The registration is with the registrar and cannot be changed."))
        return redirect(deal)
    form = RegistrationForm(
        request.POST or None,
        request.FILES or None,
        initial=_registration_initial(deal, registration),
        has_contract_file=bool(registration and registration.signed_contract_id),
    )
    form.live_validation_url = request.path
    checked = live_validation(request, form)
    if checked is not None:
        return checked
    if request.method == "POST" and form.is_valid():
        organizations = {PartyRole.SELLER: deal.seller, PartyRole.BUYER: deal.buyer}
        try:
            with transaction.atomic():
                registration = services.registration_save(
                    deal=deal, user=request.user, **form.service_arguments(organizations)
                )
                if "submit" in request.POST:
                    services.registration_submit(registration=registration, user=request.user)
        except ValidationError as exc:
            form.add_service_error(exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            if "submit" in request.POST:
                messages.success(request, _("The registration is submitted; the registrar will check it."))
            else:
                messages.success(request, _("The registration is saved as a draft."))
            return redirect(deal)
    context = {"deal": deal, "registration": registration, "form": form}
    return render(request, "deals/registration_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def registration_submit(request, pk: int):
    deal = _deal(request, pk, "marketplace.register_deal")
    registration = getattr(deal, "registration", None)
    if registration is None:
        raise Http404
    try:
        services.registration_submit(registration=registration, user=request.user)
    except ValidationError as exc:
        _service_errors(request, exc)
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, _("The registration is submitted; the registrar will check it."))
    return redirect(deal)


@login_required
@require_POST
def deal_from_match(request, pk: int):
    """Either side of a stored match starts a deal from it."""
    # Whoever is on neither side gets a 404 from the service's PermissionDenied.
    match = get_object_or_404(Match.objects.select_related("achievement__organization", "demand__organization"), pk=pk)
    try:
        deal = services.deal_start_from_match(match=match, user=request.user)
    except ValidationError as exc:
        _service_errors(request, exc)
        existing = match.deals.exclude(stage=DealStage.FAILED).first()
        if existing is not None and request.user.has_perm("marketplace.view_deal", existing):
            return redirect(existing)
        return redirect("deals:list")
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("The deal is started; the other side has been told."))
    return redirect(deal)
