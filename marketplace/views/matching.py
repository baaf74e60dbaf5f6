"""Matches in the workspace: a demand's achievements, an achievement's demands, feedback on each,
the live preview while a demand is typed, and the broker triage queue."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from achievements.models import Achievement
from demands import rules as demand_rules
from demands.models import Demand
from marketplace import matching
from marketplace import rules as market_rules
from marketplace.forms.matching import MatchPreviewForm
from marketplace.models import Match
from marketplace.permissions import object_or_404
from marketplace.selectors import active_membership
from marketplace.selectors.matching import MatchRow, achievement_matches, demand_matches, found_achievements
from marketplace.services.matching import feedback_counts, feedback_record, match_side_of

PREVIEW_SIZE = 5
PREVIEW_MIN_CHARACTERS = 4


@login_required
def demand_page(request, pk: int):
    """The achievements matched to one of the user's demands (or one assigned to them)."""
    demand = object_or_404(request.user, "demands.see_matches_demand", Demand.objects.visible_to(request.user), pk=pk)
    return render(
        request,
        "matching/demand.html",
        {
            "demand": demand,
            "rows": demand_matches(demand, request.user),
            "counts": feedback_counts(demand_id=demand.pk),
            "can_judge": market_rules.is_org_member(request.user, demand)
            or demand_rules.is_assigned_broker(request.user, demand),
        },
    )


@login_required
def achievement_page(request, pk: int):
    """The demands matched to one of the user's organization's achievements."""
    achievement = object_or_404(
        request.user, "achievements.see_matches_achievement", Achievement.objects.visible_to(request.user), pk=pk
    )
    return render(
        request,
        "matching/achievement.html",
        {
            "achievement": achievement,
            "rows": achievement_matches(achievement, request.user),
            "counts": feedback_counts(achievement_id=achievement.pk),
            "can_judge": market_rules.is_org_member(request.user, achievement),
        },
    )


@login_required
@require_POST
def feedback(request, pk: int):
    """Mark a match useful, not useful or contacted (htmx swaps the buttons; else back to the list)."""
    match = get_object_or_404(Match.objects.select_related("demand", "achievement"), pk=pk)
    side = match_side_of(request.user, match)
    if side is None:
        raise Http404
    try:
        feedback_record(match=match, user=request.user, verdict=request.POST.get("verdict", ""))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    if request.htmx:
        row = MatchRow(match=match, listing=None, reasons=[], terms=[], verdict=request.POST["verdict"])
        return render(request, "matching/_feedback.html", {"row": row})
    return redirect(
        "matching:demand" if side == "demand" else "matching:achievement",
        match.demand_id if side == "demand" else match.achievement_id,
    )


@login_required
@require_POST
def preview(request):
    """The live preview of the demand form: the best achievements for what has been typed so far."""
    form = MatchPreviewForm(request.POST)
    text = form.text()
    membership = active_membership(request)
    context = {
        "rows": [],
        "too_short": len("".join(text.split())) < PREVIEW_MIN_CHARACTERS,
    }
    if not context["too_short"]:
        found = matching.match_text(
            text,
            limit=PREVIEW_SIZE,
            organization_id=membership.organization_id if membership else None,
            **form.profile_arguments(),
        )
        context["rows"] = found_achievements(found)
    return render(request, "matching/_preview.html", context)


@login_required
def triage(request):
    """Published demands no achievement fits well: the queue brokers take demands from (bureau
    staff and active brokers, who claim them here; an anonymous demand's enterprise stays hidden
    from a broker until the broker is assigned)."""
    from brokers.rules import is_active_broker
    from demands.selectors import present_many

    is_staff = market_rules.is_bureau_staff(request.user)
    if not (is_staff or is_active_broker(request.user)):
        raise Http404
    demands = (
        Demand.objects.filter(triage_since__isnull=False)
        .select_related("organization")
        .prefetch_related("industry_fields", "assigned_brokers", "invited_organizations", "engagements")
        .order_by("triage_since", "pk")
    )
    page = Paginator(demands, 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": present_many(page, request.user),
        "is_staff": is_staff,
        "good": settings.MATCHING["GOOD_SCORE"],
    }
    return render(request, "matching/triage.html", context)
