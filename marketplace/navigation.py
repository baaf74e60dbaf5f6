"""Navigation by role: what each actor of design.md sees in the header and the workspace.

Apps add their entries here when they land, with the roles that see them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketplace import rules as market_rules
from marketplace.enums import MembershipRole, OrganizationKind
from marketplace.selectors import active_membership

VISITOR, MEMBER, ORG_ADMIN, ENTERPRISE, SUPPLY, AGENCY, STAFF, EXPERT = (
    "visitor",
    "member",
    "org_admin",
    "enterprise",
    "supply",
    "agency",
    "staff",
    "expert",
)
BROKER, AGENCY_ADMIN, PILOT, EVENT_ORGANIZER = "broker", "agency_admin", "pilot", "event_organizer"


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    roles: frozenset[str] | None = None  # None: everyone

    def visible_to(self, roles: set[str]) -> bool:
        return self.roles is None or bool(self.roles & roles)


PUBLIC_NAV = (
    NavItem("achievements:list", _("Achievements")),
    NavItem("achievements:featured", _("Featured achievements")),
    NavItem("demands:list", _("Demands")),
    NavItem("demands:challenges", _("Open challenges")),
    NavItem("demands:pools", _("Pooled R&D")),
    NavItem("organizations:list", _("Organizations")),
    NavItem("brokers:list", _("Brokers")),
    NavItem("pilots:list", _("Pilot bases")),
    NavItem("events:list", _("Events")),
    NavItem("search", _("Search")),
)

WORKSPACE_NAV = (
    NavItem("workspace:home", _("Overview"), frozenset({MEMBER})),
    NavItem("workspace:notifications", _("Notifications"), frozenset({MEMBER, VISITOR, STAFF})),
    NavItem("achievements:workspace-list", _("Our achievements"), frozenset({MEMBER})),
    NavItem("achievements:inquiries", _("Inquiries"), frozenset({MEMBER})),
    NavItem("demands:workspace-list", _("Our demands"), frozenset({ENTERPRISE})),
    NavItem("demands:responses", _("Our responses"), frozenset({MEMBER})),
    NavItem("demands:workspace-challenges", _("Our challenges"), frozenset({ENTERPRISE})),
    NavItem("demands:bids", _("Our bids"), frozenset({MEMBER})),
    NavItem("deals:list", _("Deals and contracts"), frozenset({MEMBER})),
    NavItem("pilots:requests", _("Pilot service requests"), frozenset({MEMBER})),
    # Pilot operators, and universities and institutes, which run proof-of-concept centres.
    NavItem("pilots:mine", _("Our pilot bases"), frozenset({PILOT, SUPPLY})),
    NavItem("events:mine", _("My event registrations"), None),
    # Event-organizer staff, and the service and transfer agencies that organize their own events.
    NavItem("events:organized", _("Organized events"), frozenset({EVENT_ORGANIZER, AGENCY})),
    NavItem("matching:triage", _("Broker triage queue"), frozenset({STAFF, BROKER})),
    NavItem("brokers:engagements", _("My engagements"), frozenset({BROKER})),
    NavItem("brokers:agency", _("Broker filings"), frozenset({AGENCY_ADMIN})),
    NavItem("brokers:teams", _("Service teams"), frozenset({BROKER, AGENCY, SUPPLY, STAFF})),
    NavItem("brokers:performance", _("Broker performance"), frozenset({STAFF})),
    NavItem("statistics:dashboard", _("Statistics"), frozenset({STAFF})),
    NavItem("achievements:report", _("Monthly report"), frozenset({SUPPLY})),
    NavItem("workspace:organization", _("Organization details"), frozenset({ORG_ADMIN})),
    NavItem("workspace:verification", _("Verification"), frozenset({MEMBER})),
    NavItem("workspace:members", _("Members"), frozenset({MEMBER})),
    NavItem("workspace:favourites", _("Favourites"), None),
    NavItem("workspace:saved-searches", _("Saved searches"), None),
    NavItem("achievements:subscriptions", _("Digest subscriptions"), None),
    NavItem("evaluation:list", _("My evaluations"), frozenset({EXPERT})),
    NavItem("evaluation:profile", _("Expert profile"), frozenset({EXPERT})),
    NavItem("brokers:profile", _("Broker profile"), None),
    NavItem("profile", _("My account"), None),
)


def user_roles(request) -> set[str]:
    """The navigation roles of the current user (the actors of design.md)."""
    user = request.user
    if not user.is_authenticated:
        return {VISITOR}
    roles: set[str] = set()
    membership = active_membership(request)
    if membership is not None:
        roles.add(MEMBER)
        if membership.role == MembershipRole.ADMIN:
            roles.add(ORG_ADMIN)
        kind = membership.organization.kind
        if kind == OrganizationKind.ENTERPRISE:
            roles.add(ENTERPRISE)
        elif kind in OrganizationKind.supply_kinds():
            roles.add(SUPPLY)
        elif kind == OrganizationKind.PILOT_OPERATOR:
            roles.add(PILOT)
        elif kind in (OrganizationKind.TRANSFER_AGENCY, OrganizationKind.SERVICE_AGENCY):
            roles.add(AGENCY)
            if membership.role == MembershipRole.ADMIN:
                roles.add(AGENCY_ADMIN)  # confirms its brokers' filings
    if market_rules.is_bureau_staff(user):
        roles.add(STAFF)
    if user.is_staff and market_rules.is_event_organizer(user):  # staff groups: no query for others
        roles.add(EVENT_ORGANIZER)
    if market_rules.is_expert(user):
        roles.add(EXPERT)
    from brokers.rules import is_active_broker

    if is_active_broker(user):
        roles.add(BROKER)
    return roles


def build(items, roles: set[str], current_path: str) -> list[dict]:
    """Visible entries with their URLs; the entry whose URL is the longest prefix of the
    current path is the active one (so /workspace/ is not active on /workspace/members/)."""
    entries = [
        {"url": reverse(item.url_name), "label": item.label, "active": False}
        for item in items
        if item.visible_to(roles)
    ]
    matches = [
        e for e in entries if current_path == e["url"] or (e["url"] != "/" and current_path.startswith(e["url"]))
    ]
    if matches:
        max(matches, key=lambda e: len(e["url"]))["active"] = True
    return entries
