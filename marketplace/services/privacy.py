"""A person's rights over their personal data (PIPL 个人信息保护法 arts. 44–47): consent to the privacy
notice, a copy of their data (export) and the deletion of their account.

Every foreign key to the user model is either exported (PERSONAL_SECTIONS: the row's content;
AUTHORED_RECORDS: a reference to a record of an organization the person wrote or acted on) or listed in
EXCLUDED_USER_FIELDS with the reason; tests/security/test_privacy.py fails when a new one is neither.

Deleting an account keeps the user row (so that achievements, demands, messages and history keep an author,
shown as "已注销用户") but empties it of everything personal, and deletes the rows that only served the
person. A user who is the last administrator of an organization with other members must hand over first:
the organization would otherwise be left without anyone able to manage it. Staff accounts are closed by a
bureau administrator, not by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import rules as market_rules
from marketplace.enums import JoinRequestStatus, MembershipRole
from marketplace.models import Membership, Organization, TransitionLog, User
from marketplace.models.accounts import DELETED_USERNAME_PREFIX
from marketplace.otp import requires_second_factor

EXPORT_FORMAT_VERSION = 1

# Account fields a person gets back; never the password hash, staff flags or permissions.
ACCOUNT_FIELDS = (
    "username",
    "name",
    "email",
    "phone",
    "email_frequency",
    "date_joined",
    "last_login",
    "privacy_consent_at",
    "privacy_consent_version",
)


@dataclass(frozen=True)
class Section:
    """Rows of `model` whose `user_field` is the person, exported with `fields` (relations as text)."""

    key: str
    model: str
    user_field: str
    fields: tuple[str, ...]


PERSONAL_SECTIONS = (
    Section("memberships", "marketplace.Membership", "user", ("organization", "role", "created_at")),
    Section(
        "join_requests",
        "marketplace.JoinRequest",
        "user",
        ("organization", "message", "status", "created_at", "decided_at", "decision_reason"),
    ),
    Section(
        "notifications",
        "marketplace.Notification",
        "user",
        ("organization", "kind", "title", "body", "url", "created_at", "read_at", "emailed_at"),
    ),
    Section(
        "saved_searches",
        "marketplace.SavedSearch",
        "user",
        ("name", "query", "filters", "created_at", "last_checked_at"),
    ),
    Section("favourites", "marketplace.Favourite", "user", ("content_type", "object_id", "title", "created_at")),
    Section(
        "digest_subscriptions",
        "achievements.Subscription",
        "user",
        ("email", "frequency", "status", "created_at", "confirmed_at", "unsubscribed_at"),
    ),
    Section(
        "messages", "marketplace.Message", "author", ("thread_type", "thread_id", "organization", "body", "created_at")
    ),
    Section(
        "inquiries", "achievements.Inquiry", "user", ("achievement", "organization", "subject", "status", "created_at")
    ),
    Section(
        "event_registrations",
        "events.Registration",
        "user",
        ("event", "organization", "status", "note", "created_at", "confirmed_at", "cancelled_at", "checked_in_at"),
    ),
    Section(
        "broker_profile",
        "brokers.BrokerProfile",
        "user",
        (
            "agency",
            "level",
            "certificate_number",
            "certificate_issuer",
            "certificate_issued_on",
            "certificate_expires_on",
            "introduction",
            "status",
            "applied_at",
            "approved_at",
        ),
    ),
    Section(
        "expert_profile",
        "marketplace.ExpertProfile",
        "user",
        ("kind", "organization", "title", "introduction", "is_available", "is_active", "created_at"),
    ),
    Section("match_feedback", "marketplace.MatchFeedback", "user", ("match", "side", "verdict", "created_at")),
    Section(
        "challenge_objections",
        "demands.Objection",
        "user",
        ("challenge", "text", "status", "resolution", "created_at", "resolved_at"),
    ),
    Section(
        "mails_to_you",
        "marketplace.OutgoingMail",
        "user",
        ("to", "purpose", "subject", "status", "created_at", "sent_at"),
    ),
    Section(
        "files_uploaded",
        "marketplace.PrivateFile",
        "uploaded_by",
        ("original_name", "kind", "size", "purpose", "organization", "created_at"),
    ),
)

# Records of organizations the person wrote or acted on: exported as references (type, id, title, role),
# never their content, which belongs to the organization and may name other people.
AUTHORED_RECORDS = (
    ("achievements.Achievement", "created_by"),
    ("achievements.LedgerEntry", "author"),
    ("achievements.FeaturedIssue", "created_by"),
    ("demands.Demand", "created_by"),
    ("demands.Demand", "recorded_by"),
    ("demands.Demand", "assigned_brokers"),
    ("demands.DemandResponse", "created_by"),
    ("demands.Challenge", "created_by"),
    ("demands.Bid", "created_by"),
    ("demands.Objection", "resolved_by"),
    ("demands.PooledProcurement", "created_by"),
    ("demands.Pledge", "created_by"),
    ("brokers.LevelUpgrade", "reviewer"),
    ("brokers.ExcellentBroker", "selected_by"),
    ("pilots.ServiceRequest", "requested_by"),
    ("pilots.Booking", "created_by"),
    ("pilots.FilingReview", "reviewer"),
    ("events.Event", "created_by"),
    ("events.Presentation", "applied_by"),
    ("events.LetterOfIntent", "recorded_by"),
    ("events.Registration", "checked_in_by"),
    ("marketplace.Deal", "created_by"),
    ("marketplace.Deal", "brokers"),
    ("marketplace.DealPayment", "recorded_by"),
    ("marketplace.ContractRegistration", "submitted_by"),
    ("marketplace.ContractRegistration", "registrar"),
    ("marketplace.EvaluationRound", "created_by"),
    ("marketplace.PartnerApplication", "created_by"),
    ("marketplace.JoinRequest", "decided_by"),
    ("marketplace.TransitionLog", "actor"),
)

# Foreign keys to the user that the export leaves out, and why.
EXCLUDED_USER_FIELDS = {
    ("admin.LogEntry", "user"): "the bureau's audit log of console actions, kept for security (PIPL art. 51)",
    ("oauth2_provider.Application", "user"): "partner systems use client credentials; no person owns these",
    ("oauth2_provider.Grant", "user"): "authorization-code grants are not used (client credentials only)",
    ("oauth2_provider.AccessToken", "user"): "credentials, never exported; partner tokens have no person",
    ("oauth2_provider.RefreshToken", "user"): "credentials, never exported; partner tokens have no person",
    ("oauth2_provider.IDToken", "user"): "OpenID Connect is not used",
    ("oauth2_provider.DeviceGrant", "user"): "device grants are not used",
}


def excluded_reason(model: type[models.Model], field_name: str) -> str | None:
    """Why a foreign key to the user is not exported, or None when it should be."""
    label = model._meta.label
    if (label, field_name) in EXCLUDED_USER_FIELDS:
        return EXCLUDED_USER_FIELDS[(label, field_name)]
    if model._meta.app_label.startswith("otp_"):
        return "second-factor secrets are credentials: never exported, deleted with the account"
    if model.__name__.startswith("Historical") and hasattr(model, "instance_type"):
        return "audit copies (django-simple-history) of records listed under authored_records"
    return None


def user_foreign_keys() -> list[tuple[type[models.Model], str]]:
    """Every concrete foreign key, one-to-one and many-to-many field pointing at the user model."""
    user_model = get_user_model()
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model is user_model:
                found.append((model, field.name))
    return found


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _row(obj, fields: tuple[str, ...]) -> dict:
    row = {"id": obj.pk}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.choices and not field.is_relation:
            row[name] = getattr(obj, name)
            row[f"{name}_display"] = str(getattr(obj, f"get_{name}_display")())
        else:
            row[name] = _plain(getattr(obj, name))
    return row


def _section_queryset(section: Section, user: User):
    model = apps.get_model(section.model)
    # Rows are the person's by their foreign key only, never by the e-mail address on the profile:
    # anyone may type someone else's address there (it is not confirmed), and would then read or
    # delete that person's digest subscription and mail.
    relations = [f.name for f in model._meta.concrete_fields if f.is_relation and f.name in section.fields]
    return model.objects.filter(**{section.user_field: user}).select_related(*relations).order_by("pk")


def _authored(user: User) -> list[dict]:
    rows = []
    for label, field_name in AUTHORED_RECORDS:
        model = apps.get_model(label)
        field = model._meta.get_field(field_name)
        names = {f.name for f in model._meta.concrete_fields}
        for obj in model.objects.filter(**{field_name: user}).order_by("pk"):
            row = {
                "type": label,
                "type_name": str(model._meta.verbose_name),
                "id": obj.pk,
                "role": str(field.verbose_name),
            }
            if "title" in names:
                row["title"] = obj.title
            if "organization" in names and obj.organization_id:
                row["organization"] = str(obj.organization)
            if "created_at" in names:
                row["created_at"] = _plain(obj.created_at)
            rows.append(row)
    return rows


def personal_data_export(*, user: User) -> dict:
    """A copy of the person's personal data (PIPL art. 45) as a JSON-ready dict. Reads only."""
    data = {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "account": {name: _plain(getattr(user, name)) for name in ACCOUNT_FIELDS},
    }
    for section in PERSONAL_SECTIONS:
        rows = [_row(obj, section.fields) for obj in _section_queryset(section, user)]
        if section.key in {"broker_profile", "expert_profile"}:
            data[section.key] = rows[0] if rows else None
        else:
            data[section.key] = rows
    data["authored_records"] = _authored(user)
    return data


@transaction.atomic
def privacy_consent_record(*, user: User) -> User:
    """Record that the user agreed to the current privacy notice (time and version)."""
    user.privacy_consent_at = timezone.now()
    user.privacy_consent_version = settings.PRIVACY_NOTICE_VERSION
    user.save(update_fields=["privacy_consent_at", "privacy_consent_version"])
    return user


def organizations_blocking_deletion(user: User) -> list[Organization]:
    """Organizations where the user is the only administrator and other people are members."""
    blocking = []
    admin_of = Membership.objects.filter(user=user, role=MembershipRole.ADMIN).values_list("organization_id", flat=True)
    for organization in Organization.objects.filter(pk__in=list(admin_of)).order_by("name"):
        others = Membership.objects.filter(organization=organization).exclude(user=user)
        if others.exists() and not others.filter(role=MembershipRole.ADMIN).exists():
            blocking.append(organization)
    return blocking


def _delete_personal_rows(user: User) -> None:
    from achievements.models import Subscription
    from marketplace.models import Favourite, JoinRequest, Notification, OutgoingMail, SavedSearch

    Notification.objects.filter(user=user).delete()
    SavedSearch.objects.filter(user=user).delete()
    Favourite.objects.filter(user=user).delete()
    JoinRequest.objects.filter(user=user, status=JoinRequestStatus.PENDING).delete()
    # By the foreign key only (see _section_queryset): the profile's e-mail address is not confirmed.
    Subscription.objects.filter(user=user).delete()
    OutgoingMail.objects.filter(user=user).delete()
    for model, field_name in user_foreign_keys():
        if model._meta.app_label.startswith("otp_"):
            model.objects.filter(**{field_name: user}).delete()


def _anonymise_profiles(user: User) -> None:
    from brokers.enums import FilingStatus
    from brokers.models import BrokerProfile
    from marketplace.models import ExpertProfile

    # The profiles stay (engagements and evaluations point at them) without what identifies the person;
    # the history copies are scrubbed too, or they would keep the certificate number.
    scrub = {"certificate_number": "", "certificate_issuer": "", "introduction": ""}
    BrokerProfile.objects.filter(user=user).update(
        **scrub, status=FilingStatus.SUSPENDED, status_note=_("Account deleted by its holder.")
    )
    BrokerProfile.history.filter(user_id=user.pk).update(**scrub)
    ExpertProfile.objects.filter(user=user).update(title="", introduction="", is_available=False, is_active=False)


def _anonymise_account(user: User) -> None:
    user.username = f"{DELETED_USERNAME_PREFIX}{user.pk}"
    user.name = ""
    user.email = ""
    user.phone = ""
    user.is_active = False
    user.is_staff = False
    user.last_login = None
    user.privacy_consent_at = None
    user.privacy_consent_version = ""
    user.set_unusable_password()
    user.save(
        update_fields=[
            "username",
            "name",
            "email",
            "phone",
            "is_active",
            "is_staff",
            "last_login",
            "privacy_consent_at",
            "privacy_consent_version",
            "password",
        ]
    )
    user.groups.clear()
    user.user_permissions.clear()


@transaction.atomic
def account_delete(*, user: User, password: str) -> User:
    """Delete the person's account (PIPL art. 47) in one transaction: memberships removed, personal-only
    rows deleted (notifications, saved searches, favourites, digest subscriptions of their e-mail, pending
    join requests, queued mail, second-factor devices), broker and expert profiles emptied, the user row
    anonymised with an unusable password. Records they authored stay with their organizations. A
    TransitionLog row (account: active → deleted) is the audit entry. The caller logs the session out.

    Raises ValidationError with a message the person can act on: wrong password, staff account, or last
    administrator of an organization with other members.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(password):
        raise ValidationError({"password": _("The password is wrong.")}, code="wrong_password")
    if requires_second_factor(user):  # is_staff, superusers and members of a bureau staff group
        raise ValidationError(
            _("Staff accounts are closed by a bureau administrator; ask them to remove yours."), code="staff"
        )
    blocking = organizations_blocking_deletion(user)
    if blocking:
        raise ValidationError(
            _(
                "You are the only administrator of %(organizations)s, which has other members. Make another "
                "member an administrator first, then delete your account."
            )
            % {"organizations": "、".join(organization.name for organization in blocking)},
            code="last_admin",
        )
    Membership.objects.filter(user=user).delete()
    _delete_personal_rows(user)
    _anonymise_profiles(user)
    _anonymise_account(user)
    market_rules.forget_membership_roles(user)
    TransitionLog.objects.create(
        content_type=ContentType.objects.get_for_model(User),
        object_id=user.pk,
        field="account",
        from_status="active",
        to_status="deleted",
        actor=user,
        reason=_("Deleted by the account holder."),
    )
    return user
