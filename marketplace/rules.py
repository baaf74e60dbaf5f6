"""Who may do what: the actors of design.md as django-rules predicates.

Every app builds its permissions from these, and views, the API and the admin all ask the
same permission names (`user.has_perm("marketplace.review_organization", org)`).
Predicates receive the user and, for object permissions, the object; they must accept
`None` as the object, which is how the admin asks model-level questions.
"""

from __future__ import annotations

import rules

from marketplace.enums import MembershipRole, StaffGroup, VerificationStatus

always_allow = rules.always_allow
always_deny = rules.always_deny


def membership_roles(user) -> dict[int, str]:
    """{organization_id: role} for the user, loaded once and cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(user, "_membership_roles", None)
    if cached is None:
        cached = dict(user.memberships.values_list("organization_id", "role"))
        user._membership_roles = cached
    return cached


def partner_id_of(user) -> int | None:
    """The partner-system organization behind a partner token (marketplace.api.oauth.PartnerUser),
    None for people and visitors."""
    return getattr(user, "partner_id", None)


@rules.predicate
def is_writing_partner(user, obj) -> bool:
    """The caller is the partner system that wrote this record (by-ref upsert)."""
    partner_id = partner_id_of(user)
    return partner_id is not None and getattr(obj, "partner_id", None) == partner_id


def forget_membership_roles(user) -> None:
    """Drop the cached memberships after they change (services call this)."""
    if hasattr(user, "_membership_roles"):
        del user._membership_roles


def _organization_id(obj) -> int | None:
    """The organization an object belongs to: itself, or its `organization` field."""
    if obj is None:
        return None
    from marketplace.models import Organization

    if isinstance(obj, Organization):
        return obj.pk
    return getattr(obj, "organization_id", None)


# Staff groups. Superusers count as bureau administrators; administrators hold every staff role.
@rules.predicate
def is_superuser(user) -> bool:
    return bool(getattr(user, "is_superuser", False))


is_bureau_administrator = is_superuser | rules.is_group_member(StaffGroup.ADMINISTRATOR)
is_bureau_reviewer = rules.is_group_member(StaffGroup.REVIEWER) | is_bureau_administrator
is_bureau_registrar = rules.is_group_member(StaffGroup.REGISTRAR) | is_bureau_administrator
is_bureau_statistician = rules.is_group_member(StaffGroup.STATISTICIAN) | is_bureau_administrator
is_event_organizer = rules.is_group_member(StaffGroup.EVENT_ORGANIZER) | is_bureau_administrator


@rules.predicate
def is_bureau_staff(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(user.is_staff) and any(rules.is_group_member(group)(user) for group in StaffGroup.values)


# Organization roles, for an object that is an organization or carries `organization_id`.
@rules.predicate
def is_org_member(user, obj) -> bool:
    organization_id = _organization_id(obj)
    return organization_id is not None and organization_id in membership_roles(user)


@rules.predicate
def is_org_admin(user, obj) -> bool:
    organization_id = _organization_id(obj)
    return organization_id is not None and membership_roles(user).get(organization_id) == MembershipRole.ADMIN


@rules.predicate
def is_verified_organization(user, obj) -> bool:
    if obj is None:
        return False
    from marketplace.models import Organization

    organization = obj if isinstance(obj, Organization) else getattr(obj, "organization", None)
    return organization is not None and organization.verification_status == VerificationStatus.VERIFIED


@rules.predicate
def is_self(user, obj) -> bool:
    return obj is not None and getattr(user, "pk", None) is not None and obj.pk == user.pk


@rules.predicate
def has_any_membership(user) -> bool:
    return bool(membership_roles(user))


# A member of a verified organization may submit records for publication (every app).
can_submit_for_publication = is_org_member & is_verified_organization

rules.add_perm("marketplace.submit_for_publication", can_submit_for_publication)
# Entry to the admin console's "marketplace" section.
rules.add_perm("marketplace", is_bureau_staff)
# Bureau administrators manage the staff groups in the admin.
rules.add_perm("auth", is_bureau_administrator)
for _action in ("view", "add", "change", "delete"):
    rules.add_perm(f"auth.{_action}_group", is_bureau_administrator)


@rules.predicate
def is_own_record(user, obj) -> bool:
    """The object's `user` is the asking user (a join request, a notification…)."""
    return obj is not None and getattr(user, "pk", None) is not None and getattr(obj, "user_id", None) == user.pk


@rules.predicate
def is_file_readable(user, private_file) -> bool:
    """Who may download a private file (see PrivateFile's docstring)."""
    if private_file is None:
        return False
    if private_file.is_public or is_bureau_staff(user):
        return True
    if private_file.organization_id is not None and private_file.organization_id in membership_roles(user):
        return True
    parent = private_file.parent if private_file.parent_id is not None else None
    permission = getattr(parent, "file_permission", None)
    return bool(parent is not None and permission and user.has_perm(permission, parent))


rules.add_perm("marketplace.view_privatefile", is_file_readable)


@rules.predicate
def is_assigned_expert(user, assignment) -> bool:
    """The expert drawn for this assignment, while it is theirs: not declined, and the expert
    still in the pool."""
    return (
        assignment is not None
        and getattr(user, "pk", None) is not None
        and assignment.expert.user_id == user.pk
        and assignment.status != "declined"
        and assignment.expert.is_active
    )


@rules.predicate
def is_expert(user) -> bool:
    profile = getattr(user, "expert_profile", None) if getattr(user, "is_authenticated", False) else None
    return profile is not None and profile.is_active


# Deals and contract registrations -----------------------------------------------------------


@rules.predicate
def is_deal_party(user, deal) -> bool:
    """A member of the deal's seller or buyer."""
    roles = membership_roles(user)
    return deal is not None and (deal.seller_id in roles or deal.buyer_id in roles)


@rules.predicate
def is_deal_broker(user, deal) -> bool:
    """A broker named on the deal."""
    if deal is None or getattr(user, "pk", None) is None:
        return False
    cached = getattr(deal, "_broker_ids", None)
    if cached is None:
        cached = set(deal.brokers.values_list("pk", flat=True))
        deal._broker_ids = cached
    return user.pk in cached


@rules.predicate
def is_registration_party(user, registration) -> bool:
    """A member of the applicant or of an organization named as a party of the contract."""
    if registration is None:
        return False
    roles = membership_roles(user)
    if registration.organization_id in roles:
        return True
    if registration.deal_id is not None and is_deal_party(user, registration.deal):
        return True
    return any(party.organization_id in roles for party in registration.parties.all() if party.organization_id)


@rules.predicate
def is_registration_editable(user, registration) -> bool:
    from marketplace.enums import RegistrationStatus

    return registration is not None and registration.status in (RegistrationStatus.DRAFT, RegistrationStatus.RETURNED)
