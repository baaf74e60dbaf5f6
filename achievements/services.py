"""Every write of the achievement library: listings, their lifecycle, inquiries, tracking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from achievements import rules as achievement_rules
from achievements.enums import InquiryStatus, ProblemStatus, Source, Status
from achievements.models import (
    Achievement,
    AchievementTransferMode,
    Completer,
    Inquiry,
    IPRight,
    LedgerEntry,
    Problem,
)
from marketplace import rules as market_rules
from marketplace.enums import DealOrigin
from marketplace.models import Deal, Message, Organization, PrivateFile, User
from marketplace.richtext import sanitize_rich_text
from marketplace.services.conversations import message_post
from marketplace.services.deals import deal_start, kind_for_transfer_modes
from marketplace.services.files import private_file_store
from marketplace.services.freshness import FreshnessPolicy, stale_listings_retire
from marketplace.services.freshness import freshness_reminders_send as send_freshness_reminders
from marketplace.services.matching import listing_saved, listings_changed
from marketplace.services.notifications import notify
from marketplace.services.organizations import bureau_reviewers, organization_admins
from marketplace.services.partners import tombstone_record
from marketplace.services.transitions import Workflow
from marketplace.services.webhooks import webhook_emit
from marketplace.validators import clean_keywords

LIFECYCLE = Workflow(
    choices=Status,
    transitions={
        Status.DRAFT: {Status.INTERNAL_REVIEW, Status.SUBMITTED},
        Status.INTERNAL_REVIEW: {Status.SUBMITTED, Status.DRAFT, Status.WITHDRAWN},
        Status.SUBMITTED: {Status.PUBLISHED, Status.REJECTED, Status.WITHDRAWN},
        Status.REJECTED: {Status.INTERNAL_REVIEW, Status.SUBMITTED, Status.WITHDRAWN},
        # A material edit sends a published achievement back to review.
        Status.PUBLISHED: {Status.SUBMITTED, Status.TRANSFERRED, Status.WITHDRAWN, Status.ARCHIVED},
        Status.WITHDRAWN: {Status.INTERNAL_REVIEW, Status.SUBMITTED},
        Status.ARCHIVED: {Status.INTERNAL_REVIEW, Status.SUBMITTED},
        Status.TRANSFERRED: set(),
    },
    # Returned by the institution (→ draft), rejected by the bureau, archived as stale.
    reason_required=frozenset({Status.DRAFT, Status.REJECTED, Status.ARCHIVED}),
    on_change=listings_changed,
)

INQUIRY_LIFECYCLE = Workflow(
    choices=InquiryStatus,
    transitions={
        InquiryStatus.OPEN: {InquiryStatus.ANSWERED, InquiryStatus.DECLINED},
        InquiryStatus.ANSWERED: {InquiryStatus.DEAL_STARTED, InquiryStatus.DECLINED},
        InquiryStatus.DEAL_STARTED: set(),
        InquiryStatus.DECLINED: set(),
    },
)

# Statuses from which the owner submits (a published one goes back to review only by a material edit).
SUBMITTABLE = frozenset({Status.DRAFT, Status.REJECTED, Status.WITHDRAWN, Status.ARCHIVED})

# Fields whose change on a published achievement needs the bureau's review again.
MATERIAL_FIELDS = frozenset(
    {
        "title", "summary", "description", "category", "trl", "asking_price", "price_negotiable",
        "innovation_points", "technical_indicators", "application_scenarios",
    }
)  # fmt: skip
EDITABLE_FIELDS = MATERIAL_FIELDS | {"contact_name", "contact_phone", "contact_email", "keywords"}


def _require(user, permission: str, obj) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied


def _owner_recipients(achievement: Achievement) -> list[User]:
    recipients = list(organization_admins(achievement.organization))
    if achievement.created_by and achievement.created_by.is_active:
        recipients.append(achievement.created_by)
    return recipients


def _set_children(
    achievement, *, transfer_modes=None, completers=None, ip_rights=None, industry_fields=None, new=False
) -> None:
    """Replace the child rows given (None leaves that kind untouched); validates each row.
    For a new achievement there is nothing to delete first."""
    if transfer_modes is not None:
        if not new:
            achievement.transfer_modes.all().delete()
        AchievementTransferMode.objects.bulk_create(
            [AchievementTransferMode(achievement=achievement, mode=mode) for mode in dict.fromkeys(transfer_modes)]
        )
    if completers is not None:
        if not new:
            achievement.completers.all().delete()
        rows = []
        errors = {}
        for rank, completer in enumerate(completers, start=1):
            row = Completer(achievement=achievement, rank=rank, **completer)
            try:
                row.full_clean(exclude=["achievement"])
            except ValidationError as exc:
                errors[f"completers[{rank - 1}]"] = exc.messages
            rows.append(row)
        if errors:
            raise ValidationError(errors)
        Completer.objects.bulk_create(rows)
    if ip_rights is not None:
        if not new:
            achievement.ip_rights.all().delete()
        rows = []
        errors = {}
        for index, right in enumerate(ip_rights):
            row = IPRight(achievement=achievement, **right)
            try:
                row.full_clean(exclude=["achievement"])
            except ValidationError as exc:
                errors[f"ip_rights[{index}]"] = exc.messages
            rows.append(row)
        if errors:
            raise ValidationError(errors)
        IPRight.objects.bulk_create(rows)
    if industry_fields is not None:
        achievement.industry_fields.set(industry_fields)


def _validate(achievement: Achievement) -> None:
    if achievement.asking_price is None and not achievement.price_negotiable:
        raise ValidationError({"asking_price": _("Give an asking price or mark the price as negotiable.")})
    achievement.full_clean(exclude=["organization", "created_by"])


@transaction.atomic
def achievement_create(
    *,
    user: User,
    organization: Organization,
    transfer_modes: Sequence[str] = (),
    completers: Sequence[dict] = (),
    ip_rights: Sequence[dict] = (),
    industry_fields=(),
    source: str = Source.PLATFORM,
    external_ref: str = "",
    **fields,
) -> Achievement:
    """Create a draft achievement of `organization` (the user must be one of its members)."""
    if not market_rules.is_org_member(user, organization):
        raise PermissionDenied
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    fields["description"] = sanitize_rich_text(fields.get("description", ""))
    fields["keywords"] = clean_keywords(fields.get("keywords", []))
    achievement = Achievement(
        organization=organization, created_by=user, source=source, external_ref=external_ref or "", **fields
    )
    _validate(achievement)
    achievement.save()
    _set_children(
        achievement,
        transfer_modes=transfer_modes,
        completers=completers,
        ip_rights=ip_rights,
        industry_fields=industry_fields,
        new=True,
    )
    return achievement


@transaction.atomic
def achievement_update(
    *,
    achievement: Achievement,
    user: User,
    transfer_modes=None,
    completers=None,
    ip_rights=None,
    industry_fields=None,
    **fields,
) -> Achievement:
    """Change an achievement. A material change to a published one sends it back to the
    bureau's review (it leaves the public library until approved again)."""
    _require(user, "achievements.change_achievement", achievement)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "description" in fields:
        fields["description"] = sanitize_rich_text(fields["description"])
    if "keywords" in fields:
        fields["keywords"] = clean_keywords(fields["keywords"])
    changed = {name for name, value in fields.items() if getattr(achievement, name) != value}
    if transfer_modes is not None and set(transfer_modes) != set(
        achievement.transfer_modes.values_list("mode", flat=True)
    ):
        changed.add("transfer_modes")
    if ip_rights is not None:
        changed.add("ip_rights")
    for name, value in fields.items():
        setattr(achievement, name, value)
    _validate(achievement)
    achievement.save()
    _set_children(
        achievement,
        transfer_modes=transfer_modes,
        completers=completers,
        ip_rights=ip_rights,
        industry_fields=industry_fields,
    )
    material = changed & (MATERIAL_FIELDS | {"transfer_modes", "ip_rights"})
    if achievement.status == Status.PUBLISHED and material:
        achievement.submitted_at = timezone.now()
        LIFECYCLE.apply(
            achievement,
            Status.SUBMITTED,
            actor=user,
            reason=_("Material change: %(fields)s") % {"fields": ", ".join(sorted(material))},
            update_fields=["submitted_at"],
        )
        _set_files_public(achievement, False)
        _notify_reviewers(achievement)
    listing_saved(achievement)
    return achievement


@transaction.atomic
def achievement_delete(*, achievement: Achievement, user: User) -> None:
    """Delete a draft (only drafts; anything submitted is withdrawn instead)."""
    _require(user, "achievements.delete_achievement", achievement)
    if achievement.status != Status.DRAFT:
        raise ValidationError(_("Only drafts can be deleted; withdraw the achievement instead."))
    PrivateFile.objects.filter(
        parent_id=achievement.pk, purpose="attachment", parent_type__model="achievement"
    ).delete()
    tombstone_record(achievement, collection="achievements", was_public=False)
    achievement.delete()


def _notify_reviewers(achievement: Achievement) -> None:
    from django.urls import reverse

    notify(
        users=bureau_reviewers(),
        kind="achievement.submitted",
        title=_("Achievement to review: %(title)s") % {"title": achievement.title},
        url=reverse("admin:achievements_achievement_change", args=[achievement.pk]),
    )


@transaction.atomic
def achievement_submit(*, achievement: Achievement, user: User) -> Achievement:
    """Submit for publication: to the institution's own approval first if it asks for that,
    else straight to the bureau. Only verified organizations submit."""
    _require(user, "achievements.change_achievement", achievement)
    if achievement.status not in SUBMITTABLE:
        raise ValidationError(
            _("Only drafts, rejected, withdrawn or archived achievements are submitted; this one is “%(status)s”.")
            % {"status": achievement.get_status_display()}
        )
    if not market_rules.is_verified_organization(user, achievement.organization):
        raise ValidationError(_("Only verified organizations can submit achievements for publication."))
    _validate(achievement)
    if not achievement.industry_fields.exists():
        raise ValidationError({"industry_fields": _("Choose at least one industry field before submitting.")})
    if achievement.organization.requires_internal_approval:
        LIFECYCLE.apply(achievement, Status.INTERNAL_REVIEW, actor=user)
        notify(
            users=organization_admins(achievement.organization),
            organization=achievement.organization,
            kind="achievement.internal_review",
            title=_("Achievement awaiting your approval: %(title)s") % {"title": achievement.title},
            url=achievement.get_absolute_url(),
        )
        return achievement
    achievement.submitted_at = timezone.now()
    LIFECYCLE.apply(achievement, Status.SUBMITTED, actor=user, update_fields=["submitted_at"])
    _notify_reviewers(achievement)
    return achievement


@transaction.atomic
def achievement_approve_internally(*, achievement: Achievement, user: User) -> Achievement:
    """The institution's tech-transfer office passes the submission on to the bureau."""
    _require(user, "achievements.approve_internally_achievement", achievement)
    if achievement.status != Status.INTERNAL_REVIEW:
        raise ValidationError(_("Only achievements awaiting the institution's approval can be approved by it."))
    achievement.submitted_at = timezone.now()
    LIFECYCLE.apply(achievement, Status.SUBMITTED, actor=user, update_fields=["submitted_at"])
    _notify_reviewers(achievement)
    return achievement


@transaction.atomic
def achievement_return_internally(*, achievement: Achievement, user: User, reason: str) -> Achievement:
    """The institution's tech-transfer office sends a submission back to its author."""
    _require(user, "achievements.approve_internally_achievement", achievement)
    if achievement.status != Status.INTERNAL_REVIEW:
        raise ValidationError(_("Only achievements awaiting the institution's approval can be returned."))
    achievement.review_note = reason.strip()
    LIFECYCLE.apply(achievement, Status.DRAFT, actor=user, reason=reason, update_fields=["review_note"])
    notify(
        users=[achievement.created_by] if achievement.created_by else [],
        kind="achievement.returned",
        title=_("Returned by your institution: %(title)s") % {"title": achievement.title},
        body=reason,
        url=achievement.get_absolute_url(),
    )
    return achievement


def _set_files_public(achievement: Achievement, public: bool) -> None:
    from django.contrib.contenttypes.models import ContentType

    PrivateFile.objects.filter(
        parent_type=ContentType.objects.get_for_model(Achievement), parent_id=achievement.pk
    ).update(is_public=public)


@transaction.atomic
def achievement_publish(*, achievement: Achievement, reviewer: User) -> Achievement:
    """A bureau reviewer publishes: it enters the library, its files become public, and the
    freshness clock starts."""
    _require(reviewer, "achievements.review_achievement", achievement)
    now = timezone.now()
    achievement.published_at = achievement.published_at or now
    achievement.confirmed_at = now
    achievement.review_note = ""
    LIFECYCLE.apply(
        achievement,
        Status.PUBLISHED,
        actor=reviewer,
        update_fields=["published_at", "confirmed_at", "review_note"],
    )
    _set_files_public(achievement, True)
    notify(
        users=_owner_recipients(achievement),
        organization=achievement.organization,
        kind="achievement.published",
        title=_("Published: %(title)s") % {"title": achievement.title},
        url=achievement.get_absolute_url(),
    )
    webhook_emit("achievement.published", achievement)
    return achievement


@transaction.atomic
def achievement_reject(*, achievement: Achievement, reviewer: User, reason: str) -> Achievement:
    """A bureau reviewer rejects with a reason the owner sees."""
    _require(reviewer, "achievements.review_achievement", achievement)
    achievement.review_note = (reason or "").strip()
    LIFECYCLE.apply(achievement, Status.REJECTED, actor=reviewer, reason=reason, update_fields=["review_note"])
    notify(
        users=_owner_recipients(achievement),
        organization=achievement.organization,
        kind="achievement.rejected",
        title=_("Not approved: %(title)s") % {"title": achievement.title},
        body=reason,
        url=achievement.get_absolute_url(),
    )
    return achievement


@transaction.atomic
def achievement_withdraw(*, achievement: Achievement, user: User, reason: str = "") -> Achievement:
    """The owner takes the achievement off the market (or out of review)."""
    _require(user, "achievements.withdraw_achievement", achievement)
    was_public = achievement.is_public
    LIFECYCLE.apply(achievement, Status.WITHDRAWN, actor=user, reason=reason)
    _set_files_public(achievement, False)
    if was_public:
        webhook_emit("achievement.withdrawn", achievement)
    return achievement


@transaction.atomic
def achievement_mark_transferred(*, achievement: Achievement, user: User) -> Achievement:
    """The owner records that the achievement has been transferred; it stays visible as such."""
    _require(user, "achievements.withdraw_achievement", achievement)
    LIFECYCLE.apply(achievement, Status.TRANSFERRED, actor=user)
    return achievement


def achievement_record_contract(
    *, achievement: Achievement, actor: User, transferred: bool, licensed: bool, number: str
) -> Achievement:
    """A technology contract on the achievement was registered (called by the registration
    service): an assignment marks a published achievement transferred; a license is counted and
    the achievement stays on the market. The owner is told either way."""
    if transferred and achievement.status == Status.PUBLISHED:
        LIFECYCLE.apply(achievement, Status.TRANSFERRED, actor=actor, reason=number)
    if licensed:
        Achievement.objects.filter(pk=achievement.pk).update(license_count=F("license_count") + 1)
        achievement.refresh_from_db(fields=["license_count"])
    notify(
        users=_owner_recipients(achievement),
        organization=achievement.organization,
        kind="achievement.contract",
        title=_("A contract on “%(title)s” was registered (%(number)s)")
        % {"title": achievement.title, "number": number},
        url=achievement.get_absolute_url(),
    )
    return achievement


@transaction.atomic
def achievement_confirm(*, achievement: Achievement, user: User) -> Achievement:
    """The owner confirms a published listing is still current (resets the freshness clock)."""
    _require(user, "achievements.confirm_achievement", achievement)
    if achievement.status != Status.PUBLISHED:
        raise ValidationError(_("Only published achievements are confirmed."))
    achievement.confirmed_at = timezone.now()
    achievement.save(update_fields=["confirmed_at", "updated_at"])
    return achievement


def achievement_count_view(*, achievement: Achievement) -> None:
    Achievement.objects.filter(pk=achievement.pk).update(view_count=F("view_count") + 1)


@transaction.atomic
def achievement_set_tracked(*, achievement: Achievement, user: User, tracked: bool) -> Achievement:
    """Mark a major achievement for monthly tracking (R&D ledger and problem list)."""
    _require(user, "achievements.track_achievement", achievement)
    achievement.is_tracked = tracked
    achievement.save(update_fields=["is_tracked", "updated_at"])
    return achievement


def _freshness_policy() -> FreshnessPolicy:
    from django.urls import reverse

    return FreshnessPolicy(
        name="achievement",
        live=lambda: Achievement.objects.filter(status=Status.PUBLISHED).select_related("organization", "created_by"),
        workflow=LIFECYCLE,
        retire_to=Status.ARCHIVED,
        reason=_("Not re-confirmed in time; archived automatically."),
        recipients=_owner_recipients,
        confirm_url=lambda achievement: reverse("achievements:workspace-detail", args=[achievement.pk]),
        retire=lambda achievement: _set_files_public(achievement, False),
    )


def freshness_reminders_send(*, now=None) -> int:
    """Remind owners whose published achievements are due for re-confirmation (Celery beat);
    once per achievement and confirmation."""
    return send_freshness_reminders(_freshness_policy(), now=now)


def stale_achievements_archive(*, now=None) -> int:
    """Archive published achievements not re-confirmed within the period plus the grace period."""
    return stale_listings_retire(_freshness_policy(), now=now)


@transaction.atomic
def achievement_attach(*, achievement: Achievement, user: User, uploaded) -> PrivateFile:
    """Attach a PDF or image (checked by content); public only while the achievement is."""
    _require(user, "achievements.change_achievement", achievement)
    stored = private_file_store(
        uploaded=uploaded, uploaded_by=user, organization=achievement.organization, parent=achievement
    )
    if achievement.is_public:
        stored.is_public = True
        stored.save(update_fields=["is_public"])
    return stored


# Inquiries ---------------------------------------------------------------------------------


def _asking_organization(user: User, organization: Organization | None, achievement: Achievement) -> Organization:
    roles = market_rules.membership_roles(user)
    candidates = (
        Organization.objects.verified()
        .filter(pk__in=roles.keys())
        .exclude(pk=achievement.organization_id)
        .exclude(kind__in=achievement_rules.NON_BUYER_KINDS)
    )
    if organization is not None:
        candidates = candidates.filter(pk=organization.pk)
    found = candidates.first()
    if found is None:
        raise ValidationError(_("Only members of verified organizations can send inquiries."))
    return found


@transaction.atomic
def inquiry_create(
    *,
    achievement: Achievement,
    user: User,
    subject: str,
    body: str,
    organization: Organization | None = None,
    attachments=(),
) -> Inquiry:
    """A buyer asks about a published achievement; the owner's administrators are notified.
    From now on the buyer sees the owner's contact details."""
    _require(user, "achievements.inquire_achievement", achievement)
    organization = _asking_organization(user, organization, achievement)
    subject, body = subject.strip(), body.strip()
    if not body:
        raise ValidationError({"body": _("Write your question.")})
    inquiry = Inquiry.objects.create(
        achievement=achievement, organization=organization, user=user, subject=subject or achievement.title[:200]
    )
    message = message_post(thread=inquiry, author=user, organization=organization, body=body, attachments=attachments)
    notify(
        users=_owner_recipients(achievement),
        organization=achievement.organization,
        kind="inquiry.created",
        title=_("%(organization)s asks about %(title)s")
        % {"organization": organization.name, "title": achievement.title},
        body=message.body[:500],
        url=inquiry.get_absolute_url(),
    )
    return inquiry


@transaction.atomic
def inquiry_reply(*, inquiry: Inquiry, user: User, body: str, attachments=()) -> Message:
    """A message from either party; the owner's first answer marks the inquiry answered."""
    _require(user, "achievements.reply_inquiry", inquiry)
    if inquiry.status in (InquiryStatus.DECLINED, InquiryStatus.DEAL_STARTED):
        raise ValidationError(_("This inquiry is closed."))
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write your message.")})
    roles = market_rules.membership_roles(user)
    owner_side = inquiry.achievement.organization_id in roles
    organization = inquiry.achievement.organization if owner_side else inquiry.organization
    message = message_post(thread=inquiry, author=user, organization=organization, body=body, attachments=attachments)
    if owner_side and inquiry.status == InquiryStatus.OPEN:
        INQUIRY_LIFECYCLE.apply(inquiry, InquiryStatus.ANSWERED, actor=user)
    else:
        inquiry.save(update_fields=["updated_at"])
    recipients = [inquiry.user] if owner_side else _owner_recipients(inquiry.achievement)
    notify(
        users=[r for r in recipients if r is not None and r.pk != user.pk],
        kind="inquiry.message",
        title=_("New message about %(title)s") % {"title": inquiry.achievement.title},
        body=body[:500],
        url=inquiry.get_absolute_url(),
    )
    return message


@transaction.atomic
def inquiry_decline(*, inquiry: Inquiry, user: User, reason: str, note: str = "") -> Inquiry:
    """The buyer declines with a structured reason; the institution sees reasons in aggregate."""
    _require(user, "achievements.decline_inquiry", inquiry)
    from achievements.enums import DeclineReason

    if reason not in DeclineReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    inquiry.decline_reason = reason
    inquiry.decline_note = note.strip()
    INQUIRY_LIFECYCLE.apply(
        inquiry, InquiryStatus.DECLINED, actor=user, reason=note, update_fields=["decline_reason", "decline_note"]
    )
    return inquiry


@transaction.atomic
def inquiry_start_deal(*, inquiry: Inquiry, user: User) -> Deal:
    """Either party turns an answered inquiry into a deal (the owner sells, the asking
    organization buys), priced at the asking price until the sides agree; the other side is
    notified."""
    _require(user, "achievements.start_deal_inquiry", inquiry)
    INQUIRY_LIFECYCLE.apply(inquiry, InquiryStatus.DEAL_STARTED, actor=user)
    achievement = inquiry.achievement
    return deal_start(
        user=user,
        origin=DealOrigin.INQUIRY,
        seller=achievement.organization,
        buyer=inquiry.organization,
        kind=kind_for_transfer_modes(achievement.transfer_modes.values_list("mode", flat=True)),
        achievement=achievement,
        amount=achievement.asking_price or None,
        inquiry=inquiry,
    )


# Tracking major achievements ---------------------------------------------------------------


def _require_tracked_owner(achievement: Achievement, user: User) -> None:
    if not market_rules.is_org_member(user, achievement):
        raise PermissionDenied
    if not achievement.is_tracked:
        raise ValidationError(_("Only tracked major achievements keep a ledger and a problem list."))


@transaction.atomic
def ledger_entry_record(
    *, achievement: Achievement, user: User, month: date, progress: str, next_steps: str = ""
) -> LedgerEntry:
    """Record (or correct) the month's progress of a tracked achievement."""
    _require_tracked_owner(achievement, user)
    if not progress.strip():
        raise ValidationError({"progress": _("Describe the progress.")})
    entry, _created = LedgerEntry.objects.update_or_create(
        achievement=achievement,
        month=month.replace(day=1),
        defaults={"progress": progress.strip(), "next_steps": next_steps.strip(), "author": user},
    )
    return entry


@transaction.atomic
def problem_create(*, achievement: Achievement, user: User, obstacle: str, department: str) -> Problem:
    _require_tracked_owner(achievement, user)
    problem = Problem(achievement=achievement, obstacle=obstacle.strip(), department=department.strip())
    problem.full_clean()
    problem.save()
    return problem


@transaction.atomic
def problem_update(*, problem: Problem, user: User, status: str, resolution: str = "") -> Problem:
    """Move a problem along (open → being handled → resolved); resolving needs a resolution."""
    _require(user, "achievements.change_problem", problem)
    if status not in ProblemStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == ProblemStatus.RESOLVED and not resolution.strip():
        raise ValidationError({"resolution": _("Describe how the problem was resolved.")})
    problem.status = status
    problem.resolution = resolution.strip()
    problem.resolved_at = timezone.now() if status == ProblemStatus.RESOLVED else None
    problem.save(update_fields=["status", "resolution", "resolved_at", "updated_at"])
    return problem
