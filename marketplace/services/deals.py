"""Every write of deals (技术交易) and technology-contract registrations (技术合同认定登记).

A deal starts from an inquiry, a demand response, a match or a challenge award (the origin's
own service calls `deal_start`), moves intent → negotiating → signed → registered → performing →
completed, or fails with a reason, and records the payments received. Once signed, a party
prepares the registration (prefilled from the deal) and submits it; the registrar accepts it,
sets the technology transaction amount and registers it, which issues a registration number,
moves the deal to registered, marks the achievement transferred (or counts the license) and
the demand solved through their own services, and notifies the parties.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import rules as market_rules
from marketplace.enums import (
    ContractCategory,
    ContractSubtype,
    DealKind,
    DealOrigin,
    DealStage,
    FileKind,
    FilePurpose,
    LegalEntityKind,
    OrganizationKind,
    PartyRole,
    RegistrationStatus,
)
from marketplace.models import (
    ContractParty,
    ContractRegistration,
    Deal,
    DealPayment,
    Organization,
    Region,
    RegistrationSequence,
    User,
)
from marketplace.services.files import private_file_store
from marketplace.services.notifications import notify
from marketplace.services.organizations import bureau_registrars, organization_admins
from marketplace.services.transitions import Workflow
from marketplace.services.webhooks import webhook_emit

DEAL_LIFECYCLE = Workflow(
    choices=DealStage,
    status_field="stage",
    transitions={
        DealStage.INTENT: {DealStage.NEGOTIATING, DealStage.SIGNED, DealStage.FAILED},
        DealStage.NEGOTIATING: {DealStage.SIGNED, DealStage.FAILED},
        # Registration is the registrar's step (registration_register); a party may also go on
        # performing a signed contract that is not (yet) registered.
        DealStage.SIGNED: {DealStage.REGISTERED, DealStage.PERFORMING, DealStage.FAILED},
        DealStage.REGISTERED: {DealStage.PERFORMING, DealStage.FAILED},
        DealStage.PERFORMING: {DealStage.COMPLETED, DealStage.FAILED},
        DealStage.COMPLETED: set(),
        DealStage.FAILED: set(),
    },
    reason_required=frozenset({DealStage.FAILED}),
)

# The stages a party moves a deal to by hand (registered is the registrar's).
PARTY_STAGES = (DealStage.NEGOTIATING, DealStage.SIGNED, DealStage.PERFORMING, DealStage.COMPLETED, DealStage.FAILED)

REGISTRATION_LIFECYCLE = Workflow(
    choices=RegistrationStatus,
    transitions={
        RegistrationStatus.DRAFT: {RegistrationStatus.SUBMITTED},
        RegistrationStatus.SUBMITTED: {RegistrationStatus.ACCEPTED, RegistrationStatus.RETURNED},
        RegistrationStatus.ACCEPTED: {RegistrationStatus.REGISTERED, RegistrationStatus.RETURNED},
        RegistrationStatus.RETURNED: {RegistrationStatus.SUBMITTED},
        RegistrationStatus.REGISTERED: set(),
    },
    reason_required=frozenset({RegistrationStatus.RETURNED}),
)

# The contract category a deal's kind is registered under (作价投资 is registered as a transfer).
CATEGORY_OF_KIND = {
    DealKind.TRANSFER: ContractCategory.TRANSFER,
    DealKind.EQUITY: ContractCategory.TRANSFER,
    DealKind.LICENSE: ContractCategory.LICENSE,
    DealKind.DEVELOPMENT: ContractCategory.DEVELOPMENT,
    DealKind.CONSULTING: ContractCategory.CONSULTING,
    DealKind.SERVICE: ContractCategory.SERVICE,
}

# The legal form an organization of each kind usually has, to prefill the form.
LEGAL_FORM_OF_KIND = {
    OrganizationKind.UNIVERSITY: LegalEntityKind.PUBLIC_INSTITUTION,
    OrganizationKind.INSTITUTE: LegalEntityKind.PUBLIC_INSTITUTION,
    OrganizationKind.BUREAU: LegalEntityKind.GOVERNMENT,
    OrganizationKind.PARTNER_SYSTEM: LegalEntityKind.OTHER_ORGANIZATION,
}

# Fields of a registration the parties fill in; the registrar's (technology_amount, number,
# status) are set only by the registrar's services.
PARTY_FIELDS = (
    "title",
    "contract_number",
    "category",
    "subtype",
    "industry_field",
    "signed_on",
    "valid_from",
    "valid_until",
    "total_amount",
)


def _require(user, permission: str, obj) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied


def deal_recipients(deal: Deal, *, sides: Iterable[Organization] | None = None, actor=None) -> list[User]:
    """Who hears about a deal: the administrators of its sides (or of `sides`) and its starter
    when a member of one of those, never the person who acted."""
    sides = list(sides) if sides is not None else [deal.seller, deal.buyer]
    recipients: list[User] = []
    for organization in sides:
        recipients.extend(organization_admins(organization))
    starter = deal.created_by
    if starter is not None and starter.is_active and starter.memberships.filter(organization__in=sides).exists():
        recipients.append(starter)
    return [user for user in recipients if actor is None or user.pk != actor.pk]


def _other_side(deal: Deal, user: User) -> list[Organization]:
    roles = market_rules.membership_roles(user)
    return [side for side in (deal.seller, deal.buyer) if side.pk not in roles] or [deal.seller, deal.buyer]


# Deals ----------------------------------------------------------------------------------------


@transaction.atomic
def deal_start(
    *,
    user: User,
    origin: str,
    seller: Organization,
    buyer: Organization,
    kind: str,
    achievement=None,
    demand=None,
    amount: Decimal | None = None,
    title: str = "",
    inquiry=None,
    response=None,
    match=None,
    bid=None,
) -> Deal:
    """Open a deal at the intent stage. The user must belong to one of the sides or be bureau
    staff; the demand's assigned brokers join the deal; the other side is notified. Refuses a
    second live deal from the same inquiry, response or bid."""
    roles = market_rules.membership_roles(user)
    if not (seller.pk in roles or buyer.pk in roles or market_rules.is_bureau_staff(user)):
        raise PermissionDenied
    deal = Deal(
        title=(title or getattr(achievement or demand, "title", ""))[:200],
        seller=seller,
        buyer=buyer,
        achievement=achievement,
        demand=demand,
        kind=kind,
        amount=amount,
        origin=origin,
        inquiry=inquiry,
        response=response,
        match=match,
        bid=bid,
        created_by=user,
    )
    deal.full_clean()
    try:
        with transaction.atomic():
            deal.save()
    except IntegrityError as exc:
        raise ValidationError(_("A deal has already been started from here.")) from exc
    if demand is not None:
        # The brokers the bureau assigned to the demand follow it into the deal.
        deal.brokers.set(demand.assigned_brokers.all())
    DEAL_LIFECYCLE.record_start(deal, actor=user)
    notify(
        users=deal_recipients(deal, sides=_other_side(deal, user), actor=user),
        kind="deal.started",
        title=_("A deal was started: “%(title)s”") % {"title": deal.title},
        body=_("%(seller)s (seller) and %(buyer)s (buyer).") % {"seller": seller, "buyer": buyer},
        url=deal.get_absolute_url(),
    )
    return deal


def kind_for_transfer_modes(modes: Iterable[str]) -> str:
    """The deal kind an achievement's first transfer mode suggests."""
    for mode in modes:
        if mode == "assignment":
            return DealKind.TRANSFER
        if mode.startswith("license"):
            return DealKind.LICENSE
        if mode == "equity":
            return DealKind.EQUITY
        if mode == "joint_implementation":
            return DealKind.DEVELOPMENT
    return DealKind.TRANSFER


def kind_for_cooperation_modes(modes: Iterable[str]) -> str:
    """The deal kind a demand's first cooperation mode suggests."""
    for mode in modes:
        if mode.endswith("development"):
            return DealKind.DEVELOPMENT
        if mode in DealKind.values:
            return mode
    return DealKind.DEVELOPMENT


@transaction.atomic
def deal_start_from_match(*, match, user: User) -> Deal:
    """Either side of a stored match starts a deal: the achievement's owner sells, the
    demand's enterprise buys."""
    achievement, demand = match.achievement, match.demand
    sides = {achievement.organization_id, demand.organization_id} & market_rules.membership_roles(user).keys()
    # Bureau staff read every match but make no deal for the parties; the demand's assigned broker may.
    if not sides and not any(broker.pk == user.pk for broker in demand.assigned_brokers.all()):
        raise PermissionDenied
    if not (achievement.is_public and demand.is_public):
        raise ValidationError(_("Only public listings make deals."))
    live = Deal.objects.filter(match=match).exclude(stage=DealStage.FAILED).first()
    if live is not None:
        raise ValidationError(_("A deal has already been started from here."))
    return deal_start(
        user=user,
        origin=DealOrigin.MATCH,
        seller=achievement.organization,
        buyer=demand.organization,
        kind=kind_for_transfer_modes(achievement.transfer_modes.values_list("mode", flat=True)),
        achievement=achievement,
        demand=demand,
        amount=achievement.asking_price or None,
        title=achievement.title,
        match=match,
    )


def _stage_open(deal: Deal) -> None:
    if deal.stage not in (DealStage.INTENT, DealStage.NEGOTIATING):
        raise ValidationError(_("The terms cannot change once the contract is signed."))


@transaction.atomic
def deal_update(*, deal: Deal, user: User, title: str, kind: str, amount: Decimal | None) -> Deal:
    """A party changes the terms under negotiation (title, kind, amount); refused once signed."""
    _require(user, "marketplace.change_deal", deal)
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    _stage_open(deal)
    deal.title, deal.kind, deal.amount = (title or "").strip(), kind, amount
    deal.full_clean()
    deal.save(update_fields=["title", "kind", "amount", "updated_at"])
    return deal


def _move(deal: Deal, user: User, target: str, *, reason: str = "", update_fields=()) -> Deal:
    _require(user, "marketplace.change_deal", deal)
    DEAL_LIFECYCLE.apply(deal, target, actor=user, reason=reason, update_fields=update_fields)
    notify(
        users=deal_recipients(deal, sides=_other_side(deal, user), actor=user),
        kind="deal.stage",
        title=_("The deal “%(title)s” is now: %(stage)s") % {"title": deal.title, "stage": deal.get_stage_display()},
        body=reason,
        url=deal.get_absolute_url(),
    )
    return deal


@transaction.atomic
def deal_negotiate(*, deal: Deal, user: User) -> Deal:
    """The sides start negotiating the terms."""
    return _move(deal, user, DealStage.NEGOTIATING)


@transaction.atomic
def deal_sign(*, deal: Deal, user: User, signed_on: date, amount: Decimal | None = None) -> Deal:
    """The contract is signed: the agreed amount (> 0) and the signing date (not in the future)
    are fixed from here on."""
    _require(user, "marketplace.change_deal", deal)
    amount = deal.amount if amount is None else amount
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = _("Enter the agreed amount; it must be greater than zero.")
    if signed_on is None:
        errors["signed_on"] = _("Enter the signing date.")
    elif signed_on > timezone.localdate():
        errors["signed_on"] = _("The signing date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    deal.amount, deal.signed_on = amount, signed_on
    return _move(deal, user, DealStage.SIGNED, update_fields=["amount", "signed_on"])


@transaction.atomic
def deal_start_performing(*, deal: Deal, user: User) -> Deal:
    return _move(deal, user, DealStage.PERFORMING)


@transaction.atomic
def deal_complete(*, deal: Deal, user: User) -> Deal:
    return _move(deal, user, DealStage.COMPLETED)


@transaction.atomic
def deal_fail(*, deal: Deal, user: User, reason: str) -> Deal:
    """The deal falls through; the reason is kept and shown to both sides."""
    deal.failure_reason = (reason or "").strip()
    return _move(deal, user, DealStage.FAILED, reason=reason, update_fields=["failure_reason"])


def deal_move(*, deal: Deal, user: User, stage: str, reason: str = "", signed_on=None, amount=None) -> Deal:
    """Move a deal to one of PARTY_STAGES (the pages' and the API's single entry point)."""
    if stage == DealStage.NEGOTIATING:
        return deal_negotiate(deal=deal, user=user)
    if stage == DealStage.SIGNED:
        return deal_sign(deal=deal, user=user, signed_on=signed_on, amount=amount)
    if stage == DealStage.PERFORMING:
        return deal_start_performing(deal=deal, user=user)
    if stage == DealStage.COMPLETED:
        return deal_complete(deal=deal, user=user)
    if stage == DealStage.FAILED:
        return deal_fail(deal=deal, user=user, reason=reason)
    raise ValidationError({"stage": _("This stage is not set by the parties.")})


def paid_total(deal: Deal) -> Decimal:
    return deal.payments.aggregate(total=Sum("amount"))["total"] or Decimal(0)


@transaction.atomic
def payment_record(*, deal: Deal, user: User, amount: Decimal, received_on: date, note: str = "") -> DealPayment:
    """A party records an instalment received under the signed contract. The payments never
    add up to more than the agreed amount (checked under a lock on the deal)."""
    _require(user, "marketplace.change_deal", deal)
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if not deal.is_signed:
        raise ValidationError(_("Payments are recorded once the contract is signed."))
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = _("The amount must be greater than zero.")
    elif paid_total(deal) + amount > deal.amount:
        errors["amount"] = _("The payments would exceed the agreed amount of %(amount)s yuan.") % {
            "amount": f"{deal.amount:,.2f}"
        }
    if received_on is None:
        errors["received_on"] = _("Enter the date the payment was received.")
    elif received_on > timezone.localdate():
        errors["received_on"] = _("The date cannot be in the future.")
    elif deal.signed_on and received_on < deal.signed_on:
        errors["received_on"] = _("The payment cannot precede the signing of the contract.")
    if errors:
        raise ValidationError(errors)
    payment = DealPayment(
        deal=deal, amount=amount, received_on=received_on, note=(note or "").strip(), recorded_by=user
    )
    payment.full_clean()
    payment.save()
    deal.save(update_fields=["updated_at"])
    return payment


# Contract registration ------------------------------------------------------------------------


def party_initial(organization: Organization, role: str) -> dict:
    """A party's row on the form, prefilled from the organization's record."""
    return {
        "role": role,
        "organization": organization,
        "name": organization.name,
        "uscc": organization.uscc or "",
        "region": organization.region_id or "",
        "legal_entity_kind": LEGAL_FORM_OF_KIND.get(organization.kind, LegalEntityKind.ENTERPRISE),
    }


def registration_initial(deal: Deal) -> dict:
    """The registration form prefilled from the deal: category from its kind, the sub-type the
    achievement's IP suggests, amount, signing date, field and both parties."""
    category = CATEGORY_OF_KIND[deal.kind]
    subtypes = ContractSubtype.for_category(category)
    subtype = subtypes[0]
    if deal.achievement_id and category in (ContractCategory.TRANSFER, ContractCategory.LICENSE):
        has_patent = deal.achievement.ip_rights.filter(kind__in=["invention_patent", "utility_model", "design_patent"])
        if not has_patent.exists():
            subtype = subtypes[-1] if category == ContractCategory.LICENSE else ContractSubtype.TECHNICAL_SECRET
    listing = deal.achievement or deal.demand or (deal.bid.challenge if deal.bid_id else None)
    field = listing.industry_fields.order_by("pk").first() if listing is not None else None
    return {
        "title": deal.title,
        "category": category,
        "subtype": subtype,
        "industry_field": field.pk if field else None,
        "signed_on": deal.signed_on,
        "valid_from": deal.signed_on,
        "total_amount": deal.amount,
        "parties": [party_initial(deal.seller, PartyRole.SELLER), party_initial(deal.buyer, PartyRole.BUYER)],
    }


def _check_subtype(category: str, subtype: str) -> None:
    if subtype not in ContractSubtype.for_category(category):
        raise ValidationError(
            {"subtype": _("Choose a sub-type of “%(category)s”.") % {"category": ContractCategory(category).label}}
        )


def _write_parties(registration: ContractRegistration, parties: Sequence[dict]) -> None:
    errors = []
    rows = []
    for party in parties:
        region = party.get("region")
        if region is not None and not isinstance(region, Region):
            region = Region.objects.filter(pk=region).first()
        row = ContractParty(
            registration=registration,
            role=party["role"],
            organization=party.get("organization"),
            name=(party.get("name") or "").strip(),
            uscc=(party.get("uscc") or "").strip().upper(),
            region=region,
            legal_entity_kind=party.get("legal_entity_kind") or "",
        )
        try:
            row.full_clean(exclude=["registration"])
        except ValidationError as exc:
            label = PartyRole(row.role).label
            errors.extend(f"{label}：{message}" for message in exc.messages)
        rows.append(row)
    if errors:
        raise ValidationError({"parties": errors})
    registration.parties.all().delete()
    ContractParty.objects.bulk_create(rows)


@transaction.atomic
def registration_save(
    *, deal: Deal, user: User, parties: Sequence[dict], signed_contract=None, **fields
) -> ContractRegistration:
    """A party writes (or corrects) the registration of a signed deal: the form's fields, the
    parties and optionally the signed contract PDF (stored privately). Only a draft or a
    returned registration changes; the registrar's fields are never taken from here."""
    _require(user, "marketplace.register_deal", deal)
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if not deal.is_signed:
        raise ValidationError(_("Only a signed contract can be registered."))
    registration = ContractRegistration.objects.filter(deal=deal).first()
    if registration is None:
        roles = market_rules.membership_roles(user)
        applicant = deal.seller if deal.seller_id in roles else deal.buyer
        registration = ContractRegistration(deal=deal, organization=applicant)
    elif registration.status not in (RegistrationStatus.DRAFT, RegistrationStatus.RETURNED):
        raise ValidationError(_("The registration is with the registrar and cannot be changed."))
    unknown = set(fields) - set(PARTY_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field is set by the registrar.") for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(registration, name, value.strip() if isinstance(value, str) else value)
    _check_subtype(registration.category, registration.subtype)
    if registration.signed_on and registration.signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("The signing date cannot be in the future.")})
    registration.full_clean(exclude=["signed_contract", "technology_amount"])
    registration.save()
    _write_parties(registration, parties)
    if signed_contract is not None:
        _store_contract(registration, user, signed_contract)
    return registration


def _store_contract(registration: ContractRegistration, user: User, uploaded) -> None:
    registration.signed_contract = private_file_store(
        uploaded=uploaded,
        uploaded_by=user,
        parent=registration,
        purpose=FilePurpose.SIGNED_CONTRACT,
        allowed_kinds=(FileKind.PDF,),
    )
    registration.save(update_fields=["signed_contract", "updated_at"])


@transaction.atomic
def registration_attach_contract(*, registration: ContractRegistration, user: User, uploaded) -> ContractRegistration:
    """A party uploads the signed contract (a PDF, checked by content, private to the parties
    and the registrar) to a draft or returned registration; it replaces an earlier upload."""
    _require(user, "marketplace.change_contractregistration", registration)
    _store_contract(registration, user, uploaded)
    return registration


def _check_complete(registration: ContractRegistration) -> None:
    """What the registrar needs before a registration can be submitted."""
    errors: dict[str, list[str]] = {}
    required = {
        "contract_number": _("Enter the contract number."),
        "signed_on": _("Enter the signing date."),
        "total_amount": _("Enter the contract amount."),
        "industry_field": _("Choose the industry field."),
    }
    for name, message in required.items():
        if not getattr(registration, name if name != "industry_field" else "industry_field_id"):
            errors.setdefault(name, []).append(message)
    if registration.signed_contract_id is None:
        errors.setdefault("signed_contract", []).append(_("Upload the signed contract (PDF)."))
    roles = {party.role for party in registration.parties.all()}
    for role in (PartyRole.SELLER, PartyRole.BUYER):
        if role not in roles:
            errors.setdefault("parties", []).append(
                _("Name the %(role)s with its credit code.") % {"role": PartyRole(role).label}
            )
    deal = registration.deal
    if deal is not None and not deal.is_signed:
        errors.setdefault("__all__", []).append(_("Only a signed contract can be registered."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def registration_submit(*, registration: ContractRegistration, user: User) -> ContractRegistration:
    """A party submits the completed registration to the registrar (again, after a return)."""
    _require(user, "marketplace.change_contractregistration", registration)
    _check_complete(registration)
    registration.submitted_by = user
    registration.submitted_at = timezone.now()
    REGISTRATION_LIFECYCLE.apply(
        registration, RegistrationStatus.SUBMITTED, actor=user, update_fields=["submitted_by", "submitted_at"]
    )
    notify(
        users=bureau_registrars(),
        kind="registration.submitted",
        title=_("A contract was submitted for registration: “%(title)s”") % {"title": registration.title},
        url=f"/admin/marketplace/contractregistration/{registration.pk}/change/",
    )
    return registration


def _notify_parties(registration: ContractRegistration, title: str, body: str = "") -> None:
    if registration.deal_id:
        users = deal_recipients(registration.deal)
    else:
        users = list(organization_admins(registration.organization))
    notify(users=users, kind="registration.decided", title=title, body=body, url=registration.get_absolute_url())


@transaction.atomic
def registration_accept(*, registration: ContractRegistration, registrar: User) -> ContractRegistration:
    """The registrar accepts (受理) a submitted registration for checking."""
    _require(registrar, "marketplace.register_contractregistration", registration)
    registration.registrar = registrar
    REGISTRATION_LIFECYCLE.apply(
        registration, RegistrationStatus.ACCEPTED, actor=registrar, update_fields=["registrar"]
    )
    _notify_parties(registration, _("The registrar accepted the contract “%(title)s”") % {"title": registration.title})
    return registration


@transaction.atomic
def registration_return(*, registration: ContractRegistration, registrar: User, reason: str) -> ContractRegistration:
    """The registrar returns the registration with the reasons to correct."""
    _require(registrar, "marketplace.register_contractregistration", registration)
    registration.return_reason = (reason or "").strip()
    registration.registrar = registrar
    REGISTRATION_LIFECYCLE.apply(
        registration,
        RegistrationStatus.RETURNED,
        actor=registrar,
        reason=reason,
        update_fields=["return_reason", "registrar"],
    )
    _notify_parties(
        registration,
        _("The contract “%(title)s” was returned for correction") % {"title": registration.title},
        registration.return_reason,
    )
    return registration


@transaction.atomic
def next_registration_number(year: int) -> str:
    """The next registration number of the year: year, the market's region code and a serial
    (e.g. 2026370200000001). The year's row is locked, so concurrent registrations never share
    a number."""
    RegistrationSequence.objects.get_or_create(year=year)
    sequence = RegistrationSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{year}{settings.MARKET_REGION_CODE}{sequence.last_number:06d}"


@transaction.atomic
def registration_register(
    *, registration: ContractRegistration, registrar: User, technology_amount: Decimal
) -> ContractRegistration:
    """The registrar registers an accepted contract: sets the technology transaction amount
    (0 < amount ≤ contract amount) and issues the registration number. The deal moves to
    registered, its achievement is marked transferred (or the license counted) and its demand
    solved, and the parties are notified."""
    _require(registrar, "marketplace.register_contractregistration", registration)
    # REGISTRATION_LIFECYCLE.apply locks the row and re-checks the status; a refusal there
    # rolls back the number taken below with everything else.
    if technology_amount is None or technology_amount <= 0:
        raise ValidationError({"technology_amount": _("Enter the technology transaction amount.")})
    if registration.total_amount is not None and technology_amount > registration.total_amount:
        raise ValidationError(
            {"technology_amount": _("The technology transaction amount cannot exceed the contract amount.")}
        )
    _check_complete(registration)
    now = timezone.now()
    registration.technology_amount = technology_amount
    registration.registrar = registrar
    registration.registered_at = now
    registration.registration_number = next_registration_number(timezone.localtime(now).year)
    REGISTRATION_LIFECYCLE.apply(
        registration,
        RegistrationStatus.REGISTERED,
        actor=registrar,
        update_fields=["technology_amount", "registrar", "registered_at", "registration_number"],
    )
    deal = registration.deal
    if deal is not None:
        if deal.stage == DealStage.SIGNED:
            DEAL_LIFECYCLE.apply(deal, DealStage.REGISTERED, actor=registrar, reason=registration.registration_number)
        _apply_consequences(deal, registration, registrar)
    _notify_parties(
        registration,
        _("The contract “%(title)s” is registered: %(number)s")
        % {"title": registration.title, "number": registration.registration_number},
        _("Technology transaction amount: %(amount)s yuan.") % {"amount": f"{technology_amount:,.2f}"},
    )
    webhook_emit("contract.registered", registration)
    return registration


def _apply_consequences(deal: Deal, registration: ContractRegistration, registrar: User) -> None:
    # The listings' own services own their lifecycles; imported here because they import
    # this module's siblings (notifications, matching) at load time.
    from achievements.services import achievement_record_contract
    from demands.services import demand_record_contract

    if deal.achievement_id:
        achievement_record_contract(
            achievement=deal.achievement,
            actor=registrar,
            licensed=registration.category == ContractCategory.LICENSE,
            transferred=registration.category == ContractCategory.TRANSFER,
            number=registration.registration_number,
        )
    if deal.demand_id:
        demand_record_contract(demand=deal.demand, actor=registrar, number=registration.registration_number)
