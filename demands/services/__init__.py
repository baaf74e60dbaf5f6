"""Every write of the demand board: demands, their lifecycle and visibility, responses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from demands import rules as demand_rules
from demands.enums import ResponseDeclineReason, ResponseStatus, Source, Status
from demands.models import Demand, DemandCooperationMode, DemandResponse
from marketplace import rules as market_rules
from marketplace.enums import DealOrigin
from marketplace.models import Deal, Message, Organization, PrivateFile, User
from marketplace.services.conversations import message_post
from marketplace.services.deals import deal_start, kind_for_cooperation_modes
from marketplace.services.files import private_file_store
from marketplace.services.freshness import FreshnessPolicy, freshness_reminders_send, stale_listings_retire
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
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.PUBLISHED, Status.REJECTED, Status.CLOSED},
        Status.REJECTED: {Status.SUBMITTED, Status.CLOSED},
        # A material edit sends a published demand back to review.
        Status.PUBLISHED: {Status.SUBMITTED, Status.NEGOTIATING, Status.SOLVED, Status.CLOSED, Status.EXPIRED},
        Status.NEGOTIATING: {Status.PUBLISHED, Status.SOLVED, Status.CLOSED, Status.EXPIRED},
        # An expired demand comes back only through review, with a new deadline.
        Status.EXPIRED: {Status.SUBMITTED},
        Status.SOLVED: set(),
        Status.CLOSED: set(),
    },
    reason_required=frozenset({Status.REJECTED}),
    on_change=listings_changed,
)

RESPONSE_LIFECYCLE = Workflow(
    choices=ResponseStatus,
    transitions={
        ResponseStatus.SUBMITTED: {
            ResponseStatus.SHORTLISTED,
            ResponseStatus.DECLINED,
            ResponseStatus.DEAL_STARTED,
            ResponseStatus.WITHDRAWN,
        },
        ResponseStatus.SHORTLISTED: {ResponseStatus.DECLINED, ResponseStatus.DEAL_STARTED, ResponseStatus.WITHDRAWN},
        ResponseStatus.DECLINED: set(),
        ResponseStatus.DEAL_STARTED: set(),
        ResponseStatus.WITHDRAWN: set(),
    },
)

SUBMITTABLE = frozenset({Status.DRAFT, Status.REJECTED, Status.EXPIRED})
MATERIAL_FIELDS = frozenset(
    {"title", "summary", "problem", "desired_outcome", "technical_indicators", "demand_type", "min_trl",
     "budget_min", "budget_max", "budget_negotiable", "visibility"}
)  # fmt: skip
EDITABLE_FIELDS = MATERIAL_FIELDS | {"keywords", "deadline", "region", "contact_name", "contact_phone", "contact_email"}


def _require(user, permission: str, obj) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied


def _owner_recipients(demand: Demand) -> list[User]:
    recipients = list(organization_admins(demand.organization))
    if demand.created_by and demand.created_by.is_active and demand.source == Source.ENTERPRISE:
        recipients.append(demand.created_by)
    return recipients


def _validate(demand: Demand) -> None:
    errors = {}
    if demand.budget_min is None and demand.budget_max is None and not demand.budget_negotiable:
        errors["budget_max"] = [_("Give a budget range or mark the budget as negotiable.")]
    if demand.budget_min is not None and demand.budget_max is not None and demand.budget_min > demand.budget_max:
        errors["budget_min"] = [_("The lower budget is above the upper budget.")]
    if demand.deadline and demand.deadline < timezone.localdate():
        errors["deadline"] = [_("The deadline is in the past.")]
    if errors:
        raise ValidationError(errors)
    demand.full_clean(exclude=["organization", "created_by", "recorded_by", "region"])


def _set_children(
    demand: Demand, *, cooperation_modes=None, industry_fields=None, invited_organizations=None, new=False
):
    if cooperation_modes is not None:
        if not new:
            demand.cooperation_modes.all().delete()
        DemandCooperationMode.objects.bulk_create(
            [DemandCooperationMode(demand=demand, mode=mode) for mode in dict.fromkeys(cooperation_modes)]
        )
    if industry_fields is not None:
        demand.industry_fields.set(industry_fields)
    if invited_organizations is not None:
        demand.invited_organizations.set([o for o in invited_organizations if o.pk != demand.organization_id])


@transaction.atomic
def demand_create(
    *,
    user: User,
    organization: Organization,
    cooperation_modes: Sequence[str] = (),
    industry_fields=(),
    invited_organizations=(),
    source: str = Source.ENTERPRISE,
    external_ref: str = "",
    **fields,
) -> Demand:
    """A draft demand of `organization`. Its members post; bureau staff (and, later, brokers)
    record demands for an enterprise, which then has to confirm them before submission."""
    recording = source in Source.recorded()
    if recording:
        _require(user, "demands.record_demand", None)
    elif source == Source.ENTERPRISE and not market_rules.is_org_member(user, organization):
        raise PermissionDenied
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    fields["keywords"] = clean_keywords(fields.get("keywords", []))
    fields.setdefault("region", organization.region)
    demand = Demand(
        organization=organization,
        created_by=user,
        recorded_by=user if recording else None,
        source=source,
        external_ref=external_ref or "",
        **fields,
    )
    _validate(demand)
    demand.save()
    _set_children(
        demand,
        cooperation_modes=cooperation_modes,
        industry_fields=industry_fields,
        invited_organizations=invited_organizations,
        new=True,
    )
    if recording:
        notify(
            users=organization_admins(organization),
            organization=organization,
            kind="demand.recorded",
            title=_("A demand was recorded for you: %(title)s") % {"title": demand.title},
            body=_("Please check it and confirm it before it is submitted for publication."),
            url=reverse("demands:workspace-detail", args=[demand.pk]),
        )
    return demand


@transaction.atomic
def demand_update(
    *, demand: Demand, user: User, cooperation_modes=None, industry_fields=None, invited_organizations=None, **fields
) -> Demand:
    """Change a demand; a material change to a published one sends it back to review."""
    _require(user, "demands.change_demand", demand)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "keywords" in fields:
        fields["keywords"] = clean_keywords(fields["keywords"])
    changed = {name for name, value in fields.items() if getattr(demand, name) != value}
    for name, value in fields.items():
        setattr(demand, name, value)
    _validate(demand)
    demand.save()
    _set_children(
        demand,
        cooperation_modes=cooperation_modes,
        industry_fields=industry_fields,
        invited_organizations=invited_organizations,
    )
    material = changed & MATERIAL_FIELDS
    if demand.status in (Status.PUBLISHED,) and material:
        demand.submitted_at = timezone.now()
        LIFECYCLE.apply(
            demand,
            Status.SUBMITTED,
            actor=user,
            reason=_("Material change: %(fields)s") % {"fields": ", ".join(sorted(material))},
            update_fields=["submitted_at"],
        )
        _notify_reviewers(demand)
    listing_saved(demand)
    return demand


@transaction.atomic
def demand_delete(*, demand: Demand, user: User) -> None:
    _require(user, "demands.delete_demand", demand)
    if demand.status != Status.DRAFT:
        raise ValidationError(_("Only drafts can be deleted; close the demand instead."))
    tombstone_record(demand, collection="demands", was_public=False)
    demand.delete()


def _notify_reviewers(demand: Demand) -> None:
    notify(
        users=bureau_reviewers(),
        kind="demand.submitted",
        title=_("Demand to review: %(title)s") % {"title": demand.title},
        url=reverse("admin:demands_demand_change", args=[demand.pk]),
    )


@transaction.atomic
def demand_confirm_recorded(*, demand: Demand, user: User) -> Demand:
    """The enterprise confirms a demand recorded on its behalf (it is then submitted)."""
    if not market_rules.is_org_admin(user, demand.organization):
        raise PermissionDenied
    if demand.source not in Source.recorded() or demand.enterprise_confirmed_at is not None:
        raise ValidationError(_("This demand does not wait for your confirmation."))
    demand.enterprise_confirmed_at = timezone.now()
    demand.save(update_fields=["enterprise_confirmed_at", "updated_at"])
    return demand_submit(demand=demand, user=user)


@transaction.atomic
def demand_submit(*, demand: Demand, user: User) -> Demand:
    """Submit for publication (verified enterprises; recorded demands once confirmed)."""
    is_recorder = demand.recorded_by_id is not None and demand.recorded_by_id == user.pk
    if not (market_rules.is_org_member(user, demand.organization) or is_recorder):
        raise PermissionDenied
    if demand.status not in SUBMITTABLE:
        raise ValidationError(
            _("Only drafts, rejected or expired demands are submitted; this one is “%(status)s”.")
            % {"status": demand.get_status_display()}
        )
    if demand.needs_enterprise_confirmation:
        raise ValidationError(_("The enterprise has to confirm this recorded demand first."))
    if not demand.organization.is_verified:
        raise ValidationError(_("Only verified organizations can submit demands for publication."))
    _validate(demand)
    if not demand.industry_fields.exists():
        raise ValidationError({"industry_fields": _("Choose at least one industry field before submitting.")})
    demand.submitted_at = timezone.now()
    LIFECYCLE.apply(demand, Status.SUBMITTED, actor=user, update_fields=["submitted_at"])
    _notify_reviewers(demand)
    return demand


@transaction.atomic
def demand_publish(*, demand: Demand, reviewer: User) -> Demand:
    """A bureau reviewer publishes the demand on the board; the freshness clock starts."""
    _require(reviewer, "demands.review_demand", demand)
    now = timezone.now()
    demand.published_at = demand.published_at or now
    demand.confirmed_at = now
    demand.review_note = ""
    LIFECYCLE.apply(
        demand, Status.PUBLISHED, actor=reviewer, update_fields=["published_at", "confirmed_at", "review_note"]
    )
    notify(
        users=_owner_recipients(demand),
        organization=demand.organization,
        kind="demand.published",
        title=_("Your demand is published: %(title)s") % {"title": demand.title},
        url=reverse("demands:workspace-detail", args=[demand.pk]),
    )
    webhook_emit("demand.published", demand)
    return demand


@transaction.atomic
def demand_reject(*, demand: Demand, reviewer: User, reason: str) -> Demand:
    _require(reviewer, "demands.review_demand", demand)
    demand.review_note = (reason or "").strip()
    LIFECYCLE.apply(demand, Status.REJECTED, actor=reviewer, reason=reason, update_fields=["review_note"])
    notify(
        users=_owner_recipients(demand),
        organization=demand.organization,
        kind="demand.rejected",
        title=_("Your demand was not approved: %(title)s") % {"title": demand.title},
        body=reason,
        url=reverse("demands:workspace-detail", args=[demand.pk]),
    )
    return demand


def _finish(demand: Demand, user: User, target: str, note: str) -> Demand:
    _require(user, "demands.manage_demand", demand)
    return _close(demand, user, target, note)


def _close(demand: Demand, actor: User, target: str, note: str) -> Demand:
    demand.close_note = (note or "").strip()
    LIFECYCLE.apply(demand, target, actor=actor, reason=note, update_fields=["close_note"])
    live = demand.responses.filter(status__in=ResponseStatus.live())
    responders = {r.created_by for r in live.select_related("created_by") if r.created_by}
    if responders:
        notify(
            users=responders,
            kind="demand.finished",
            title=_("The demand “%(title)s” is %(status)s")
            % {"title": demand.title, "status": demand.get_status_display()},
            body=note,
        )
    return demand


@transaction.atomic
def demand_mark_solved(*, demand: Demand, user: User, note: str = "") -> Demand:
    """The enterprise found its solution."""
    return _finish(demand, user, Status.SOLVED, note)


def demand_record_contract(*, demand: Demand, actor: User, number: str) -> Demand:
    """A technology contract on the demand was registered (called by the registration
    service): an open demand is solved, its live responders and its owner are told."""
    if demand.status in (Status.PUBLISHED, Status.NEGOTIATING):
        _close(demand, actor, Status.SOLVED, _("Technology contract registered: %(number)s") % {"number": number})
    notify(
        users=_owner_recipients(demand),
        organization=demand.organization,
        kind="demand.contract",
        title=_("A contract on “%(title)s” was registered (%(number)s)") % {"title": demand.title, "number": number},
        url=demand.get_absolute_url(),
    )
    return demand


@transaction.atomic
def demand_close(*, demand: Demand, user: User, note: str = "") -> Demand:
    """The enterprise takes the demand off the board without a solution."""
    was_public = demand.is_public
    _finish(demand, user, Status.CLOSED, note)
    if was_public:
        webhook_emit("demand.withdrawn", demand)
    return demand


@transaction.atomic
def demand_reopen(*, demand: Demand, user: User) -> Demand:
    """Back from negotiation to open for responses."""
    _require(user, "demands.manage_demand", demand)
    LIFECYCLE.apply(demand, Status.PUBLISHED, actor=user)
    return demand


@transaction.atomic
def demand_confirm(*, demand: Demand, user: User) -> Demand:
    """The enterprise confirms a published demand is still current."""
    _require(user, "demands.manage_demand", demand)
    if demand.status not in demand_rules.OPEN_STATUSES:
        raise ValidationError(_("Only open demands are confirmed."))
    demand.confirmed_at = timezone.now()
    demand.save(update_fields=["confirmed_at", "updated_at"])
    return demand


def demand_count_view(*, demand: Demand) -> None:
    Demand.objects.filter(pk=demand.pk).update(view_count=F("view_count") + 1)


@transaction.atomic
def demand_attach(*, demand: Demand, user: User, uploaded) -> PrivateFile:
    """Attach a document; readable by whoever may see the demand's details."""
    _require(user, "demands.manage_demand", demand)
    return private_file_store(uploaded=uploaded, uploaded_by=user, organization=demand.organization, parent=demand)


def demands_expire(*, today: date | None = None) -> int:
    """Expire open demands whose deadline has passed (Celery beat, daily)."""
    today = today or timezone.localdate()
    expired = 0
    for demand in Demand.objects.filter(status__in=demand_rules.OPEN_STATUSES, deadline__lt=today).iterator(
        chunk_size=500
    ):
        with transaction.atomic():
            LIFECYCLE.apply(demand, Status.EXPIRED, reason=_("The deadline has passed."))
        expired += 1
    return expired


def _freshness_policy() -> FreshnessPolicy:
    return FreshnessPolicy(
        name="demand",
        live=lambda: Demand.objects.filter(status=Status.PUBLISHED).select_related("organization", "created_by"),
        workflow=LIFECYCLE,
        retire_to=Status.CLOSED,
        reason=_("Not re-confirmed in time; closed automatically."),
        recipients=_owner_recipients,
        confirm_url=lambda demand: reverse("demands:workspace-detail", args=[demand.pk]),
    )


def demand_freshness_reminders_send(*, now=None) -> int:
    return freshness_reminders_send(_freshness_policy(), now=now)


def stale_demands_close(*, now=None) -> int:
    return stale_listings_retire(_freshness_policy(), now=now)


# Responses ---------------------------------------------------------------------------------


def _responding_organization(user: User, organization: Organization | None, demand: Demand) -> Organization:
    roles = market_rules.membership_roles(user)
    candidates = (
        Organization.objects.verified()
        .filter(pk__in=roles.keys())
        .exclude(pk=demand.organization_id)
        .exclude(kind__in=("bureau", "partner_system"))
    )
    if organization is not None:
        candidates = candidates.filter(pk=organization.pk)
    found = list(candidates[:2])
    if not found:
        raise ValidationError(_("Only members of verified organizations can respond to demands."))
    if len(found) > 1:
        raise ValidationError(
            {"organization": [_("You belong to several organizations that may respond: choose the one that responds.")]}
        )
    return found[0]


@transaction.atomic
def response_create(
    *,
    demand: Demand,
    user: User,
    approach: str,
    team: str = "",
    price_idea=None,
    achievements=(),
    attachments=(),
    organization: Organization | None = None,
) -> DemandResponse:
    """A verified organization responds to an open demand (one live response each)."""
    if not demand.is_open:
        raise ValidationError(_("This demand is not open for responses."))
    _require(user, "demands.respond_demand", demand)
    organization = _responding_organization(user, organization, demand)
    if DemandResponse.objects.filter(
        demand=demand, organization=organization, status__in=ResponseStatus.live()
    ).exists():
        raise ValidationError(_("Your organization already has a live response to this demand."))
    response = DemandResponse(
        demand=demand,
        organization=organization,
        created_by=user,
        approach=approach.strip(),
        team=team.strip(),
        price_idea=price_idea,
    )
    response.full_clean(exclude=["demand", "organization", "created_by"])
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as exc:  # a concurrent second response of the same organization
        raise ValidationError(_("Your organization already has a live response to this demand.")) from exc
    linked = [a for a in achievements if a.organization_id == organization.pk]
    response.achievements.set(linked)
    for uploaded in attachments:
        private_file_store(uploaded=uploaded, uploaded_by=user, organization=organization, parent=response)
    notify(
        users=_owner_recipients(demand),
        organization=demand.organization,
        kind="demand.response",
        title=_("New response to your demand: %(title)s") % {"title": demand.title},
        body=_("From %(organization)s") % {"organization": organization.name},
        url=response.get_absolute_url(),
    )
    return response


def _notify_responder(response: DemandResponse, title: str, body: str = "") -> None:
    # The enterprise is never named: the demand may be anonymous.
    notify(
        users=[response.created_by] if response.created_by else [],
        organization=response.organization,
        kind="demand.response_status",
        title=title,
        body=body,
        url=response.get_absolute_url(),
    )


@transaction.atomic
def response_shortlist(*, response: DemandResponse, user: User) -> DemandResponse:
    _require(user, "demands.decide_demandresponse", response)
    RESPONSE_LIFECYCLE.apply(response, ResponseStatus.SHORTLISTED, actor=user)
    _notify_responder(response, _("Your response to “%(title)s” is shortlisted") % {"title": response.demand.title})
    return response


@transaction.atomic
def response_decline(*, response: DemandResponse, user: User, reason: str, note: str = "") -> DemandResponse:
    """The enterprise declines with a structured reason the responder sees."""
    _require(user, "demands.decide_demandresponse", response)
    if reason not in ResponseDeclineReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    response.decline_reason = reason
    response.decline_note = note.strip()
    RESPONSE_LIFECYCLE.apply(
        response, ResponseStatus.DECLINED, actor=user, reason=note, update_fields=["decline_reason", "decline_note"]
    )
    _notify_responder(
        response,
        _("Your response to “%(title)s” was declined") % {"title": response.demand.title},
        f"{response.get_decline_reason_display()}{'：' + response.decline_note if response.decline_note else ''}",
    )
    return response


@transaction.atomic
def response_start_deal(*, response: DemandResponse, user: User) -> Deal:
    """The enterprise starts a deal with this responder (who sells; the enterprise buys), priced
    at the responder's price idea until they agree; the demand is negotiating."""
    _require(user, "demands.decide_demandresponse", response)
    RESPONSE_LIFECYCLE.apply(response, ResponseStatus.DEAL_STARTED, actor=user)
    demand = response.demand
    if demand.status == Status.PUBLISHED:
        LIFECYCLE.apply(demand, Status.NEGOTIATING, actor=user)
    linked = list(response.achievements.all()[:2])
    deal = deal_start(
        user=user,
        origin=DealOrigin.RESPONSE,
        seller=response.organization,
        buyer=demand.organization,
        kind=kind_for_cooperation_modes(demand.cooperation_modes.values_list("mode", flat=True)),
        demand=demand,
        # The achievement is part of the deal only when the response offered exactly one.
        achievement=linked[0] if len(linked) == 1 else None,
        amount=response.price_idea or None,
        title=demand.title,
        response=response,
    )
    _notify_responder(response, _("The enterprise wants to negotiate a deal on “%(title)s”") % {"title": demand.title})
    return deal


@transaction.atomic
def response_withdraw(*, response: DemandResponse, user: User) -> DemandResponse:
    _require(user, "demands.withdraw_demandresponse", response)
    RESPONSE_LIFECYCLE.apply(response, ResponseStatus.WITHDRAWN, actor=user)
    return response


@transaction.atomic
def response_message(*, response: DemandResponse, user: User, body: str, attachments=()) -> Message:
    """A question or answer between the enterprise and the responder."""
    _require(user, "demands.message_demandresponse", response)
    if response.status not in ResponseStatus.live():
        raise ValidationError(_("This response is closed."))
    roles = market_rules.membership_roles(user)
    owner_side = response.demand.organization_id in roles
    organization = response.demand.organization if owner_side else response.organization
    message = message_post(thread=response, author=user, organization=organization, body=body, attachments=attachments)
    response.save(update_fields=["updated_at"])
    if owner_side:
        _notify_responder(
            response, _("A question about your response to “%(title)s”") % {"title": response.demand.title}, body[:500]
        )
    else:
        notify(
            users=_owner_recipients(response.demand),
            organization=response.demand.organization,
            kind="demand.response_message",
            title=_("%(organization)s wrote about “%(title)s”")
            % {"organization": response.organization.name, "title": response.demand.title},
            body=body[:500],
            url=response.get_absolute_url(),
        )
    return message
