"""Partner systems: their organizations and OAuth2 applications (create, rotate, revoke)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, RefreshToken

from marketplace.enums import OrganizationKind, VerificationStatus
from marketplace.models import Organization, PartnerApplication, User
from marketplace.scopes import validate_scopes
from marketplace.services.matching import listing_saved
from marketplace.services.transitions import Workflow
from marketplace.validators import normalize_uscc, validate_uscc


@dataclass(frozen=True)
class Credentials:
    """What a partner needs to ask for tokens. The secret is shown once: only its hash is kept."""

    partner_application: PartnerApplication
    client_id: str
    client_secret: str


def _clean_scopes(scopes: str | list[str]) -> str:
    names = scopes.split() if isinstance(scopes, str) else list(scopes)
    unknown = validate_scopes(" ".join(names))
    if unknown:
        raise ValidationError({"scopes": _("Unknown scopes: %(names)s.") % {"names": "、".join(unknown)}})
    if not names:
        raise ValidationError({"scopes": _("Grant at least one scope.")})
    return " ".join(sorted(set(names)))


def partner_organization(*, name: str, uscc: str = "") -> Organization:
    """The partner system's organization, found by credit code (or name), created if new.

    A partner system is verified by being created by staff: it is not a party to deals."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the partner system's name.")})
    if uscc:
        uscc = normalize_uscc(uscc)
        validate_uscc(uscc)
        found = Organization.objects.filter(uscc=uscc).first()
    else:
        found = Organization.objects.filter(name=name).first()
    if found is not None:
        if found.kind != OrganizationKind.PARTNER_SYSTEM:
            raise ValidationError(
                {"name": _("This organization is already on the market, and it is not a partner system.")}
            )
        return found
    return Organization.objects.create(
        name=name,
        kind=OrganizationKind.PARTNER_SYSTEM,
        uscc=uscc or None,
        verification_status=VerificationStatus.VERIFIED,
        verified_at=timezone.now(),
    )


@transaction.atomic
def partner_application_create(
    *, organization: Organization, name: str, scopes: str | list[str], created_by: User | None = None
) -> Credentials:
    """A new client-credentials application for the partner, with the scopes staff grant it."""
    if organization.kind != OrganizationKind.PARTNER_SYSTEM:
        raise ValidationError({"organization": _("Only partner-system organizations get API applications.")})
    secret = generate_client_secret()
    application = Application.objects.create(
        name=(name or organization.name)[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    partner_application = PartnerApplication.objects.create(
        application=application, organization=organization, scopes=_clean_scopes(scopes), created_by=created_by
    )
    return Credentials(partner_application, application.client_id, secret)


def _revoke_tokens(application: Application) -> None:
    RefreshToken.objects.filter(application=application).delete()
    AccessToken.objects.filter(application=application).delete()


@transaction.atomic
def partner_application_rotate(*, partner_application: PartnerApplication) -> Credentials:
    """A new secret (the old one stops working at once) and every issued token revoked."""
    application = partner_application.application
    secret = generate_client_secret()
    application.client_secret = secret
    application.save(update_fields=["client_secret", "updated"])
    _revoke_tokens(application)
    partner_application.secret_rotated_at = timezone.now()
    partner_application.save(update_fields=["secret_rotated_at", "updated_at"])
    return Credentials(partner_application, application.client_id, secret)


@transaction.atomic
def partner_application_revoke(*, partner_application: PartnerApplication) -> PartnerApplication:
    """No more tokens, and the issued ones stop working."""
    _revoke_tokens(partner_application.application)
    partner_application.revoked_at = partner_application.revoked_at or timezone.now()
    partner_application.save(update_fields=["revoked_at", "updated_at"])
    return partner_application


@transaction.atomic
def partner_application_set_scopes(
    *, partner_application: PartnerApplication, scopes: str | list[str]
) -> PartnerApplication:
    """Change the granted scopes; tokens issued with a scope no longer granted are revoked."""
    partner_application.scopes = _clean_scopes(scopes)
    partner_application.save(update_fields=["scopes", "updated_at"])
    granted = partner_application.scope_set
    for token in AccessToken.objects.filter(application=partner_application.application):
        if not set(token.scope.split()) <= granted:
            token.delete()
    return partner_application


# Records written by partners ---------------------------------------------------------------


def member_organization(uscc: str, *, field: str = "organization_uscc") -> Organization:
    """The market member a partner writes for, identified by its credit code. It must be on the
    market already (registered and verified): a partner cannot create organizations."""
    code = normalize_uscc(uscc)
    organization = Organization.objects.filter(uscc=code).first() if code else None
    if organization is None:
        raise ValidationError(
            {field: _("No organization on the market has the credit code %(uscc)s; it has to register first.")
             % {"uscc": code or "—"}}
        )  # fmt: skip
    if organization.kind in (OrganizationKind.BUREAU, OrganizationKind.PARTNER_SYSTEM):
        raise ValidationError({field: _("The bureau and partner systems do not own listings.")})
    if organization.verification_status != VerificationStatus.VERIFIED:
        raise ValidationError({field: _("%(name)s is not verified on the market yet.") % {"name": organization.name}})
    return organization


def tombstone_record(obj, *, collection: str, was_public: bool) -> None:
    """Keep a deleted record's id (and reference) for `updated_since` syncs. Call before deleting."""
    from marketplace.models import Tombstone

    Tombstone.objects.create(
        collection=collection,
        object_id=obj.pk,
        external_ref=getattr(obj, "external_ref", "") or "",
        organization_id=getattr(obj, "organization_id", None),
        partner_id=getattr(obj, "partner_id", None),
        was_public=was_public,
    )


@dataclass(frozen=True)
class ListingSpec:
    """How partner writes map onto one kind of listing (achievements, demands): its lifecycle,
    which statuses mean listed and retracted, and the app's own validation and child rows."""

    model: type
    collection: str
    lifecycle: Workflow
    editable_fields: frozenset
    material_fields: frozenset
    submittable: frozenset  # statuses from which a listed record is (re)submitted
    retractable: frozenset  # statuses a "withdrawn" write moves to `retracted`
    submitted: str
    published: str
    retracted: str
    public_statuses: frozenset
    clean: Callable[[dict], dict]  # normalises the fields (rich text, keywords)
    validate: Callable[[object], None]
    set_children: Callable[..., None]  # (obj, new=bool, **children)
    notify_reviewers: Callable[[object], None]
    published_event: str
    retracted_event: str


def _emit(event: str, obj) -> None:
    from marketplace.services.webhooks import webhook_emit

    webhook_emit(event, obj)


def _partner_reason(partner_application: PartnerApplication) -> str:
    return _("Written by the partner system %(name)s") % {"name": partner_application.organization.name}


@transaction.atomic
def listing_partner_upsert(
    spec: ListingSpec,
    *,
    partner_application: PartnerApplication,
    external_ref: str,
    organization: Organization,
    listed: bool,
    fields: dict,
    children: dict,
):
    """Create or update the partner's record `external_ref` (PUT semantics: the whole record).

    `listed`: the partner lists it (it goes to the bureau's review, or straight on the market
    when the partner application publishes directly), or withdraws it. Returns (record, created).
    Concurrent writes of the same reference are serialised on the row (a concurrent first write
    becomes an update)."""
    unknown = set(fields) - spec.editable_fields
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    fields = spec.clean(dict(fields))
    partner = partner_application.organization
    manager = spec.model._default_manager
    for _attempt in range(2):
        obj = manager.select_for_update().filter(partner=partner, external_ref=external_ref).first()
        created = obj is None
        if created:
            obj = spec.model(organization=organization, partner=partner, source="partner", external_ref=external_ref)
        elif obj.organization_id != organization.pk:
            raise ValidationError(
                {"organization_uscc": _("This record belongs to another organization; its owner cannot change.")}
            )
        changed = {name for name, value in fields.items() if getattr(obj, name) != value}
        for name, value in fields.items():
            setattr(obj, name, value)
        spec.validate(obj)
        if not created:
            obj.save()
            break
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError:
            continue  # written meanwhile by a concurrent request: update that row instead
        spec.lifecycle.record_start(obj)
        break
    else:  # pragma: no cover - the second pass always finds the row
        raise ValidationError(_("The record is being written by another request; try again."))
    spec.set_children(obj, new=created, **children)
    _partner_status(spec, obj, partner_application, listed=listed, material=bool(changed & spec.material_fields))
    listing_saved(obj)
    return obj, created


def _partner_status(spec: ListingSpec, obj, partner_application: PartnerApplication, *, listed: bool, material: bool):
    reason = _partner_reason(partner_application)
    status = obj.status
    if not listed:
        if status in spec.retractable:
            was_public = status in spec.public_statuses
            spec.lifecycle.apply(obj, spec.retracted, reason=reason)
            if was_public:
                _emit(spec.retracted_event, obj)
        return
    direct = partner_application.publishes_directly
    if status in spec.submittable or (status == spec.published and material and not direct):
        if not obj.organization.is_verified:
            raise ValidationError({"organization_uscc": _("Only verified organizations list on the market.")})
        if not obj.industry_fields.exists():
            raise ValidationError({"industry_fields": _("Choose at least one industry field before submitting.")})
        obj.submitted_at = timezone.now()
        spec.lifecycle.apply(obj, spec.submitted, reason=reason, update_fields=["submitted_at"])
        status = spec.submitted
        if not direct:
            spec.notify_reviewers(obj)
    if direct and status == spec.submitted:
        now = timezone.now()
        obj.published_at = obj.published_at or now
        obj.confirmed_at = now
        obj.review_note = ""
        spec.lifecycle.apply(
            obj, spec.published, reason=reason, update_fields=["published_at", "confirmed_at", "review_note"]
        )
        _emit(spec.published_event, obj)
    elif direct and status == spec.published:
        obj.confirmed_at = timezone.now()  # the partner re-sent it: it is current
        obj.save(update_fields=["confirmed_at", "updated_at"])


@transaction.atomic
def listing_partner_delete(spec: ListingSpec, *, partner_application: PartnerApplication, external_ref: str) -> None:
    """DELETE by reference: a record never on the market is deleted (a tombstone stays for
    syncs); one that was is withdrawn instead, since others may hold inquiries or deals on it."""
    obj = (
        spec.model._default_manager.select_for_update()
        .filter(partner=partner_application.organization, external_ref=external_ref)
        .first()
    )
    if obj is None:
        raise Http404
    if obj.published_at is None:
        tombstone_record(obj, collection=spec.collection, was_public=False)
        obj.delete()
        return
    _partner_status(spec, obj, partner_application, listed=False, material=False)
