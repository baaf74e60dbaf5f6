"""Who may do what with pilot bases and service requests (built from marketplace.rules)."""

from __future__ import annotations

import rules

from marketplace import rules as market_rules
from pilots.enums import FilingStatus


@rules.predicate
def is_filed_base(user, base) -> bool:
    return base is not None and base.status == FilingStatus.APPROVED


@rules.predicate
def is_operator_member(user, base) -> bool:
    """A member of the organization that runs the base."""
    return base is not None and base.operator_id in market_rules.membership_roles(user)


@rules.predicate
def is_child_operator(user, child) -> bool:
    """A member of the operator of the base a piece of equipment or a service belongs to."""
    return child is not None and child.base.operator_id in market_rules.membership_roles(user)


@rules.predicate
def is_child_public(user, child) -> bool:
    return child is not None and child.base.status == FilingStatus.APPROVED


@rules.predicate
def is_requester(user, request) -> bool:
    """A member of the organization that asked for the service."""
    return request is not None and request.organization_id in market_rules.membership_roles(user)


@rules.predicate
def is_request_operator(user, request) -> bool:
    """A member of the operator of the base asked."""
    return request is not None and request.base.operator_id in market_rules.membership_roles(user)


view_base = is_filed_base | is_operator_member | market_rules.is_bureau_staff
view_child = is_child_public | is_child_operator | market_rules.is_bureau_staff
is_request_party = is_requester | is_request_operator

# Entry to the admin console's "pilots" section: bureau staff review filings and track subsidies there.
rules.add_perm("pilots", market_rules.is_bureau_staff)
