"""Pages of open challenges (揭榜挂帅) and pooled R&D procurement (集采研发): the public list
and detail with the window's countdown, bidding and the bid status for solver organizations,
the public notice with objections, milestone reports of the winner, the issuer's workspace,
and the pools with their funding bar and pledge form. Staff work in the admin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from demands import rules as demand_rules
from demands import selectors
from demands.enums import BidStatus, ChallengeStatus, MilestoneStatus, PoolStatus
from demands.forms_challenges import (
    LIVE_DEMAND_STATUSES,
    BidForm,
    ChallengeForm,
    MilestoneForm,
    MilestoneFormSet,
    MilestoneReportForm,
    ObjectionForm,
    PledgeForm,
    PoolForm,
)
from demands.models import Bid, Challenge, Demand, Milestone
from demands.services import challenges as challenge_services
from demands.services import pools as pool_services
from marketplace import rules as market_rules
from marketplace.enums import OrganizationKind
from marketplace.forms.base import live_validation
from marketplace.permissions import object_or_404
from marketplace.ratelimits import abuse_limit
from marketplace.selectors import active_membership, transitions_for
from marketplace.views.workspace import membership_required

PAGE_SIZE = 20
# The public notice (公示) page exists from the award on.
NOTICE_STATUSES = frozenset(
    {
        ChallengeStatus.AWARDED,
        ChallengeStatus.NOTICE,
        ChallengeStatus.CONTRACTED,
        ChallengeStatus.IN_PROGRESS,
        ChallengeStatus.ACCEPTED,
    }
)
# Names of the services' ValidationError keys on the forms, which take money in 万元.
FORM_FIELD_NAMES = {
    "bounty": "bounty_wan",
    "tranche": "tranche_wan",
    "budget": "budget_wan",
    "threshold": "threshold_wan",
    "amount": "amount_wan",
}


def _add_service_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        exc = ValidationError({FORM_FIELD_NAMES.get(name, name): errors for name, errors in exc.error_dict.items()})
    form.add_service_error(exc)


def _live_validation(request, form) -> HttpResponse | None:
    """The field check of an htmx request; any other htmx field check saves nothing."""
    form.live_validation_url = request.path
    checked = live_validation(request, form)
    if checked is None and request.htmx and request.POST.get("_validate"):
        return HttpResponse(status=204)
    return checked


def _acts_for_enterprise(request) -> bool:
    membership = active_membership(request)
    return membership is not None and membership.organization.kind == OrganizationKind.ENTERPRISE


def _status_filter(request, choices) -> str:
    status = request.GET.get("status", "")
    return status if status in {value for value, _label in choices} else ""


def _history(challenge: Challenge) -> list[dict]:
    """The transition log, oldest first, each entry with its status label."""
    logs = list(transitions_for(challenge)[:50])
    logs.reverse()
    return [{"log": log, "label": challenge_services.LIFECYCLE.label(log.to_status)} for log in logs]


# Public pages ------------------------------------------------------------------------------


@require_GET
def challenge_list(request):
    statuses = [choice for choice in ChallengeStatus.choices if choice[0] not in ChallengeStatus.unpublished()]
    status = _status_filter(request, statuses)
    page = Paginator(selectors.public_challenges(status), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "statuses": statuses,
        "status": status,
        "querystring": f"status={status}" if status else "",
        "can_issue": _acts_for_enterprise(request),
    }
    return render(request, "demands/challenges/list.html", context)


def _challenge_or_404(request, pk: int) -> Challenge:
    return object_or_404(request.user, "demands.view_challenge", selectors.challenge_queryset(), pk=pk)


@require_GET
def challenge_detail(request, pk: int):
    challenge = _challenge_or_404(request, pk)
    milestones = list(challenge.milestones.all())
    now = timezone.now()
    context = {
        "challenge": challenge,
        "milestones": milestones,
        "tranche_total": sum((m.tranche for m in milestones), 0),
        "history": _history(challenge),
        "own_bid": selectors.own_live_bid(request.user, challenge),
        "can_bid": request.user.has_perm("demands.bid_challenge", challenge),
        "is_issuer": market_rules.is_org_member(request.user, challenge),
        "has_notice": challenge.status in NOTICE_STATUSES,
        "opens_soon": challenge.status == ChallengeStatus.PUBLISHED and challenge.opens_at > now,
        "window_open": challenge.window_open,
        "demand_visible": selectors.disclosed_demand(request.user, challenge) is not None,
    }
    return render(request, "demands/challenges/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@abuse_limit("response")
def bid_create(request, pk: int):
    """A solver organization bids while the window is open; the service refuses a bid outside
    the window and a second live bid of the same organization."""
    challenge = _challenge_or_404(request, pk)
    own_bid = selectors.own_live_bid(request.user, challenge)
    if request.method == "GET" and own_bid is not None:
        messages.info(request, _("Your organization has already bid; you can edit the bid until the window closes."))
        return redirect(own_bid)
    if challenge.window_open and not request.user.has_perm("demands.bid_challenge", challenge):
        messages.error(request, _("Only members of verified organizations other than the issuer can bid."))
        return redirect(challenge)
    membership = active_membership(request)
    form = BidForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            bid = challenge_services.bid_submit(
                challenge=challenge,
                user=request.user,
                organization=membership.organization if membership else None,
                **form.service_fields(),
            )
        except ValidationError as exc:
            _add_service_error(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Your bid is submitted. You can edit it until the window closes."))
            return redirect(bid)
    context = {
        "challenge": challenge,
        "form": form,
        "window_open": challenge.window_open,
        "organization": membership.organization if membership else None,
    }
    return render(request, "demands/challenges/bid_form.html", context)


@require_http_methods(["GET", "POST"])
def challenge_notice(request, pk: int):
    """The public notice (公示) of an award: the winners, the notice's end, and an objection
    form for anyone logged in while the notice runs."""
    challenge = _challenge_or_404(request, pk)
    if challenge.status not in NOTICE_STATUSES:
        raise Http404
    form = ObjectionForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            try:
                challenge_services.objection_lodge(
                    challenge=challenge, user=request.user, text=form.cleaned_data["text"]
                )
            except ValidationError as exc:
                # Before or after the notice period: the service says which.
                form.add_service_error(exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(
                    request, _("Your objection is lodged. The bureau reviews it and you see its outcome here.")
                )
                return redirect("demands:challenge-notice", challenge.pk)
    now = timezone.now()
    notice_running = (
        challenge.status == ChallengeStatus.NOTICE
        and challenge.notice_ends_at is not None
        and now < challenge.notice_ends_at
    )
    context = {
        "challenge": challenge,
        "winners": selectors.challenge_winners(challenge),
        "notice_running": notice_running,
        "can_object": notice_running and request.user.has_perm("demands.object_challenge", challenge),
        "form": form,
        "own_objections": selectors.own_objections(request.user, challenge),
    }
    return render(request, "demands/challenges/notice.html", context)


# The bidder's workspace ------------------------------------------------------------------


@login_required
@require_GET
def bid_list(request):
    """Bids of the user's organizations."""
    page = Paginator(selectors.bids_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "demands/challenges/bids.html", {"page": page})


@login_required
@require_GET
def bid_detail(request, pk: int):
    """A bid's status page, for the bidder, the issuer and staff (404 for everyone else). The
    winner reports its milestones here."""
    bid = object_or_404(request.user, "demands.view_bid", selectors.bid_queryset(), pk=pk)
    challenge = bid.challenge
    is_bidder = demand_rules.is_bidder(request.user, bid)
    milestones = list(challenge.milestones.all())
    reporting = is_bidder and bid.status == BidStatus.AWARDED and challenge.status == ChallengeStatus.IN_PROGRESS
    context = {
        "bid": bid,
        "challenge": challenge,
        "files": selectors.attached_files(bid),
        "is_bidder": is_bidder,
        # The rule: the bidder's own submitted bid while the window is open.
        "can_change": request.user.has_perm("demands.change_bid", bid),
        "milestones": [
            {
                "milestone": milestone,
                "form": MilestoneReportForm(prefix=f"m{milestone.pk}", initial={"report": milestone.report})
                if reporting and milestone.status in (MilestoneStatus.PENDING, MilestoneStatus.REJECTED)
                else None,
            }
            for milestone in milestones
        ],
        "show_milestones": bid.status == BidStatus.AWARDED,
    }
    return render(request, "demands/challenges/bid.html", context)


def _bidder_bid(request, pk: int) -> Bid:
    bid = object_or_404(request.user, "demands.view_bid", selectors.bid_queryset(), pk=pk)
    if not demand_rules.is_bidder(request.user, bid):
        raise Http404
    return bid


@login_required
@require_http_methods(["GET", "POST"])
def bid_edit(request, pk: int):
    bid = _bidder_bid(request, pk)
    if not request.user.has_perm("demands.change_bid", bid):
        messages.error(request, _("This bid can no longer be changed."))
        return redirect(bid)
    form = BidForm(request.POST or None, request.FILES or None, bid=bid)
    if request.method == "POST" and form.is_valid():
        try:
            challenge_services.bid_update(bid=bid, user=request.user, **form.service_fields())
        except ValidationError as exc:
            _add_service_error(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Your bid is updated."))
            return redirect(bid)
    context = {
        "challenge": bid.challenge,
        "bid": bid,
        "form": form,
        "window_open": True,
        "organization": bid.organization,
    }
    return render(request, "demands/challenges/bid_form.html", context)


@login_required
@require_POST
def bid_withdraw(request, pk: int):
    bid = _bidder_bid(request, pk)
    try:
        challenge_services.bid_withdraw(bid=bid, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
    else:
        messages.success(request, _("Your bid is withdrawn."))
    return redirect(bid)


@login_required
@require_POST
def milestone_report(request, pk: int):
    """The winner reports a milestone; staff review it in the admin."""
    milestone = get_object_or_404(Milestone.objects.select_related("challenge"), pk=pk)
    bid = Bid.objects.filter(
        challenge=milestone.challenge,
        status=BidStatus.AWARDED,
        organization_id__in=selectors.own_organization_ids(request.user),
    ).first()
    if bid is None:
        raise Http404
    form = MilestoneReportForm(request.POST, prefix=f"m{milestone.pk}")
    if not form.is_valid():
        messages.error(request, _("Write the report before sending it."))
        return redirect(bid)
    try:
        challenge_services.milestone_report(milestone=milestone, user=request.user, report=form.cleaned_data["report"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, _("The report is sent; the bureau reviews it and releases the tranche."))
    return redirect(bid)


# The issuer's workspace ------------------------------------------------------------------


@membership_required
@require_GET
def workspace_challenges(request, membership):
    """The challenges of the acting organization with their live bid counts, and its pools."""
    organization = membership.organization
    statuses = ChallengeStatus.choices
    status = _status_filter(request, statuses)
    queryset = selectors.organization_challenges(organization, status)
    context = {
        "organization": organization,
        "page": Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page")),
        "statuses": statuses,
        "status": status,
        "querystring": f"status={status}" if status else "",
        "pools": selectors.organization_pools(organization)[:20],
        "pledges": selectors.organization_pledges(organization)[:20],
        "is_enterprise": organization.kind == OrganizationKind.ENTERPRISE,
    }
    return render(request, "demands/challenges/workspace_list.html", context)


def _issued(request, pk: int) -> Challenge:
    challenge = _challenge_or_404(request, pk)
    if not market_rules.is_org_member(request.user, challenge):
        raise Http404
    return challenge


def _returned_because(challenge: Challenge, logs) -> str:
    """The bureau's reason when it returned this draft for changes ("" otherwise)."""
    latest = logs[0] if logs else None
    if (
        challenge.status == ChallengeStatus.DRAFT
        and latest is not None
        and (latest.from_status, latest.to_status) == (ChallengeStatus.SUBMITTED, ChallengeStatus.DRAFT)
    ):
        return latest.reason
    return ""


def _workspace_challenge_page(request, challenge: Challenge, milestone_form: MilestoneForm):
    milestones = list(challenge.milestones.all())
    allotted = sum((m.tranche for m in milestones), 0)
    logs = list(transitions_for(challenge)[:30])
    can_submit = challenge.status == ChallengeStatus.DRAFT and request.user.has_perm(
        "demands.submit_challenge", challenge
    )
    context = {
        "challenge": challenge,
        "milestones": milestones,
        "allotted": allotted,
        "remaining": challenge.bounty - allotted,
        "bids": selectors.challenge_bids(challenge),
        "history": [{"log": log, "label": challenge_services.LIFECYCLE.label(log.to_status)} for log in logs],
        "can_change": request.user.has_perm("demands.change_challenge", challenge),
        "can_submit": can_submit,
        "returned_because": _returned_because(challenge, logs),
        "milestone_form": milestone_form,
        "has_notice": challenge.status in NOTICE_STATUSES,
        "released": challenge_services.released_total(challenge),
    }
    return render(request, "demands/challenges/workspace_detail.html", context)


@login_required
@require_GET
def workspace_challenge(request, pk: int):
    challenge = _issued(request, pk)
    return _workspace_challenge_page(request, challenge, MilestoneForm())


@membership_required
@require_http_methods(["GET", "POST"])
def challenge_create(request, membership):
    """A draft challenge on one of the organization's demands, with its milestones; the bureau
    completes and publishes it."""
    organization = membership.organization
    wanted = request.GET.get("demand", "")
    demand = (
        Demand.objects.filter(organization=organization, status__in=LIVE_DEMAND_STATUSES, pk=wanted).first()
        if wanted.isdigit()
        else None
    )
    initial = {"demand": demand, "title": demand.title, "description": demand.problem} if demand else {}
    form = ChallengeForm(request.POST or None, organization=organization, initial=initial)
    checked = _live_validation(request, form)
    if checked is not None:
        return checked
    formset = MilestoneFormSet(request.POST or None, prefix="milestones")
    if request.method == "POST":
        valid = form.is_valid()
        valid = formset.is_valid() and valid
        if valid:
            fields = form.service_fields()
            demand = fields.pop("demand")
            milestones = [milestone_form.service_fields() for milestone_form in formset if milestone_form.cleaned_data]
            try:
                challenge = challenge_services.challenge_create(
                    user=request.user, organization=organization, demand=demand, milestones=milestones, **fields
                )
            except ValidationError as exc:
                _add_service_error(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(
                    request, _("The draft challenge is saved. Submit it to the bureau when it is complete.")
                )
                return redirect("demands:workspace-challenge", challenge.pk)
    context = {"form": form, "formset": formset, "organization": organization}
    return render(request, "demands/challenges/form.html", context)


@login_required
@require_POST
def challenge_milestone_add(request, pk: int):
    """Add a milestone to a draft; its tranche must fit in what remains of the bounty."""
    challenge = _issued(request, pk)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        try:
            challenge_services.milestone_add(challenge=challenge, user=request.user, **form.service_fields())
        except ValidationError as exc:
            _add_service_error(form, exc)
        except PermissionDenied:
            form.add_error(None, _("Milestones are added to a draft only; ask the bureau to change a published one."))
        else:
            messages.success(request, _("Milestone added."))
            return redirect("demands:workspace-challenge", challenge.pk)
    return _workspace_challenge_page(request, challenge, form)


@login_required
@require_POST
def challenge_milestone_remove(request, pk: int, milestone_pk: int):
    """Remove a milestone of a draft."""
    challenge = _issued(request, pk)
    milestone = get_object_or_404(Milestone, pk=milestone_pk, challenge=challenge)
    try:
        challenge_services.milestone_remove(milestone=milestone, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _("Milestones are changed in a draft only; ask the bureau to change this challenge."))
    else:
        messages.success(request, _("Milestone removed."))
    return redirect("demands:workspace-challenge", challenge.pk)


@login_required
@require_http_methods(["GET", "POST"])
def challenge_edit(request, pk: int):
    """Edit a draft challenge (its milestones are changed on the workspace page)."""
    challenge = _issued(request, pk)
    if not request.user.has_perm("demands.change_challenge", challenge):
        messages.error(request, _("Only a draft is edited; ask the bureau to change this challenge."))
        return redirect("demands:workspace-challenge", challenge.pk)
    form = ChallengeForm(request.POST or None, organization=challenge.organization, challenge=challenge)
    checked = _live_validation(request, form)
    if checked is not None:
        return checked
    if request.method == "POST" and form.is_valid():
        try:
            challenge_services.challenge_update(challenge=challenge, user=request.user, **form.service_fields())
        except ValidationError as exc:
            _add_service_error(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("The draft challenge is saved."))
            return redirect("demands:workspace-challenge", challenge.pk)
    context = {"form": form, "challenge": challenge, "organization": challenge.organization}
    return render(request, "demands/challenges/form.html", context)


@login_required
@require_POST
def challenge_submit(request, pk: int):
    """Submit a draft to the bureau, whose reviewers are notified."""
    challenge = _issued(request, pk)
    try:
        challenge_services.challenge_submit(challenge=challenge, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(
            request, _("The challenge is submitted. The bureau reviews it, then publishes it or returns it to you.")
        )
    return redirect("demands:workspace-challenge", challenge.pk)


# Pooled procurement ------------------------------------------------------------------------


@require_GET
def pool_list(request):
    status = _status_filter(request, PoolStatus.choices)
    page = Paginator(selectors.public_pools(status), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "statuses": PoolStatus.choices,
        "status": status,
        "querystring": f"status={status}" if status else "",
        "can_open": _acts_for_enterprise(request),
    }
    return render(request, "demands/pools/list.html", context)


@require_http_methods(["GET", "POST"])
@abuse_limit("response")
def pool_detail(request, pk: int):
    """A pool with its funding bar; members of verified enterprises pledge here while it is open."""
    pool = get_object_or_404(selectors.pool_list_queryset(), pk=pk)
    form = PledgeForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = active_membership(request)
        acting = membership.organization if membership else None
        if form.is_valid():
            try:
                pool_services.pledge_create(
                    pool=pool,
                    user=request.user,
                    organization=acting if acting and acting.kind == OrganizationKind.ENTERPRISE else None,
                    **form.service_fields(),
                )
            except ValidationError as exc:
                _add_service_error(form, exc)
            except PermissionDenied:
                form.add_error(None, _("Your role does not allow this."))
            else:
                messages.success(request, _("Your pledge is recorded. Thank you."))
                return redirect(pool)
    challenge = getattr(pool, "challenge", None)
    active = selectors.active_pledge_summary(pool)
    context = {
        "pool": pool,
        "form": form,
        "can_pledge": request.user.has_perm("demands.pledge_pooledprocurement", pool),
        "pledge_count": active["count"],
        "challenge": challenge if challenge and request.user.has_perm("demands.view_challenge", challenge) else None,
        "has_challenge": challenge is not None,
        "own_pledges": selectors.own_pledges(request.user, pool) if request.user.is_authenticated else [],
        "source_demands": pool.source_demands.filter(status__in=demand_rules.PUBLIC_STATUSES).exclude(
            visibility="anonymous"
        ),
    }
    return render(request, "demands/pools/detail.html", context)


@membership_required
@require_http_methods(["GET", "POST"])
def pool_create(request, membership):
    """An enterprise opens a pool for a need it shares with others."""
    organization = membership.organization
    if organization.kind != OrganizationKind.ENTERPRISE:
        messages.error(request, _("Pools are opened by enterprises."))
        return redirect("demands:pools")
    if not request.user.has_perm("demands.add_pooledprocurement", organization):
        messages.error(request, _("Pools are opened by members of verified enterprises."))
        return redirect("demands:pools")
    form = PoolForm(request.POST or None, organization=organization)
    checked = _live_validation(request, form)
    if checked is not None:
        return checked
    if request.method == "POST" and form.is_valid():
        try:
            pool = pool_services.pool_create(user=request.user, organization=organization, **form.service_fields())
        except ValidationError as exc:
            _add_service_error(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("The pool is open for pledges."))
            return redirect(pool)
    return render(request, "demands/pools/form.html", {"form": form, "organization": organization})
