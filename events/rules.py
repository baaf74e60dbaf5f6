"""Who may do what with events (built from marketplace.rules).

Events are published by their organizers without a separate review: bureau staff of the
event-organizer group (any event), or the members of a verified service or transfer agency for the
events it organizes."""

from __future__ import annotations

import rules

from marketplace import rules as market_rules
from marketplace.enums import OrganizationKind, VerificationStatus

ORGANIZING_KINDS = (OrganizationKind.SERVICE_AGENCY, OrganizationKind.TRANSFER_AGENCY)


def organizing_organization_ids(user) -> list[int]:
    """The verified agencies among the user's organizations: they may organize events (cached
    on the user object for the request, like the memberships)."""
    from marketplace.models import Organization

    cached = getattr(user, "_organizing_ids", None)
    if cached is not None:
        return cached
    ids = list(market_rules.membership_roles(user))
    found = (
        list(
            Organization.objects.filter(
                pk__in=ids, kind__in=ORGANIZING_KINDS, verification_status=VerificationStatus.VERIFIED
            ).values_list("pk", flat=True)
        )
        if ids
        else []
    )
    if getattr(user, "is_authenticated", False):
        user._organizing_ids = found
    return found


@rules.predicate
def can_organize(user) -> bool:
    return market_rules.is_event_organizer(user) or bool(organizing_organization_ids(user))


@rules.predicate
def is_event_organizer(user, event) -> bool:
    """Event-organizer staff, or a member of the event's organizer while it is a verified agency
    (an enterprise named organizer by staff, or an agency that lost its verification, does not
    manage the event: the staff do)."""
    if event is None:
        return False
    if event.organizer_id not in market_rules.membership_roles(user):
        return market_rules.is_event_organizer(user)
    return event.organizer_id in organizing_organization_ids(user) or market_rules.is_event_organizer(user)


@rules.predicate
def is_public_event(user, event) -> bool:
    return event is not None and event.is_public


@rules.predicate
def can_register(user, event) -> bool:
    return event is not None and getattr(user, "is_authenticated", False) and market_rules.has_any_membership(user)


@rules.predicate
def is_registrant(user, registration) -> bool:
    return registration is not None and getattr(user, "pk", None) == registration.user_id


@rules.predicate
def is_registration_organizer(user, registration) -> bool:
    return registration is not None and is_event_organizer(user, registration.event)


@rules.predicate
def is_presenter(user, presentation) -> bool:
    return presentation is not None and presentation.organization_id in market_rules.membership_roles(user)


@rules.predicate
def is_presentation_organizer(user, presentation) -> bool:
    return presentation is not None and is_event_organizer(user, presentation.event)


@rules.predicate
def is_meeting_party(user, meeting) -> bool:
    pk = getattr(user, "pk", None)
    return meeting is not None and pk is not None and pk in (meeting.requester.user_id, meeting.invitee.user_id)


@rules.predicate
def is_meeting_organizer(user, meeting) -> bool:
    return meeting is not None and is_event_organizer(user, meeting.event)


@rules.predicate
def is_intent_party(user, intent) -> bool:
    roles = market_rules.membership_roles(user)
    return intent is not None and (intent.seller_id in roles or intent.buyer_id in roles)


@rules.predicate
def is_intent_organizer(user, intent) -> bool:
    return intent is not None and is_event_organizer(user, intent.event)


view_event = is_public_event | is_event_organizer | market_rules.is_bureau_staff

# Entry to the admin console's "events" section.
rules.add_perm("events", market_rules.is_bureau_staff)
