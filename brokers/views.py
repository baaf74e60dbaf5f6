"""Broker pages: the public directory and profile pages, the broker's own filing and level
upgrades, the agency's confirmations, claims, and the engagement workspace."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from achievements.models import Achievement
from brokers import selectors, services
from brokers.enums import EngagementStage, FilingStatus, Level, UpgradeStatus
from brokers.forms import ActivityForm, DealChoiceForm, DropForm, ProfileForm, ReasonForm, UpgradeForm
from brokers.models import BrokerProfile, Engagement
from brokers.services_training import training_hours
from demands.models import Demand
from marketplace.permissions import object_or_404
from marketplace.selectors import industry_field_groups, region_children, transitions_for

PAGE_SIZE = 20


def _refusal(exc: Exception) -> str:
    """The Chinese reason of a refused service call, for a message."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("Your role does not allow this.")


def _querystring_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# The public directory ------------------------------------------------------------------------


@require_GET
def directory(request):
    agency = request.GET.get("agency", "")
    region = request.GET.get("region", "")
    filters = selectors.DirectoryFilters(
        # NUL never reaches the database: PostgreSQL refuses it in a query parameter (a 500 otherwise).
        q=request.GET.get("q", "").replace("\x00", "").strip()[:100],
        level=request.GET.get("level", "") if request.GET.get("level") in Level.values else "",
        field=request.GET.get("field", "").replace("\x00", "").strip()[:60],
        region=region if region.isdigit() and len(region) == 6 else "",
        agency=int(agency) if agency.isdigit() else None,
    )
    queryset = selectors.broker_search(selectors.broker_directory(), filters)
    page = Paginator(selectors.senior_first(queryset), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "levels": Level.choices,
        "provinces": region_children(None),
        "field_groups": industry_field_groups(),
        "agencies": selectors.directory_agencies(),
        "querystring": _querystring_without_page(request),
    }
    return render(request, "brokers/list.html", context)


@require_GET
def detail(request, pk: int):
    profile = object_or_404(request.user, "brokers.view_brokerprofile", selectors.broker_list_queryset(), pk=pk)
    context = {"profile": profile, "counts": selectors.broker_counts(profile)}
    return render(request, "brokers/detail.html", context)


# The broker's own filing ---------------------------------------------------------------------


def _own_profile(user) -> BrokerProfile | None:
    return selectors.broker_list_queryset().filter(user=user).first()


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """File as a broker; afterwards see the filing's status (and a refusal's reason), keep the
    profile current, file again after a rejection, and apply for the next level."""
    own = _own_profile(request.user)
    form = ProfileForm(request.POST or None, instance=own)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            with transaction.atomic():
                if own is None:
                    own = services.profile_apply(user=request.user, **fields)
                    done = _("Filed. Your agency has been asked to confirm it.")
                else:
                    services.profile_update(profile=own, user=request.user, **fields)
                    done = _("Your broker profile is saved.")
                    if "reapply" in request.POST and own.status == FilingStatus.REJECTED:
                        services.profile_reapply(profile=own, user=request.user)
                        done = _("Saved and filed again. Your agency has been asked to confirm it.")
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, done)
            return redirect("brokers:profile")
    context = {"profile": own, "form": form}
    if own is not None:
        upgrades = list(selectors.upgrades_of(own))
        hours = training_hours(own)
        context.update(
            upgrades=upgrades,
            can_upgrade=own.is_active
            and own.level != Level.values[-1]
            and not any(u.status == UpgradeStatus.PENDING for u in upgrades),
            next_level=Level(Level.values[min(Level.rank(own.level) + 1, len(Level.values) - 1)]).label,
            upgrade_form=UpgradeForm(initial={"training_hours": hours}),
            training_hours=hours,
            counts=selectors.broker_counts(own),
            enrolments=own.enrolments.select_related("course").order_by("-course__starts_on", "-pk"),
        )
    return render(request, "brokers/profile.html", context)


@login_required
@require_http_methods(["POST"])
def upgrade(request):
    own = _own_profile(request.user)
    if own is None:
        raise Http404
    form = UpgradeForm(request.POST)
    if form.is_valid():
        try:
            services.upgrade_apply(profile=own, user=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(request, _("Your upgrade application has been sent to the bureau."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("brokers:profile")


# The agency's confirmations ------------------------------------------------------------------


def agency_admin_required(view):
    """An administrator of a transfer or service agency (anyone else: 403)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        agency_ids = selectors.agency_ids_administered(request.user)
        if not agency_ids:
            raise PermissionDenied
        return view(request, agency_ids, *args, **kwargs)

    return wrapper


@agency_admin_required
@require_GET
def agency(request, agency_ids):
    context = {
        "filings": selectors.agency_filings(agency_ids),
        "brokers": selectors.agency_brokers(agency_ids),
    }
    return render(request, "brokers/agency.html", context)


def _agency_filing(agency_ids, pk: int) -> BrokerProfile:
    return get_object_or_404(BrokerProfile.objects.select_related("user", "agency"), pk=pk, agency_id__in=agency_ids)


@agency_admin_required
@require_POST
def agency_confirm(request, agency_ids, pk: int):
    filing = _agency_filing(agency_ids, pk)
    try:
        services.profile_confirm(profile=filing, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("Confirmed: %(name)s now waits for the bureau's approval.") % {"name": filing})
    return redirect("brokers:agency")


@agency_admin_required
@require_POST
def agency_reject(request, agency_ids, pk: int):
    filing = _agency_filing(agency_ids, pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.profile_reject(profile=filing, user=request.user, reason=reason)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("The filing of %(name)s is refused; they see your reason.") % {"name": filing})
    return redirect("brokers:agency")


# Claims --------------------------------------------------------------------------------------


def _next_url(request, fallback: str) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        return wanted
    return fallback


@login_required
@require_POST
def claim(request, kind: str, pk: int):
    """An active broker claims a demand or an achievement; a refusal (claimed by another broker,
    closed, not a broker) comes back as a message on the page the claim was made from."""
    if kind not in ("demand", "achievement"):
        raise Http404
    if kind == "demand":
        listing = object_or_404(request.user, "demands.view_demand", Demand.objects.all(), pk=pk)
    else:
        listing = object_or_404(request.user, "achievements.view_achievement", Achievement.objects.all(), pk=pk)
    try:
        engagement = services.engagement_claim(user=request.user, **{kind: listing})
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
        return redirect(_next_url(request, listing.get_absolute_url()))
    messages.success(request, _("Claimed. Record what you do for “%(title)s” here.") % {"title": listing.title})
    return redirect(engagement)


# Engagements ---------------------------------------------------------------------------------


@login_required
@require_GET
def engagements(request):
    """The broker's own engagements, by stage."""
    own = BrokerProfile.objects.filter(user=request.user).first()
    if own is None:
        raise PermissionDenied
    stage = request.GET.get("stage", "")
    stage = stage if stage in EngagementStage.values else ""
    counts = selectors.stage_counts(own)
    context = {
        "profile": own,
        "page": Paginator(selectors.engagements_of(own, stage=stage), PAGE_SIZE).get_page(request.GET.get("page")),
        "stage": stage,
        "stages": [(value, label, counts.get(value, 0)) for value, label in EngagementStage.choices],
        "total": sum(counts.values()),
        "querystring": f"stage={stage}" if stage else "",
    }
    return render(request, "brokers/engagements.html", context)


def _engagement(request, pk: int) -> Engagement:
    return object_or_404(request.user, "brokers.view_engagement", selectors.engagement_queryset(), pk=pk)


def _engagement_page(request, engagement: Engagement, *, activity_form=None, deal_form=None, drop_form=None):
    from demands.selectors import present

    is_broker = request.user.has_perm("brokers.change_engagement", engagement)
    finished = engagement.stage in (EngagementStage.DEAL, EngagementStage.DROPPED)
    search = request.GET.get("q", "").replace("\x00", "").strip()[:50]
    context = {
        "engagement": engagement,
        "listing": engagement.listing,
        "demand_view": present(engagement.demand, request.user) if engagement.demand_id else None,
        "history": [
            {"log": log, "label": services.ENGAGEMENT.label(log.to_status)} for log in transitions_for(engagement)[:50]
        ],
        "activities": selectors.engagement_activities(engagement),
        "is_broker": is_broker,
        "can_work": is_broker and not finished,
        "search": search,
    }
    if context["can_work"]:
        context.update(
            activity_form=activity_form or ActivityForm(engagement=engagement, search=search),
            can_negotiate=engagement.stage == EngagementStage.PROPOSAL,
            deal_form=deal_form or DealChoiceForm(engagement=engagement),
            can_mark_deal=engagement.stage == EngagementStage.NEGOTIATING,
            drop_form=drop_form or DropForm(),
        )
    return render(request, "brokers/engagement.html", context)


@login_required
@require_GET
def engagement(request, pk: int):
    return _engagement_page(request, _engagement(request, pk))


def _broker_engagement(request, pk: int) -> Engagement:
    engagement = _engagement(request, pk)
    if not request.user.has_perm("brokers.change_engagement", engagement):
        raise PermissionDenied
    return engagement


@login_required
@require_POST
def activity(request, pk: int):
    engagement = _broker_engagement(request, pk)
    form = ActivityForm(request.POST, engagement=engagement)
    if form.is_valid():
        try:
            services.engagement_record_activity(engagement=engagement, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The activity is recorded."))
            return redirect(engagement)
    return _engagement_page(request, engagement, activity_form=form)


@login_required
@require_POST
def negotiate(request, pk: int):
    engagement = _broker_engagement(request, pk)
    try:
        services.engagement_advance(engagement=engagement, user=request.user, stage=EngagementStage.NEGOTIATING)
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("The engagement is in negotiation."))
    return redirect(engagement)


@login_required
@require_POST
def mark_deal(request, pk: int):
    engagement = _broker_engagement(request, pk)
    form = DealChoiceForm(request.POST, engagement=engagement)
    if form.is_valid():
        try:
            services.engagement_advance(
                engagement=engagement, user=request.user, stage=EngagementStage.DEAL, deal=form.cleaned_data["deal"]
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Marked as a deal. Well done."))
            return redirect(engagement)
    return _engagement_page(request, engagement, deal_form=form)


@login_required
@require_POST
def drop(request, pk: int):
    engagement = _broker_engagement(request, pk)
    form = DropForm(request.POST)
    if form.is_valid():
        try:
            services.engagement_drop(engagement=engagement, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The engagement is dropped."))
            return redirect(engagement)
    return _engagement_page(request, engagement, drop_form=form)
