"""Who may see and do what on the demand board.

Visibility (design.md, issue 5): a public demand is public; an anonymous one hides the
enterprise from everyone but its members, bureau staff and assigned brokers; a confidential
one shows the public only its title, fields and summary, the details going to its members,
staff, assigned brokers and the organizations it invites.
"""

from __future__ import annotations

import rules

from demands.enums import BidStatus, ChallengeStatus, ResponseStatus, Status, Visibility
from marketplace import rules as market_rules
from marketplace.enums import OrganizationKind

PUBLIC_STATUSES = {Status.PUBLISHED, Status.NEGOTIATING, Status.SOLVED}
OPEN_STATUSES = {Status.PUBLISHED, Status.NEGOTIATING}


def _roles(user) -> dict[int, str]:
    return market_rules.membership_roles(user)


@rules.predicate
def is_public_demand(user, demand) -> bool:
    return demand is not None and demand.status in PUBLIC_STATUSES


@rules.predicate
def is_assigned_broker(user, demand) -> bool:
    if demand is None or not getattr(user, "is_authenticated", False):
        return False
    # .all() reads the prefetched brokers on list pages instead of querying per row.
    return any(broker.pk == user.pk for broker in demand.assigned_brokers.all())


@rules.predicate
def is_invited(user, demand) -> bool:
    if demand is None or not getattr(user, "is_authenticated", False):
        return False
    roles = _roles(user)
    return any(organization.pk in roles for organization in demand.invited_organizations.all())


owner_member = market_rules.is_org_member
insider = owner_member | market_rules.is_bureau_staff | is_assigned_broker | market_rules.is_writing_partner


@rules.predicate
def sees_enterprise(user, demand) -> bool:
    """Whether the enterprise behind the demand may be shown to this user."""
    if demand is None:
        return False
    if demand.visibility != Visibility.ANONYMOUS:
        return True
    return insider(user, demand)


@rules.predicate
def sees_details(user, demand) -> bool:
    """Whether the problem, indicators, budget and attachments may be shown to this user."""
    if demand is None:
        return False
    if demand.visibility != Visibility.CONFIDENTIAL:
        return True
    return insider(user, demand) or is_invited(user, demand)


@rules.predicate
def can_respond(user, demand) -> bool:
    """A member of a verified organization other than the enterprise, on an open demand whose
    details it may see."""
    if demand is None or demand.status not in OPEN_STATUSES or not getattr(user, "is_authenticated", False):
        return False
    roles = _roles(user)
    if demand.organization_id in roles:
        return False
    from marketplace.models import Organization

    if (
        not Organization.objects.verified()
        .filter(pk__in=roles.keys())
        .exclude(kind__in=("bureau", "partner_system"))
        .exists()
    ):
        return False
    return sees_details(user, demand)


@rules.predicate
def is_editable_status(user, demand) -> bool:
    return demand is not None and demand.status in {Status.DRAFT, Status.REJECTED, Status.PUBLISHED, Status.NEGOTIATING}


@rules.predicate
def is_response_party(user, response) -> bool:
    if response is None:
        return False
    roles = _roles(user)
    return response.organization_id in roles or response.demand.organization_id in roles


@rules.predicate
def is_responder(user, response) -> bool:
    return response is not None and response.organization_id in _roles(user)


@rules.predicate
def is_response_demand_owner(user, response) -> bool:
    return response is not None and response.demand.organization_id in _roles(user)


@rules.predicate
def is_live_response(user, response) -> bool:
    return response is not None and response.status in ResponseStatus.live()


view_demand = is_public_demand | insider


# Challenges, bids and pools ------------------------------------------------------------------


@rules.predicate
def is_draft_challenge(user, challenge) -> bool:
    return challenge is not None and challenge.status == ChallengeStatus.DRAFT


@rules.predicate
def is_public_challenge(user, challenge) -> bool:
    """Past the bureau's review: a draft or a submitted challenge is not public yet."""
    return challenge is not None and challenge.status not in ChallengeStatus.unpublished()


view_challenge = is_public_challenge | market_rules.is_org_member | market_rules.is_bureau_staff


@rules.predicate
def can_bid(user, challenge) -> bool:
    """A member of a verified organization other than the issuer, while the window is open."""
    if challenge is None or not challenge.window_open or not getattr(user, "is_authenticated", False):
        return False
    roles = _roles(user)
    if challenge.organization_id in roles:
        return False
    from marketplace.models import Organization

    return (
        Organization.objects.verified()
        .filter(pk__in=roles.keys())
        .exclude(kind__in=("bureau", "partner_system"))
        .exists()
    )


@rules.predicate
def is_logged_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


# Anyone logged in who may see the challenge; the service refuses an objection outside the
# public notice with the reason (it has not started, or it has ended).
can_object = is_logged_in & view_challenge


@rules.predicate
def is_bidder(user, bid) -> bool:
    return bid is not None and bid.organization_id in _roles(user)


@rules.predicate
def is_challenge_issuer(user, bid) -> bool:
    return bid is not None and bid.challenge.organization_id in _roles(user)


@rules.predicate
def is_submitted_bid(user, bid) -> bool:
    """Neither withdrawn nor decided yet (shortlisted, awarded, not selected)."""
    return bid is not None and bid.status == BidStatus.SUBMITTED


@rules.predicate
def bid_window_open(user, bid) -> bool:
    return bid is not None and bid.challenge.window_open


@rules.predicate
def is_verified_enterprise_member(user, organization) -> bool:
    """A member of `organization`, a verified enterprise: who opens a pool for it."""
    return bool(
        organization is not None
        and organization.kind == OrganizationKind.ENTERPRISE
        and market_rules.is_verified_organization(user, organization)
        and market_rules.is_org_member(user, organization)
    )


@rules.predicate
def can_pledge(user, pool) -> bool:
    """A member of a verified enterprise, while the pool collects pledges."""
    if pool is None or pool.status != "open" or not getattr(user, "is_authenticated", False):
        return False
    from django.utils import timezone

    from marketplace.models import Organization

    if pool.deadline <= timezone.now():
        return False
    return Organization.objects.verified().filter(pk__in=_roles(user).keys(), kind="enterprise").exists()
