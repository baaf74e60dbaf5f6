"""The broker pieces other apps' pages show: the claim button and who serves a listing."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse

from brokers import rules as broker_rules
from brokers.enums import EngagementStage
from brokers.selectors import serving_engagements

register = template.Library()


@register.simple_tag(takes_context=True)
def claim_state(context, listing) -> dict | None:
    """What the claim button shows an active broker on a demand or an achievement: the broker's
    own engagement, that another broker holds the (exclusive) demand, or the button; None for
    everyone else. Reads `listing.engagements.all()`, so a list prefetches them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not broker_rules.is_active_broker(user):
        return None
    kind = listing._meta.model_name
    if kind == "demand":
        from demands.rules import OPEN_STATUSES as claimable
    else:
        from achievements.rules import PUBLIC_STATUSES as claimable
    profile_id = user.broker_profile.pk
    live = [engagement for engagement in listing.engagements.all() if engagement.stage != EngagementStage.DROPPED]
    own = next((engagement for engagement in live if engagement.broker_id == profile_id), None)
    taken = kind == "demand" and settings.BROKERS["EXCLUSIVE_DEMAND_CLAIMS"] and bool(live) and own is None
    return {
        "url": reverse("brokers:claim", args=[kind, listing.pk]),
        "kind": kind,
        "own": own,
        "taken": taken,
        "open": listing.status in claimable,
    }


@register.inclusion_tag("brokers/includes/serving.html")
def serving_brokers(listing):
    """Who serves a listing (broker, agency, stage), for its owner's workspace page."""
    return {"engagements": serving_engagements(listing)}
