"""Who may do what with achievements and inquiries (built from marketplace.rules)."""

from __future__ import annotations

import rules

from achievements.enums import Status
from marketplace import rules as market_rules

PUBLIC_STATUSES = {Status.PUBLISHED, Status.TRANSFERRED}
# The bureau and partner systems run the market; they do not ask about achievements as buyers.
NON_BUYER_KINDS = ("bureau", "partner_system")


@rules.predicate
def is_public_achievement(user, achievement) -> bool:
    return achievement is not None and achievement.status in PUBLIC_STATUSES


@rules.predicate
def is_editable_status(user, achievement) -> bool:
    return achievement is not None and achievement.status in {
        Status.DRAFT,
        Status.REJECTED,
        Status.PUBLISHED,
        Status.WITHDRAWN,
    }


@rules.predicate
def is_inquiry_party(user, inquiry) -> bool:
    """The asking user's organization or the achievement owner's organization."""
    if inquiry is None:
        return False
    roles = market_rules.membership_roles(user)
    return inquiry.organization_id in roles or inquiry.achievement.organization_id in roles


@rules.predicate
def is_inquiry_asker(user, inquiry) -> bool:
    return inquiry is not None and inquiry.organization_id in market_rules.membership_roles(user)


@rules.predicate
def is_inquiry_owner_side(user, inquiry) -> bool:
    return inquiry is not None and inquiry.achievement.organization_id in market_rules.membership_roles(user)


@rules.predicate
def is_achievement_owner_member(user, obj) -> bool:
    """For records hanging off an achievement (ledger entries, problems)."""
    achievement = getattr(obj, "achievement", None)
    return achievement is not None and achievement.organization_id in market_rules.membership_roles(user)


@rules.predicate
def can_inquire(user, achievement) -> bool:
    """A member of a verified organization other than the owner, about a published achievement."""
    if achievement is None or achievement.status != Status.PUBLISHED or not user.is_authenticated:
        return False
    from marketplace.models import Organization

    roles = market_rules.membership_roles(user)
    if achievement.organization_id in roles:
        return False
    return Organization.objects.verified().filter(pk__in=roles.keys()).exclude(kind__in=NON_BUYER_KINDS).exists()


owner_member = market_rules.is_org_member
view_achievement = is_public_achievement | owner_member | market_rules.is_bureau_staff | market_rules.is_writing_partner
change_achievement = owner_member & is_editable_status
# The institution's tech-transfer office: its administrators approve before the bureau sees it.
approve_internally = market_rules.is_org_admin


@rules.predicate
def is_published_issue(user, issue) -> bool:
    return issue is not None and issue.status == "published"


@rules.predicate
def is_draft_issue(user, issue) -> bool:
    return issue is None or issue.status == "draft"


@rules.predicate
def is_subscription_owner(user, subscription) -> bool:
    """The subscription is the user's: linked to the account, or of the account's own address."""
    if subscription is None or not getattr(user, "is_authenticated", False):
        return False
    own_address = (user.email or "").strip().lower()
    return subscription.user_id == user.pk or (bool(own_address) and subscription.email == own_address)
