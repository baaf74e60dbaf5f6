"""Organizations, their verification by the bureau, memberships and join requests."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import rules as market_rules
from marketplace import search
from marketplace.enums import FilePurpose, JoinRequestStatus, MembershipRole, StaffGroup, VerificationStatus
from marketplace.models import JoinRequest, Membership, Organization, User
from marketplace.services.files import private_file_store
from marketplace.services.notifications import notify
from marketplace.services.transitions import Workflow
from marketplace.validators import normalize_uscc

VERIFICATION = Workflow(
    choices=VerificationStatus,
    status_field="verification_status",
    transitions={
        VerificationStatus.UNVERIFIED: {VerificationStatus.PENDING, VerificationStatus.VERIFIED},
        VerificationStatus.PENDING: {VerificationStatus.VERIFIED, VerificationStatus.REJECTED},
        VerificationStatus.REJECTED: {VerificationStatus.PENDING},
        # Revocation: a verified organization loses its standing, with a reason.
        VerificationStatus.VERIFIED: {VerificationStatus.REJECTED},
    },
    reason_required=frozenset({VerificationStatus.REJECTED}),
    on_change=search.update_many,
)

# What verification vouches for: fixed once verified, except by bureau reviewers.
IDENTITY_FIELDS = ("name", "kind", "uscc")
ORGANIZATION_EDITABLE_FIELDS = (
    "name",
    "short_name",
    "kind",
    "uscc",
    "region",
    "address",
    "website",
    "contact_phone",
    "description",
    "requires_internal_approval",
)


def _require(user, permission: str, obj) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied


def bureau_reviewers():
    """Active users who review organizations and listings (reviewers and administrators)."""
    return User.objects.filter(
        is_active=True, groups__name__in=[StaffGroup.REVIEWER, StaffGroup.ADMINISTRATOR]
    ).distinct()


def bureau_registrars():
    """Active users who register technology contracts (registrars and administrators)."""
    return User.objects.filter(
        is_active=True, groups__name__in=[StaffGroup.REGISTRAR, StaffGroup.ADMINISTRATOR]
    ).distinct()


def organization_admins(organization: Organization):
    return User.objects.filter(
        is_active=True, memberships__organization=organization, memberships__role=MembershipRole.ADMIN
    )


@transaction.atomic
def organization_create(*, created_by: User | None, industry_fields=(), **fields) -> Organization:
    """Create an organization; its creator (if any) becomes its administrator.

    Raises ValidationError with field errors (duplicate name or credit code, bad check digit…).
    """
    fields["uscc"] = normalize_uscc(fields.get("uscc") or "") or None
    organization = Organization(**fields)
    organization.full_clean()
    organization.save()
    if industry_fields:
        organization.industry_fields.set(industry_fields)
    if created_by is not None:
        Membership.objects.create(user=created_by, organization=organization, role=MembershipRole.ADMIN)
        market_rules.forget_membership_roles(created_by)
    return organization


@transaction.atomic
def organization_update(*, organization: Organization, user: User, industry_fields=None, **fields) -> Organization:
    """Change an organization's details (its administrators or bureau reviewers).

    Verification vouches for the name, kind and credit code, so once verified only bureau
    reviewers may change them.
    """
    _require(user, "marketplace.change_organization", organization)
    unknown = set(fields) - set(ORGANIZATION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "uscc" in fields:
        fields["uscc"] = normalize_uscc(fields["uscc"] or "") or None
    if organization.is_verified and not market_rules.is_bureau_reviewer(user):
        locked = [name for name in IDENTITY_FIELDS if name in fields and getattr(organization, name) != fields[name]]
        if locked:
            raise ValidationError(
                {name: _("Verified organizations change this through the bureau.") for name in locked}
            )
    renamed = "name" in fields and fields["name"] != organization.name
    for name, value in fields.items():
        setattr(organization, name, value)
    organization.full_clean()
    organization.save()
    if industry_fields is not None:
        organization.industry_fields.set(industry_fields)
    search.update(organization)
    if renamed:  # its listings' documents carry its name
        from marketplace.tasks import search_reindex_organization

        transaction.on_commit(lambda: search_reindex_organization.delay(organization.pk))
    return organization


@transaction.atomic
def organization_request_verification(*, organization: Organization, user: User, evidence=()) -> Organization:
    """An organization administrator submits evidence (licence or certificate) for review.

    Each file is checked by content; at least one is required unless evidence is already on
    file. Bureau reviewers are notified.
    """
    _require(user, "marketplace.request_verification_organization", organization)
    stored = [
        private_file_store(
            uploaded=uploaded,
            uploaded_by=user,
            organization=organization,
            parent=organization,
            purpose=FilePurpose.VERIFICATION_EVIDENCE,
        )
        for uploaded in evidence
    ]
    if not stored and not organization_evidence(organization).exists():
        raise ValidationError({"evidence": _("Upload the business licence or legal-person certificate.")})
    organization.verification_requested_at = timezone.now()
    VERIFICATION.apply(
        organization, VerificationStatus.PENDING, actor=user, update_fields=["verification_requested_at"]
    )
    notify(
        users=bureau_reviewers(),
        kind="organization.verification_requested",
        title=_("%(name)s asks to be verified") % {"name": organization.name},
        url=reverse("admin:marketplace_organization_change", args=[organization.pk]),
    )
    return organization


def organization_evidence(organization: Organization):
    from marketplace.models import PrivateFile

    return PrivateFile.objects.filter(organization=organization, purpose=FilePurpose.VERIFICATION_EVIDENCE)


@transaction.atomic
def organization_approve(*, organization: Organization, reviewer: User) -> Organization:
    """A bureau reviewer verifies the organization; its administrators are notified."""
    _require(reviewer, "marketplace.review_organization", organization)
    organization.verified_at = timezone.now()
    organization.verification_note = ""
    VERIFICATION.apply(
        organization, VerificationStatus.VERIFIED, actor=reviewer, update_fields=["verified_at", "verification_note"]
    )
    notify(
        users=organization_admins(organization),
        organization=organization,
        kind="organization.verified",
        title=_("%(name)s is verified") % {"name": organization.name},
        body=_("Your organization may now submit records for publication."),
        url=reverse("workspace:home"),
    )
    return organization


@transaction.atomic
def organization_reject(*, organization: Organization, reviewer: User, reason: str) -> Organization:
    """A bureau reviewer rejects (or revokes) verification with a reason the organization sees."""
    _require(reviewer, "marketplace.review_organization", organization)
    organization.verification_note = (reason or "").strip()
    VERIFICATION.apply(
        organization, VerificationStatus.REJECTED, actor=reviewer, reason=reason, update_fields=["verification_note"]
    )
    notify(
        users=organization_admins(organization),
        organization=organization,
        kind="organization.rejected",
        title=_("Verification of %(name)s was not approved") % {"name": organization.name},
        body=reason,
        url=reverse("workspace:verification"),
    )
    return organization


@transaction.atomic
def join_request_create(*, user: User, organization: Organization, message: str = "") -> JoinRequest:
    """Ask to join an organization; its administrators are notified."""
    if Membership.objects.filter(user=user, organization=organization).exists():
        raise ValidationError({"organization": _("You are already a member of this organization.")})
    if JoinRequest.objects.filter(user=user, organization=organization, status=JoinRequestStatus.PENDING).exists():
        raise ValidationError({"organization": _("You have already asked to join this organization.")})
    join_request = JoinRequest.objects.create(user=user, organization=organization, message=message.strip())
    notify(
        users=organization_admins(organization),
        organization=organization,
        kind="organization.join_requested",
        title=_("%(user)s asks to join %(organization)s")
        % {"user": user.get_full_name(), "organization": organization.name},
        body=message,
        url=reverse("workspace:members"),
    )
    return join_request


def _decide(join_request: JoinRequest, *, user: User, status: str, reason: str = "") -> JoinRequest:
    join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if join_request.status != JoinRequestStatus.PENDING:
        raise ValidationError(_("This request has already been decided."))
    join_request.status = status
    join_request.decided_by = user
    join_request.decided_at = timezone.now()
    join_request.decision_reason = reason.strip()
    join_request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return join_request


@transaction.atomic
def join_request_approve(*, join_request: JoinRequest, user: User) -> Membership:
    """An organization administrator accepts a join request: the requester becomes a member."""
    _require(user, "marketplace.change_joinrequest", join_request)
    join_request = _decide(join_request, user=user, status=JoinRequestStatus.APPROVED)
    membership, _created = Membership.objects.get_or_create(
        user=join_request.user, organization=join_request.organization, defaults={"role": MembershipRole.MEMBER}
    )
    market_rules.forget_membership_roles(join_request.user)
    notify(
        users=[join_request.user],
        organization=join_request.organization,
        kind="organization.join_approved",
        title=_("You have joined %(organization)s") % {"organization": join_request.organization.name},
        url=reverse("workspace:home"),
    )
    return membership


@transaction.atomic
def join_request_reject(*, join_request: JoinRequest, user: User, reason: str = "") -> JoinRequest:
    """An organization administrator declines a join request; the requester sees the reason."""
    _require(user, "marketplace.change_joinrequest", join_request)
    join_request = _decide(join_request, user=user, status=JoinRequestStatus.REJECTED, reason=reason)
    notify(
        users=[join_request.user],
        kind="organization.join_rejected",
        title=_("Your request to join %(organization)s was declined")
        % {"organization": join_request.organization.name},
        body=reason,
        url=reverse("workspace:home"),
    )
    return join_request


@transaction.atomic
def join_request_cancel(*, join_request: JoinRequest, user: User) -> JoinRequest:
    _require(user, "marketplace.cancel_joinrequest", join_request)
    return _decide(join_request, user=user, status=JoinRequestStatus.CANCELLED)


def _ensure_another_admin(membership: Membership) -> None:
    others = Membership.objects.filter(organization_id=membership.organization_id, role=MembershipRole.ADMIN).exclude(
        pk=membership.pk
    )
    if not others.exists():
        raise ValidationError(_("An organization needs at least one administrator."))


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, user: User) -> Membership:
    """Make a member an administrator or back; the last administrator cannot step down."""
    _require(user, "marketplace.change_membership", membership)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role not in MembershipRole.values:
        raise ValidationError({"role": _("Unknown role.")})
    if membership.role == MembershipRole.ADMIN and role != MembershipRole.ADMIN:
        _ensure_another_admin(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    market_rules.forget_membership_roles(membership.user)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, user: User) -> None:
    """Remove a member (an administrator, or the member leaving); never the last administrator."""
    if membership.user_id != user.pk:
        _require(user, "marketplace.delete_membership", membership)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == MembershipRole.ADMIN:
        _ensure_another_admin(membership)
    membership.delete()
    market_rules.forget_membership_roles(membership.user)
