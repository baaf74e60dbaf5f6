"""Who may do what with broker profiles and engagements (built from marketplace.rules)."""

from __future__ import annotations

import rules

from brokers.enums import FilingStatus
from marketplace import rules as market_rules


@rules.predicate
def is_active_profile(user, profile) -> bool:
    return profile is not None and profile.status == FilingStatus.ACTIVE


@rules.predicate
def is_profile_owner(user, profile) -> bool:
    return profile is not None and user.is_authenticated and profile.user_id == user.pk


@rules.predicate
def is_agency_admin(user, profile) -> bool:
    """An administrator of the broker's transfer agency (it confirms the filing)."""
    return profile is not None and market_rules.membership_roles(user).get(profile.agency_id) == "admin"


@rules.predicate
def is_upgrade_owner(user, upgrade) -> bool:
    return upgrade is not None and user.is_authenticated and upgrade.profile.user_id == user.pk


@rules.predicate
def is_active_broker(user) -> bool:
    """A user whose broker filing is approved and not suspended."""
    profile = getattr(user, "broker_profile", None) if user.is_authenticated else None
    return profile is not None and profile.status == FilingStatus.ACTIVE


@rules.predicate
def is_engagement_broker(user, engagement) -> bool:
    return engagement is not None and user.is_authenticated and engagement.broker.user_id == user.pk


@rules.predicate
def is_listing_owner_member(user, engagement) -> bool:
    """The enterprise (or institution) whose listing the broker works: it sees who serves it."""
    if engagement is None:
        return False
    listing = engagement.demand or engagement.achievement
    return listing is not None and listing.organization_id in market_rules.membership_roles(user)


@rules.predicate
def is_enrolment_owner(user, enrolment) -> bool:
    return enrolment is not None and user.is_authenticated and enrolment.profile.user_id == user.pk


@rules.predicate
def is_team_member(user, team) -> bool:
    """A broker of the team, or a member of its transfer office or of the institution it serves."""
    if team is None or not user.is_authenticated:
        return False
    roles = market_rules.membership_roles(user)
    if team.office_id in roles or team.institution_id in roles:
        return True
    return team.brokers.filter(user_id=user.pk).exists()


view_profile = is_active_profile | is_profile_owner | is_agency_admin | market_rules.is_bureau_staff
view_engagement = is_engagement_broker | is_listing_owner_member | market_rules.is_bureau_staff


# Entry to the admin console's "brokers" section: bureau staff review filings and upgrades there.
rules.add_perm("brokers", market_rules.is_bureau_staff)
