"""Every write about pilot bases: the base and its equipment and services, filing (备案) with the
bureau and its yearly re-evaluation, service requests from quotation to the outcome report,
equipment bookings that never overlap, and facility subsidies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import search
from marketplace.enums import FilePurpose
from marketplace.models import Organization, PrivateFile, User
from marketplace.rules import membership_roles
from marketplace.services.files import private_file_store
from marketplace.services.notifications import notify
from marketplace.services.organizations import bureau_reviewers, organization_admins
from marketplace.services.transitions import Workflow
from pilots.enums import FilingStatus, RequestStatus, ReviewOutcome
from pilots.models import (
    Booking,
    Equipment,
    FacilitySubsidy,
    FilingReview,
    PilotBase,
    PilotService,
    ServiceRequest,
)

FILING = Workflow(
    choices=FilingStatus,
    transitions={
        FilingStatus.DRAFT: {FilingStatus.APPLIED},
        FilingStatus.APPLIED: {FilingStatus.APPROVED, FilingStatus.REJECTED},
        FilingStatus.REJECTED: {FilingStatus.APPLIED},
        FilingStatus.APPROVED: {FilingStatus.REVOKED},
        FilingStatus.REVOKED: {FilingStatus.APPLIED},
    },
    reason_required=frozenset({FilingStatus.REJECTED, FilingStatus.REVOKED}),
    on_change=search.update_many,  # the index follows the status
)

REQUEST = Workflow(
    choices=RequestStatus,
    transitions={
        RequestStatus.SUBMITTED: {
            RequestStatus.QUOTED,
            RequestStatus.ACCEPTED,
            RequestStatus.DECLINED,
            RequestStatus.WITHDRAWN,
        },
        RequestStatus.QUOTED: {RequestStatus.ACCEPTED, RequestStatus.DECLINED, RequestStatus.WITHDRAWN},
        RequestStatus.ACCEPTED: {RequestStatus.SCHEDULED, RequestStatus.DECLINED, RequestStatus.WITHDRAWN},
        RequestStatus.SCHEDULED: {RequestStatus.IN_PROGRESS, RequestStatus.WITHDRAWN},
        RequestStatus.IN_PROGRESS: {RequestStatus.COMPLETED},
        RequestStatus.COMPLETED: set(),
        RequestStatus.DECLINED: set(),
        RequestStatus.WITHDRAWN: set(),
    },
    reason_required=frozenset({RequestStatus.DECLINED, RequestStatus.WITHDRAWN}),
)

BASE_FIELDS = (
    "name",
    "kind",
    "level",
    "region",
    "address",
    "introduction",
    "processes",
    "scale",
    "trl_min",
    "trl_max",
    "qualifications",
    "contact_name",
    "contact_phone",
    "contact_email",
)
# What the bureau's filing decided: fixed once a base is filed (a change means filing again).
FILED_FIELDS = ("name", "kind", "level")
EQUIPMENT_FIELDS = ("name", "model_number", "parameters", "is_shared", "fee", "fee_unit")
SERVICE_FIELDS = ("name", "description", "price", "price_unit")
# The longest single booking, and how far ahead the calendar can be booked.
MAX_BOOKING = timedelta(days=92)
BOOKING_HORIZON = timedelta(days=730)


def _require(user, permission: str, obj=None) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied


def _check_unknown(fields: dict, allowed: Sequence[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")


def _operators(base: PilotBase):
    return organization_admins(base.operator)


def _requesters(request: ServiceRequest):
    """The person who asked, and the administrators of their organization."""
    users = list(organization_admins(request.organization))
    if request.requested_by is not None and request.requested_by.is_active:
        users.append(request.requested_by)
    return users


# The base, its equipment and services -------------------------------------------------------


def _save_base(base: PilotBase, fields: dict, industry_fields) -> None:
    for name, value in fields.items():
        setattr(base, name, value)
    base.full_clean()  # the operator is set: its unique name is checked too
    base.save()
    if industry_fields is not None:
        if not industry_fields:
            raise ValidationError({"industry_fields": _("Choose at least one industry field.")})
        base.industry_fields.set(industry_fields)


@transaction.atomic
def base_create(*, user: User, operator: Organization, industry_fields=(), **fields) -> PilotBase:
    """A member of the operator describes a base (a draft until it applies for filing)."""
    _check_unknown(fields, BASE_FIELDS)
    if operator.pk not in membership_roles(user):
        raise PermissionDenied
    base = PilotBase(operator=operator)
    _save_base(base, fields, list(industry_fields))
    FILING.record_start(base, actor=user)
    return base


@transaction.atomic
def base_update(*, base: PilotBase, user: User, industry_fields=None, **fields) -> PilotBase:
    """The operator keeps the description current. A filed base keeps its name, kind and level
    (what the bureau filed); everything else is published as it is saved."""
    _require(user, "pilots.change_pilotbase", base)
    _check_unknown(fields, BASE_FIELDS)
    # Only the fields edited are written, onto the row as stored (the bureau may have decided meanwhile).
    base = PilotBase.objects.select_for_update().get(pk=base.pk)
    if base.status in (FilingStatus.APPROVED, FilingStatus.APPLIED):
        for name in FILED_FIELDS:
            fields.pop(name, None)
    _save_base(base, fields, None if industry_fields is None else list(industry_fields))
    search.update(base)
    return base


@transaction.atomic
def base_add_file(*, base: PilotBase, user: User, uploaded, purpose: str) -> PrivateFile:
    """A filing document (read by the operator and the bureau) or a photo (public once filed)."""
    _require(user, "pilots.change_pilotbase", base)
    if purpose not in (FilePurpose.FILING_DOCUMENT, FilePurpose.PHOTO):
        raise ValueError(purpose)
    kinds = ("png", "jpeg", "webp") if purpose == FilePurpose.PHOTO else None
    stored = private_file_store(
        uploaded=uploaded,
        uploaded_by=user,
        organization=base.operator,
        parent=base,
        purpose=purpose,
        **({"allowed_kinds": kinds} if kinds else {}),
    )
    if purpose == FilePurpose.PHOTO and base.is_filed:
        stored.is_public = True
        stored.save(update_fields=["is_public"])
    return stored


@transaction.atomic
def base_remove_file(*, base: PilotBase, user: User, file_id) -> None:
    _require(user, "pilots.change_pilotbase", base)
    files = base_files(base).filter(pk=file_id)
    if base.status == FilingStatus.APPLIED and files.filter(purpose=FilePurpose.FILING_DOCUMENT).exists():
        raise ValidationError(_("The bureau is reading the filing documents: they stay until it decides."))
    for stored in files:
        stored.file.delete(save=False)
        stored.delete()


def base_files(base: PilotBase, purpose: str | None = None):
    from django.contrib.contenttypes.models import ContentType

    files = PrivateFile.objects.filter(parent_type=ContentType.objects.get_for_model(PilotBase), parent_id=base.pk)
    return files.filter(purpose=purpose) if purpose else files


def _publish_photos(base: PilotBase, public: bool) -> None:
    base_files(base, FilePurpose.PHOTO).update(is_public=public)


@transaction.atomic
def equipment_save(*, base: PilotBase, user: User, equipment: Equipment | None = None, **fields) -> Equipment:
    _require(user, "pilots.change_pilotbase", base)
    _check_unknown(fields, EQUIPMENT_FIELDS)
    if equipment is None:
        equipment = Equipment(base=base)
    elif equipment.base_id != base.pk:
        raise PermissionDenied
    for name, value in fields.items():
        setattr(equipment, name, value)
    equipment.full_clean(exclude=["base"])
    equipment.save()
    base.save(update_fields=["updated_at"])
    search.update(base)
    return equipment


@transaction.atomic
def equipment_delete(*, equipment: Equipment, user: User) -> None:
    _require(user, "pilots.change_equipment", equipment)
    if equipment.bookings.filter(is_active=True, ends_at__gt=timezone.now(), request__isnull=False).exists():
        raise ValidationError(_("This equipment has bookings to come: cancel them first."))
    if equipment.bookings.filter(request__status=RequestStatus.COMPLETED).exists():
        raise ValidationError(
            _("Completed work was booked on this equipment and its record is kept: mark it as not shared instead.")
        )
    base = equipment.base
    equipment.delete()
    base.save(update_fields=["updated_at"])
    search.update(base)


@transaction.atomic
def service_save(*, base: PilotBase, user: User, service: PilotService | None = None, **fields) -> PilotService:
    _require(user, "pilots.change_pilotbase", base)
    _check_unknown(fields, SERVICE_FIELDS)
    if service is None:
        service = PilotService(base=base)
    elif service.base_id != base.pk:
        raise PermissionDenied
    for name, value in fields.items():
        setattr(service, name, value)
    service.full_clean(exclude=["base"])
    service.save()
    base.save(update_fields=["updated_at"])
    search.update(base)
    return service


@transaction.atomic
def service_delete(*, service: PilotService, user: User) -> None:
    _require(user, "pilots.change_pilotservice", service)
    base = service.base
    service.delete()
    base.save(update_fields=["updated_at"])
    search.update(base)


# Filing (备案) ---------------------------------------------------------------------------------


@transaction.atomic
def base_apply(*, base: PilotBase, user: User) -> PilotBase:
    """The operator applies for filing: the description, at least one piece of equipment or
    service, and the filing documents go to the bureau's review."""
    _require(user, "pilots.change_pilotbase", base)
    if not base_files(base, FilePurpose.FILING_DOCUMENT).exists():
        raise ValidationError(_("Upload the filing documents (the application form, licences) before applying."))
    if not base.equipment.exists() and not base.services.exists():
        raise ValidationError(_("List at least one piece of equipment or one service before applying."))
    base.applied_at = timezone.now()
    base.status_note = ""
    FILING.apply(base, FilingStatus.APPLIED, actor=user, update_fields=["applied_at", "status_note"])
    notify(
        users=bureau_reviewers(),
        kind="pilots.applied",
        title=_("Pilot base filing to review: %(name)s") % {"name": base.name},
        url=reverse("admin:pilots_pilotbase_change", args=[base.pk]),
    )
    return base


def _next_review(today: date) -> date:
    return (
        today.replace(year=today.year + 1) if not (today.month == 2 and today.day == 29) else date(today.year + 1, 3, 1)
    )


@transaction.atomic
def base_approve(*, base: PilotBase, reviewer: User, level: str | None = None, filing_number: str = "") -> PilotBase:
    """The bureau files the base at the level it confirms; it joins the directory and search."""
    _require(reviewer, "pilots.review_pilotbase", base)
    fields = ["approved_at", "status_note", "next_review_due", "filing_number"]
    if level:
        base.level = level
        fields.append("level")
    base.approved_at = timezone.now()
    base.status_note = ""
    base.next_review_due = _next_review(timezone.localdate())
    base.filing_number = filing_number.strip() or base.filing_number or _filing_number(base)
    base.full_clean(exclude=["operator"])
    FILING.apply(base, FilingStatus.APPROVED, actor=reviewer, update_fields=fields)
    _publish_photos(base, True)
    notify(
        users=_operators(base),
        organization=base.operator,
        kind="pilots.approved",
        title=_("%(name)s is filed as a %(level)s %(kind)s")
        % {"name": base.name, "level": base.get_level_display(), "kind": base.get_kind_display()},
        url=base.get_absolute_url(),
    )
    return base


def _filing_number(base: PilotBase) -> str:
    return f"ZS-{timezone.localdate():%Y}-{base.pk:04d}"


@transaction.atomic
def base_reject(*, base: PilotBase, reviewer: User, reason: str) -> PilotBase:
    _require(reviewer, "pilots.review_pilotbase", base)
    base.status_note = reason.strip()
    FILING.apply(base, FilingStatus.REJECTED, actor=reviewer, reason=reason, update_fields=["status_note"])
    notify(
        users=_operators(base),
        organization=base.operator,
        kind="pilots.rejected",
        title=_("The filing of %(name)s was rejected") % {"name": base.name},
        body=reason,
        url=reverse("pilots:edit", args=[base.pk]),
    )
    return base


@transaction.atomic
def base_revoke(*, base: PilotBase, reviewer: User, reason: str) -> PilotBase:
    """The bureau revokes a filing: the base leaves the directory and search and takes no new
    requests (requests under way go on)."""
    _require(reviewer, "pilots.review_pilotbase", base)
    base.status_note = reason.strip()
    FILING.apply(base, FilingStatus.REVOKED, actor=reviewer, reason=reason, update_fields=["status_note"])
    _publish_photos(base, False)
    notify(
        users=_operators(base),
        organization=base.operator,
        kind="pilots.revoked",
        title=_("The filing of %(name)s was revoked") % {"name": base.name},
        body=reason,
        url=reverse("pilots:edit", args=[base.pk]),
    )
    return base


@transaction.atomic
def base_review(*, base: PilotBase, reviewer: User, year: int, outcome: str, note: str = "") -> FilingReview:
    """The yearly re-evaluation: passed (with or without rectification) sets the next one a year
    on; failed revokes the filing with the note as its reason."""
    _require(reviewer, "pilots.review_pilotbase", base)
    if not base.is_filed:
        raise ValidationError(_("Only a filed base is re-evaluated."))
    if outcome not in ReviewOutcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    if outcome != ReviewOutcome.PASSED and not note.strip():
        raise ValidationError({"note": _("Please give a reason.")})
    review = FilingReview(base=base, year=year, outcome=outcome, note=note.strip(), reviewer=reviewer)
    review.full_clean(exclude=["reviewer"])
    review.save()
    if outcome == ReviewOutcome.FAILED:
        reason = _("Failed the %(year)s re-evaluation: %(note)s") % {"year": year, "note": note.strip()}
        base_revoke(base=base, reviewer=reviewer, reason=reason)
    else:
        base.next_review_due = _next_review(timezone.localdate())
        base.save(update_fields=["next_review_due", "updated_at"])
        notify(
            users=_operators(base),
            organization=base.operator,
            kind="pilots.reviewed",
            title=_("%(name)s passed the %(year)s re-evaluation") % {"name": base.name, "year": year},
            body=note.strip(),
            url=base.get_absolute_url(),
        )
    return review


# Service requests -----------------------------------------------------------------------------

REQUEST_FIELDS = ("title", "process", "quantity", "start_on", "end_on")


def _check_period(start_on: date | None, end_on: date | None, *, new: bool) -> None:
    if start_on and end_on and end_on < start_on:
        raise ValidationError({"end_on": _("The period cannot end before it starts.")})
    if new and start_on and start_on < timezone.localdate():
        raise ValidationError({"start_on": _("The period cannot start in the past.")})


@transaction.atomic
def request_submit(
    *,
    user: User,
    organization: Organization,
    base: PilotBase,
    service: PilotService | None = None,
    achievement=None,
    demand=None,
    **fields,
) -> ServiceRequest:
    """An achievement owner or an enterprise asks a filed base for a service."""
    _check_unknown(fields, REQUEST_FIELDS)
    if organization.pk not in membership_roles(user):
        raise PermissionDenied
    base = PilotBase.objects.select_for_update().get(pk=base.pk)
    if not base.is_filed:
        raise ValidationError({"base": _("This base is not filed with the bureau: it takes no requests.")})
    if base.operator_id == organization.pk:
        raise ValidationError({"base": _("Your organization runs this base.")})
    if service is not None and service.base_id != base.pk:
        raise ValidationError({"service": _("Choose a service of this base.")})
    if achievement is not None and achievement.organization_id != organization.pk:
        raise ValidationError({"achievement": _("Choose an achievement of your organization.")})
    if demand is not None and demand.organization_id != organization.pk:
        raise ValidationError({"demand": _("Choose a demand of your organization.")})
    _check_period(fields.get("start_on"), fields.get("end_on"), new=True)
    request = ServiceRequest(
        base=base,
        service=service,
        organization=organization,
        requested_by=user,
        achievement=achievement,
        demand=demand,
        **fields,
    )
    request.full_clean(exclude=["base", "organization", "requested_by", "service", "achievement", "demand"])
    request.save()
    REQUEST.record_start(request, actor=user)
    notify(
        users=_operators(base),
        organization=base.operator,
        kind="pilots.requested",
        title=_("%(organization)s requests a service: %(title)s")
        % {"organization": organization.name, "title": request.title},
        url=request.get_absolute_url(),
    )
    return request


def _lock(request: ServiceRequest) -> ServiceRequest:
    """Lock the request's row and read its status afresh: a step decides on what is stored, not
    on what the page showed (the other side may have moved it meanwhile)."""
    request.status = ServiceRequest.objects.select_for_update().values_list("status", flat=True).get(pk=request.pk)
    return request


def _amount(value) -> Decimal:
    if value in (None, ""):
        raise ValidationError({"quoted_amount": _("Enter the amount.")})
    amount = Decimal(value)
    if amount < 0:
        raise ValidationError({"quoted_amount": _("The amount cannot be negative.")})
    return amount


@transaction.atomic
def request_quote(*, request: ServiceRequest, user: User, amount, note: str = "") -> ServiceRequest:
    """The operator quotes (or re-quotes); the requester accepts or withdraws."""
    _require(user, "pilots.operate_servicerequest", request)
    _lock(request)
    request.quoted_amount = _amount(amount)
    request.quote_note = note.strip()
    if request.status == RequestStatus.QUOTED:
        request.save(update_fields=["quoted_amount", "quote_note", "updated_at"])
    else:
        REQUEST.apply(request, RequestStatus.QUOTED, actor=user, update_fields=["quoted_amount", "quote_note"])
    notify(
        users=_requesters(request),
        organization=request.organization,
        kind="pilots.quoted",
        title=_("%(base)s quoted %(amount)s 元 for %(title)s")
        % {"base": request.base.name, "amount": request.quoted_amount, "title": request.title},
        body=request.quote_note,
        url=request.get_absolute_url(),
    )
    return request


@transaction.atomic
def request_accept(*, request: ServiceRequest, user: User, amount=None, note: str = "") -> ServiceRequest:
    """The work is agreed: the operator accepts a new request at its price (the service's list
    price unless it quotes one), or the requester accepts the operator's quotation."""
    fields = []
    _lock(request)
    by_operator = request.status != RequestStatus.QUOTED
    if not by_operator:
        _require(user, "pilots.request_servicerequest", request)
    else:
        _require(user, "pilots.operate_servicerequest", request)
        if amount in (None, "") and request.service is not None and request.service.price is not None:
            amount = request.service.price
        request.quoted_amount = _amount(amount)
        request.quote_note = note.strip() or request.quote_note
        fields = ["quoted_amount", "quote_note"]
    REQUEST.apply(request, RequestStatus.ACCEPTED, actor=user, update_fields=fields)
    notify(
        users=_requesters(request) if by_operator else _operators(request.base),
        organization=request.organization if by_operator else request.base.operator,
        kind="pilots.accepted",
        title=_("The service request “%(title)s” is accepted at %(amount)s 元")
        % {"title": request.title, "amount": request.quoted_amount},
        url=request.get_absolute_url(),
    )
    return request


def _release_bookings(request: ServiceRequest) -> None:
    request.bookings.filter(is_active=True).update(is_active=False, updated_at=timezone.now())


@transaction.atomic
def request_decline(*, request: ServiceRequest, user: User, reason: str) -> ServiceRequest:
    _require(user, "pilots.operate_servicerequest", request)
    request.status_note = reason.strip()
    REQUEST.apply(request, RequestStatus.DECLINED, actor=user, reason=reason, update_fields=["status_note"])
    _release_bookings(request)
    notify(
        users=_requesters(request),
        organization=request.organization,
        kind="pilots.declined",
        title=_("%(base)s declined the service request “%(title)s”")
        % {"base": request.base.name, "title": request.title},
        body=reason,
        url=request.get_absolute_url(),
    )
    return request


@transaction.atomic
def request_withdraw(*, request: ServiceRequest, user: User, reason: str) -> ServiceRequest:
    _require(user, "pilots.request_servicerequest", request)
    request.status_note = reason.strip()
    REQUEST.apply(request, RequestStatus.WITHDRAWN, actor=user, reason=reason, update_fields=["status_note"])
    _release_bookings(request)
    notify(
        users=_operators(request.base),
        organization=request.base.operator,
        kind="pilots.withdrawn",
        title=_("%(organization)s withdrew the service request “%(title)s”")
        % {"organization": request.organization.name, "title": request.title},
        body=reason,
        url=request.get_absolute_url(),
    )
    return request


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _check_slot(equipment: Equipment, starts_at: datetime, ends_at: datetime, *, field: str = "ends_at") -> None:
    if ends_at <= starts_at:
        raise ValidationError({field: _("A booking ends after it starts.")})
    if ends_at - starts_at > MAX_BOOKING:
        raise ValidationError({field: _("A single booking lasts at most 92 days; book several.")})
    now = timezone.now()
    if starts_at < now - timedelta(minutes=5):
        raise ValidationError({"starts_at": _("A booking cannot start in the past.")})
    if starts_at > now + BOOKING_HORIZON:
        raise ValidationError({"starts_at": _("The calendar is open for two years ahead.")})


def _book(equipment: Equipment, starts_at: datetime, ends_at: datetime, *, user, request=None, note="") -> Booking:
    """One slot, under a lock of the equipment row: a concurrent booking of the same equipment
    waits here and then sees this one."""
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    _check_slot(equipment, starts_at, ends_at)
    Equipment.objects.select_for_update().filter(pk=equipment.pk).get()
    clash = (
        Booking.objects.filter(equipment=equipment, is_active=True, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        local = timezone.localtime
        raise ValidationError(
            {
                "starts_at": _("%(equipment)s is booked from %(start)s to %(end)s: choose another time.")
                % {
                    "equipment": equipment,
                    "start": f"{local(clash.starts_at):%Y-%m-%d %H:%M}",
                    "end": f"{local(clash.ends_at):%Y-%m-%d %H:%M}",
                }
            },
            code="booking_clash",
        )
    try:
        with transaction.atomic():  # the PostgreSQL exclusion constraint is the last word
            return Booking.objects.create(
                equipment=equipment, request=request, starts_at=starts_at, ends_at=ends_at, note=note, created_by=user
            )
    except IntegrityError as error:
        raise ValidationError(
            {"starts_at": _("%(equipment)s is booked at that time: choose another time.") % {"equipment": equipment}},
            code="booking_clash",
        ) from error


@transaction.atomic
def request_book(
    *, request: ServiceRequest, user: User, slots: Iterable[tuple[Equipment, datetime, datetime]]
) -> list[Booking]:
    """The operator books equipment for an accepted request; the first booking schedules it.
    All slots are booked or none."""
    _require(user, "pilots.operate_servicerequest", request)
    slots = list(slots)
    if not slots:
        raise ValidationError({"equipment": _("Choose the equipment and the time.")})
    _lock(request)  # a withdrawal committing meanwhile leaves no booking behind
    if request.status not in (RequestStatus.ACCEPTED, RequestStatus.SCHEDULED, RequestStatus.IN_PROGRESS):
        raise ValidationError(_("Only an accepted request is scheduled."))
    bookings = []
    for equipment, starts_at, ends_at in sorted(slots, key=lambda slot: slot[0].pk):  # one lock order
        if equipment.base_id != request.base_id or not equipment.is_shared:
            raise ValidationError({"equipment": _("Choose shared equipment of this base.")})
        bookings.append(_book(equipment, starts_at, ends_at, user=user, request=request))
    if request.status == RequestStatus.ACCEPTED:
        REQUEST.apply(request, RequestStatus.SCHEDULED, actor=user)
    first = timezone.localtime(min(booking.starts_at for booking in bookings))
    notify(
        users=_requesters(request),
        organization=request.organization,
        kind="pilots.scheduled",
        title=_("“%(title)s” is scheduled from %(start)s")
        % {"title": request.title, "start": f"{first:%Y-%m-%d %H:%M}"},
        url=request.get_absolute_url(),
    )
    return bookings


@transaction.atomic
def equipment_block(*, equipment: Equipment, user: User, starts_at: datetime, ends_at: datetime, note: str) -> Booking:
    """The operator blocks the calendar (maintenance, own use)."""
    _require(user, "pilots.change_equipment", equipment)
    if not note.strip():
        raise ValidationError({"note": _("Say why the equipment is unavailable.")})
    return _book(equipment, starts_at, ends_at, user=user, note=note.strip())


@transaction.atomic
def booking_cancel(*, booking: Booking, user: User) -> Booking:
    _require(user, "pilots.change_equipment", booking.equipment)
    if booking.request is not None and booking.request.status == RequestStatus.COMPLETED:
        raise ValidationError(_("The bookings of completed work are kept."))
    booking.is_active = False
    booking.save(update_fields=["is_active", "updated_at"])
    return booking


@transaction.atomic
def request_start(*, request: ServiceRequest, user: User) -> ServiceRequest:
    _require(user, "pilots.operate_servicerequest", request)
    REQUEST.apply(request, RequestStatus.IN_PROGRESS, actor=user)
    return request


@transaction.atomic
def request_complete(*, request: ServiceRequest, user: User, report: str) -> ServiceRequest:
    """The operator reports the outcome (results, data, what the process needs next)."""
    _require(user, "pilots.operate_servicerequest", request)
    if len(report.strip()) < 20:
        raise ValidationError({"outcome_report": _("Write the outcome report (at least 20 characters).")})
    request.outcome_report = report.strip()
    request.completed_at = timezone.now()
    REQUEST.apply(request, RequestStatus.COMPLETED, actor=user, update_fields=["outcome_report", "completed_at"])
    notify(
        users=_requesters(request),
        organization=request.organization,
        kind="pilots.completed",
        title=_("“%(title)s” is completed: read the outcome report") % {"title": request.title},
        url=request.get_absolute_url(),
    )
    return request


# Facility subsidies ---------------------------------------------------------------------------


def subsidy_check(subsidy: FacilitySubsidy) -> None:
    """The bureau's cap per facility (settings.PILOTS["SUBSIDY_CAP"], 5,000,000 元 in Dalian)."""
    cap = Decimal(settings.PILOTS["SUBSIDY_CAP"])
    granted = Decimal(0)
    if subsidy.base_id and subsidy.facility:  # earlier grants for the same facility count towards the cap
        earlier = FacilitySubsidy.objects.filter(base_id=subsidy.base_id, facility=subsidy.facility.strip())
        granted = earlier.exclude(pk=subsidy.pk).aggregate(total=Sum("subsidy"))["total"] or Decimal(0)
    if subsidy.subsidy is not None and subsidy.subsidy + granted > cap:
        raise ValidationError(
            {
                "subsidy": _("A facility subsidy is at most %(cap)s 元 in all (granted before: %(granted)s 元).")
                % {"cap": f"{cap:,.0f}", "granted": f"{granted:,.0f}"}
            }
        )
    if subsidy.subsidy is not None and subsidy.investment is not None and subsidy.subsidy > subsidy.investment:
        raise ValidationError({"subsidy": _("The subsidy cannot exceed the investment.")})
