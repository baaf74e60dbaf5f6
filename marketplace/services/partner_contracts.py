"""Registered technology contracts written by partner systems (a provincial registry reports
the contracts it registered for members of this market): PUT /api/v1/contracts/by-ref/{ref}/."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.enums import RegistrationStatus
from marketplace.models import ContractRegistration, Organization, PartnerApplication
from marketplace.services.deals import PARTY_FIELDS, REGISTRATION_LIFECYCLE, _check_subtype, _write_parties
from marketplace.validators import normalize_uscc

CONTRACT_FIELDS = frozenset(PARTY_FIELDS)


@transaction.atomic
def contract_partner_upsert(
    *,
    partner_application: PartnerApplication,
    external_ref: str,
    organization: Organization,
    registration_number: str,
    registered_at,
    technology_amount: Decimal,
    parties: Sequence[dict],
    **fields,
) -> tuple[ContractRegistration, bool]:
    """Create or correct the partner's registered contract `external_ref`. It is registered
    already (by the partner's registry): it counts in the statistics at once and is never in
    this market's registrar queue. Parties are linked to market members by credit code."""
    unknown = set(fields) - CONTRACT_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    partner = partner_application.organization
    number = (registration_number or "").strip()
    if registered_at is not None and registered_at > timezone.now():
        raise ValidationError({"registered_at": _("The registration time cannot be in the future.")})
    if fields.get("signed_on") and fields["signed_on"] > timezone.localdate():
        raise ValidationError({"signed_on": _("The signing date cannot be in the future.")})
    total = fields.get("total_amount")
    if technology_amount is None or technology_amount <= 0:
        raise ValidationError({"technology_amount": _("Enter the technology transaction amount.")})
    if total is not None and technology_amount > total:
        raise ValidationError(
            {"technology_amount": _("The technology transaction amount cannot exceed the contract amount.")}
        )
    clash = ContractRegistration.objects.filter(registration_number=number).exclude(
        partner=partner, external_ref=external_ref
    )
    if clash.exists():
        raise ValidationError({"registration_number": _("Another contract has this registration number.")})
    _check_subtype(fields.get("category", ""), fields.get("subtype", ""))
    for _attempt in range(2):
        registration = (
            ContractRegistration.objects.select_for_update().filter(partner=partner, external_ref=external_ref).first()
        )
        created = registration is None
        if created:
            registration = ContractRegistration(
                organization=organization,
                partner=partner,
                external_ref=external_ref,
                status=RegistrationStatus.REGISTERED,
            )
        elif registration.organization_id != organization.pk:
            raise ValidationError(
                {"organization_uscc": _("This record belongs to another organization; its owner cannot change.")}
            )
        for name, value in fields.items():
            setattr(registration, name, value.strip() if isinstance(value, str) else value)
        registration.registration_number = number
        registration.registered_at = registered_at or registration.registered_at or timezone.now()
        registration.technology_amount = technology_amount
        registration.full_clean(exclude=["signed_contract", "deal"])
        if not created:
            registration.save()
            break
        try:
            with transaction.atomic():
                registration.save()
        except IntegrityError:
            continue  # a concurrent first write of the same reference: update that row
        REGISTRATION_LIFECYCLE.record_start(registration)
        break
    members = {
        organization.uscc: organization
        for organization in Organization.objects.filter(uscc__in=[normalize_uscc(p.get("uscc")) for p in parties])
    }
    _write_parties(
        registration,
        [{**party, "organization": members.get(normalize_uscc(party.get("uscc")))} for party in parties],
    )
    if created:
        from marketplace.services.webhooks import webhook_emit

        webhook_emit("contract.registered", registration)
    return registration, created
