"""Every write about brokers: filing with the bureau, level upgrades and engagements (撮合)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from brokers.enums import ActivityKind, EngagementStage, FilingStatus, Level, UpgradeStatus
from brokers.models import BrokerProfile, Engagement, EngagementActivity, LevelUpgrade
from marketplace.enums import OrganizationKind
from marketplace.models import Deal, Organization, User
from marketplace.services.notifications import notify
from marketplace.services.organizations import bureau_reviewers, organization_admins
from marketplace.services.transitions import Workflow

AGENCY_KINDS = (OrganizationKind.TRANSFER_AGENCY, OrganizationKind.SERVICE_AGENCY)

FILING = Workflow(
    choices=FilingStatus,
    transitions={
        FilingStatus.APPLIED: {FilingStatus.CONFIRMED, FilingStatus.REJECTED},
        FilingStatus.CONFIRMED: {FilingStatus.ACTIVE, FilingStatus.REJECTED},
        FilingStatus.REJECTED: {FilingStatus.APPLIED},
        FilingStatus.ACTIVE: {FilingStatus.SUSPENDED},
        FilingStatus.SUSPENDED: {FilingStatus.ACTIVE},
    },
    reason_required=frozenset({FilingStatus.REJECTED, FilingStatus.SUSPENDED}),
)

ENGAGEMENT = Workflow(
    choices=EngagementStage,
    status_field="stage",
    transitions={
        EngagementStage.CLAIMED: {EngagementStage.CONTACTED, EngagementStage.DROPPED},
        EngagementStage.CONTACTED: {EngagementStage.PROPOSAL, EngagementStage.DROPPED},
        EngagementStage.PROPOSAL: {EngagementStage.NEGOTIATING, EngagementStage.DROPPED},
        EngagementStage.NEGOTIATING: {EngagementStage.DEAL, EngagementStage.PROPOSAL, EngagementStage.DROPPED},
        EngagementStage.DEAL: set(),
        EngagementStage.DROPPED: set(),
    },
    reason_required=frozenset({EngagementStage.DROPPED}),
)

PROFILE_FIELDS = (
    "level",
    "certificate_number",
    "certificate_issuer",
    "certificate_issued_on",
    "certificate_expires_on",
    "introduction",
)


def _require(user, permission: str, obj) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied


def _check_agency(agency: Organization) -> None:
    if agency.kind not in AGENCY_KINDS or not agency.is_verified:
        raise ValidationError({"agency": _("Choose a verified technology transfer or service agency.")})


def _check_certificate(issued_on: date | None, expires_on: date | None) -> None:
    if issued_on and issued_on > timezone.localdate():
        raise ValidationError({"certificate_issued_on": _("The certificate cannot be issued in the future.")})
    if issued_on and expires_on and expires_on <= issued_on:
        raise ValidationError({"certificate_expires_on": _("A certificate expires after it was issued.")})


@transaction.atomic
def profile_apply(*, user: User, agency: Organization, specialities=(), regions=(), **fields) -> BrokerProfile:
    """A person files as a broker through their agency (whose administrators confirm next)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if BrokerProfile.objects.filter(user=user).exists():
        raise ValidationError(_("You have filed as a broker already."))
    _check_agency(agency)
    _check_certificate(fields.get("certificate_issued_on"), fields.get("certificate_expires_on"))
    profile = BrokerProfile(user=user, agency=agency, **fields)
    profile.full_clean(exclude=["user", "agency"])
    profile.save()
    profile.specialities.set(specialities)
    profile.regions.set(regions)
    FILING.record_start(profile, actor=user)
    notify(
        users=organization_admins(agency),
        organization=agency,
        kind="broker.applied",
        title=_("%(name)s filed as a broker of your agency: please confirm") % {"name": profile},
        url=reverse("brokers:agency"),
    )
    return profile


@transaction.atomic
def profile_update(*, profile: BrokerProfile, user: User, specialities=None, regions=None, **fields) -> BrokerProfile:
    """The broker keeps the profile current; the level changes only by an approved upgrade."""
    _require(user, "brokers.change_brokerprofile", profile)
    fields.pop("level", None)
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(profile, name, value)
    _check_certificate(profile.certificate_issued_on, profile.certificate_expires_on)
    profile.full_clean(exclude=["user", "agency"])
    profile.save()
    if specialities is not None:
        profile.specialities.set(specialities)
    if regions is not None:
        profile.regions.set(regions)
    return profile


@transaction.atomic
def profile_confirm(*, profile: BrokerProfile, user: User) -> BrokerProfile:
    """The agency confirms the person works for it; the bureau approves next."""
    _require(user, "brokers.confirm_brokerprofile", profile)
    FILING.apply(profile, FilingStatus.CONFIRMED, actor=user)
    notify(
        users=bureau_reviewers(),
        kind="broker.confirmed",
        title=_("Broker filing to approve: %(name)s") % {"name": profile},
        url=reverse("admin:brokers_brokerprofile_change", args=[profile.pk]),
    )
    return profile


@transaction.atomic
def profile_approve(*, profile: BrokerProfile, reviewer: User) -> BrokerProfile:
    _require(reviewer, "brokers.review_brokerprofile", profile)
    profile.approved_at = timezone.now()
    profile.status_note = ""
    FILING.apply(profile, FilingStatus.ACTIVE, actor=reviewer, update_fields=["approved_at", "status_note"])
    notify(users=[profile.user], kind="broker.approved", title=_("Your broker filing is approved"),
           url=profile.get_absolute_url())  # fmt: skip
    return profile


def _set_back(profile: BrokerProfile, user: User, target: str, reason: str, permission: str) -> BrokerProfile:
    _require(user, permission, profile)
    profile.status_note = (reason or "").strip()
    FILING.apply(profile, target, actor=user, reason=reason, update_fields=["status_note"])
    notify(
        users=[profile.user],
        kind=f"broker.{target}",
        title=_("Your broker filing: %(status)s") % {"status": profile.get_status_display()},
        body=reason,
        url=reverse("brokers:profile"),
    )
    return profile


@transaction.atomic
def profile_reject(*, profile: BrokerProfile, user: User, reason: str) -> BrokerProfile:
    """The agency (before confirming) or the bureau refuses the filing, with a reason."""
    permission = (
        "brokers.confirm_brokerprofile" if profile.status == FilingStatus.APPLIED else "brokers.review_brokerprofile"
    )
    return _set_back(profile, user, FilingStatus.REJECTED, reason, permission)


@transaction.atomic
def profile_suspend(*, profile: BrokerProfile, reviewer: User, reason: str) -> BrokerProfile:
    return _set_back(profile, reviewer, FilingStatus.SUSPENDED, reason, "brokers.review_brokerprofile")


@transaction.atomic
def profile_reinstate(*, profile: BrokerProfile, reviewer: User) -> BrokerProfile:
    _require(reviewer, "brokers.review_brokerprofile", profile)
    FILING.apply(profile, FilingStatus.ACTIVE, actor=reviewer)
    return profile


@transaction.atomic
def profile_reapply(*, profile: BrokerProfile, user: User) -> BrokerProfile:
    """After a rejection, the broker (having corrected the profile) applies again."""
    _require(user, "brokers.change_brokerprofile", profile)
    profile.applied_at = timezone.now()
    FILING.apply(profile, FilingStatus.APPLIED, actor=user, update_fields=["applied_at"])
    return profile


# Level upgrades ------------------------------------------------------------------------------


@transaction.atomic
def upgrade_apply(
    *, profile: BrokerProfile, user: User, training_hours: int, deal_count: int, evidence: str
) -> LevelUpgrade:
    """An active broker applies for the next level, with training hours, deals and evidence."""
    _require(user, "brokers.change_brokerprofile", profile)
    if not profile.is_active:
        raise ValidationError(_("Only active brokers apply for a higher level."))
    levels = list(Level.values)
    rank = levels.index(profile.level)
    if rank == len(levels) - 1:
        raise ValidationError(_("You hold the highest level already."))
    if LevelUpgrade.objects.filter(profile=profile, status=UpgradeStatus.PENDING).exists():
        raise ValidationError(_("An upgrade application is already waiting for review."))
    upgrade = LevelUpgrade.objects.create(
        profile=profile,
        from_level=profile.level,
        to_level=levels[rank + 1],
        training_hours=training_hours,
        deal_count=deal_count,
        evidence=evidence.strip(),
    )
    notify(
        users=bureau_reviewers(),
        kind="broker.upgrade",
        title=_("Level upgrade to review: %(name)s") % {"name": profile},
        url=reverse("admin:brokers_levelupgrade_change", args=[upgrade.pk]),
    )
    return upgrade


@transaction.atomic
def upgrade_decide(*, upgrade: LevelUpgrade, reviewer: User, approve: bool, note: str = "") -> LevelUpgrade:
    _require(reviewer, "brokers.review_levelupgrade", upgrade)
    # Lock the row, then read it again: two reviewers cannot both decide it.
    LevelUpgrade.objects.select_for_update().filter(pk=upgrade.pk).get()
    upgrade.refresh_from_db()
    if upgrade.status != UpgradeStatus.PENDING:
        raise ValidationError(_("This application has been decided already."))
    if not approve and not note.strip():
        raise ValidationError({"review_note": _("Please give a reason.")})
    upgrade.status = UpgradeStatus.APPROVED if approve else UpgradeStatus.REJECTED
    upgrade.reviewer = reviewer
    upgrade.review_note = note.strip()
    upgrade.decided_at = timezone.now()
    upgrade.save()
    if approve:
        profile = upgrade.profile
        profile.level = upgrade.to_level
        profile.save(update_fields=["level", "updated_at"])
    notify(
        users=[upgrade.profile.user],
        kind="broker.upgrade_decided",
        title=_("Your level upgrade: %(status)s") % {"status": upgrade.get_status_display()},
        body=upgrade.review_note,
        url=reverse("brokers:profile"),
    )
    return upgrade


# Engagements ---------------------------------------------------------------------------------


def _active_profile(user: User) -> BrokerProfile:
    profile = BrokerProfile.objects.filter(user=user).first() if user.is_authenticated else None
    if profile is None or not profile.is_active:
        raise PermissionDenied(_("Only brokers with an approved filing take on engagements."))
    return profile


def _check_not_own(user: User, listing) -> None:
    """A broker serves other organizations: not a listing of an organization they belong to."""
    from marketplace import rules as market_rules

    if listing.organization_id in market_rules.membership_roles(user):
        raise ValidationError(_("A broker does not take on a listing of their own organization."))


@transaction.atomic
def engagement_claim(*, user: User, demand=None, achievement=None) -> Engagement:
    """A broker claims a demand (from the triage queue or the board) or an achievement.

    A demand has one live engagement at a time unless BROKERS["EXCLUSIVE_DEMAND_CLAIMS"] is off:
    the demand row is locked while the claim is checked, so of two concurrent claims exactly
    one wins. The broker is assigned to the demand (it then sees confidential details)."""
    from achievements.enums import Status as AchievementStatus
    from demands.models import Demand
    from demands.rules import OPEN_STATUSES

    profile = _active_profile(user)
    if (demand is None) == (achievement is None):
        raise ValidationError(_("Claim one demand or one achievement."))
    if demand is not None:
        demand = Demand.objects.select_for_update().get(pk=demand.pk)
        if demand.status not in OPEN_STATUSES:
            raise ValidationError(_("Only demands open on the board are claimed."))
        _check_not_own(user, demand)
        live = Engagement.objects.live().filter(demand=demand)
        if live.filter(broker=profile).exists():
            raise ValidationError(_("You are working on this already."))
        if settings.BROKERS["EXCLUSIVE_DEMAND_CLAIMS"] and live.exists():
            raise ValidationError(_("Another broker has claimed this demand."))
        engagement = Engagement.objects.create(broker=profile, demand=demand)
        demand.assigned_brokers.add(user)
        notify(
            users=organization_admins(demand.organization),
            organization=demand.organization,
            kind="broker.claimed",
            title=_("Broker %(name)s now serves your demand “%(title)s”") % {"name": profile, "title": demand.title},
            url=reverse("brokers:engagement", args=[engagement.pk]),
        )
    else:
        from achievements.models import Achievement

        # Locked like a demand: two claims of one broker (a double click) cannot both pass the check.
        achievement = Achievement.objects.select_for_update().get(pk=achievement.pk)
        if achievement.status != AchievementStatus.PUBLISHED:
            raise ValidationError(_("Only achievements on the market are claimed."))
        _check_not_own(user, achievement)
        if Engagement.objects.live().filter(achievement=achievement, broker=profile).exists():
            raise ValidationError(_("You are working on this already."))
        engagement = Engagement.objects.create(broker=profile, achievement=achievement)
        notify(
            users=organization_admins(achievement.organization),
            organization=achievement.organization,
            kind="broker.claimed",
            title=_("Broker %(name)s now promotes your achievement “%(title)s”")
            % {"name": profile, "title": achievement.title},
            url=reverse("brokers:engagement", args=[engagement.pk]),
        )
    ENGAGEMENT.record_start(engagement, actor=user)
    return engagement


@transaction.atomic
def engagement_record_activity(
    *, engagement: Engagement, user: User, kind: str, occurred_on: date, note: str, proposed_achievements: Sequence = ()
) -> EngagementActivity:
    """The broker logs what was done. Contact moves a claimed engagement to contacted; a proposal
    (listing matched achievements) moves it to proposal."""
    _require(user, "brokers.change_engagement", engagement)
    if engagement.stage in (EngagementStage.DEAL, EngagementStage.DROPPED):
        raise ValidationError(_("This engagement is finished."))
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": _("The date cannot be in the future.")})
    if kind == ActivityKind.PROPOSAL and not proposed_achievements:
        raise ValidationError({"proposed_achievements": _("A proposal names at least one achievement.")})
    activity = EngagementActivity(engagement=engagement, kind=kind, occurred_on=occurred_on, note=note.strip())
    activity.full_clean(exclude=["engagement"])
    activity.save()
    if proposed_achievements:
        activity.proposed_achievements.set(proposed_achievements)
    if engagement.stage == EngagementStage.CLAIMED:
        ENGAGEMENT.apply(engagement, EngagementStage.CONTACTED, actor=user)
    if kind == ActivityKind.PROPOSAL and engagement.stage == EngagementStage.CONTACTED:
        ENGAGEMENT.apply(engagement, EngagementStage.PROPOSAL, actor=user)
    engagement.save(update_fields=["updated_at"])
    return activity


@transaction.atomic
def engagement_advance(*, engagement: Engagement, user: User, stage: str, deal: Deal | None = None) -> Engagement:
    """Move the engagement on: negotiating, or deal (naming the deal it produced)."""
    _require(user, "brokers.change_engagement", engagement)
    if stage == EngagementStage.DROPPED:
        raise ValidationError(_("Drop an engagement with a reason."))
    update_fields = []
    if stage == EngagementStage.DEAL:
        if deal is None:
            raise ValidationError({"deal": _("Name the deal this engagement produced.")})
        about = (engagement.demand_id and deal.demand_id == engagement.demand_id) or (
            engagement.achievement_id and deal.achievement_id == engagement.achievement_id
        )
        if not about:
            raise ValidationError({"deal": _("This deal is not about %(listing)s.") % {"listing": engagement.listing}})
        engagement.deal = deal
        update_fields.append("deal")
        deal.brokers.add(engagement.broker.user)
    ENGAGEMENT.apply(engagement, stage, actor=user, update_fields=update_fields)
    return engagement


@transaction.atomic
def engagement_drop(*, engagement: Engagement, user: User, reason: str) -> Engagement:
    """The broker gives up, with a reason; a demand is free to be claimed again."""
    _require(user, "brokers.change_engagement", engagement)
    engagement.drop_reason = (reason or "").strip()
    ENGAGEMENT.apply(engagement, EngagementStage.DROPPED, actor=user, reason=reason, update_fields=["drop_reason"])
    if engagement.demand_id:
        engagement.demand.assigned_brokers.remove(engagement.broker.user)
    return engagement


# Demand mining (需求挖掘) ----------------------------------------------------------------------


@transaction.atomic
def demand_mine(*, user: User, organization: Organization, **fields):
    """An active broker records a demand on an enterprise's behalf (source "broker"); the
    enterprise confirms it before it is submitted. The broker is assigned to the demand, so it
    sees the draft it wrote (and its confidential details later). Notifies the enterprise's
    administrators (demand_create)."""
    from demands.enums import Source
    from demands.services import demand_create

    _active_profile(user)
    demand = demand_create(user=user, organization=organization, source=Source.BROKER, **fields)
    demand.assigned_brokers.add(user)
    return demand
