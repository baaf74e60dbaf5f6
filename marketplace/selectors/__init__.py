"""Reads of the shared core that more than one view, API or task needs, already joined."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet

from marketplace.enums import JoinRequestStatus
from marketplace.models import IndustryField, JoinRequest, Membership, Notification, Organization, Region, TransitionLog


def transitions_for(obj) -> QuerySet[TransitionLog]:
    """The transition log of one object, newest first, with the actors joined."""
    return (
        TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def organization_list(*, visible_to=None) -> QuerySet[Organization]:
    """Organizations with region and fields joined; verified ones only, unless staff asks."""
    queryset = Organization.objects.select_related("region").prefetch_related(
        Prefetch("industry_fields", queryset=IndustryField.objects.select_related("parent"))
    )
    from marketplace.rules import is_bureau_staff

    if visible_to is None or not is_bureau_staff(visible_to):
        queryset = queryset.verified()
    return queryset


def organization_search(
    *, queryset: QuerySet[Organization], q: str = "", kind: str = "", region: str = "", field: str = ""
):
    """Filter an organization queryset by name or credit code, kind, region and field."""
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(uscc=q.upper()))
    if kind:
        queryset = queryset.filter(kind=kind)
    if region:
        queryset = queryset.filter(region__code__startswith=region_prefix(region))
    if field:
        queryset = queryset.filter(Q(industry_fields__code=field) | Q(industry_fields__parent__code=field)).distinct()
    return queryset


def region_prefix(code: str) -> str:
    """The code prefix shared by a division and everything inside it (37 for 370000)."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def memberships_of(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")


ACTIVE_ORGANIZATION_SESSION_KEY = "active_organization_id"


def active_membership(request) -> Membership | None:
    """The membership the signed-in user is acting through (chosen in the workspace switcher,
    else the first by name). Cached on the request.
    """
    if not hasattr(request, "_active_membership"):
        membership = None
        if request.user.is_authenticated:
            memberships = list(memberships_of(request.user))
            wanted = request.session.get(ACTIVE_ORGANIZATION_SESSION_KEY)
            membership = next((m for m in memberships if m.organization_id == wanted), None)
            membership = membership or (memberships[0] if memberships else None)
            request._memberships = memberships
        request._active_membership = membership
    return request._active_membership


def organization_members(organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("-role", "user__name")


def pending_join_requests(organization: Organization) -> QuerySet[JoinRequest]:
    return JoinRequest.objects.filter(organization=organization, status=JoinRequestStatus.PENDING).select_related(
        "user"
    )


def join_requests_of(user) -> QuerySet[JoinRequest]:
    return JoinRequest.objects.filter(user=user).select_related("organization", "decided_by")


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("organization")


def unread_notification_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def region_children(parent_code: str | None) -> QuerySet[Region]:
    return Region.objects.filter(parent_id=parent_code).only("code", "name", "level", "parent_id")


def industry_field_groups() -> list[tuple[IndustryField, list[IndustryField]]]:
    """Active top-level fields with their active children, in two queries."""
    roots = list(
        IndustryField.objects.filter(parent__isnull=True, is_active=True).prefetch_related(
            Prefetch("children", queryset=IndustryField.objects.filter(is_active=True), to_attr="active_children")
        )
    )
    return [(root, root.active_children) for root in roots]
