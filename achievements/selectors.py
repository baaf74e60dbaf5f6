"""Reads of the achievement library, already joined for lists and pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from achievements.enums import InquiryStatus, ProblemStatus, Status
from achievements.models import Achievement, Completer, Inquiry, IPRight, Problem
from marketplace import rules as market_rules
from marketplace import search
from marketplace.models import IndustryField, Message, PrivateFile, TransitionLog
from marketplace.selectors import region_prefix

SORTS = {
    "relevance": ("-search_relevance", "-published_at", "-id"),
    "newest": ("-published_at", "-id"),
    # Negotiable (no price) last in both directions, on every database.
    "price_low": (F("asking_price").asc(nulls_last=True), "-id"),
    "price_high": (F("asking_price").desc(nulls_last=True), "-id"),
    "trl_high": ("-trl", "-published_at", "-id"),
    "popular": ("-view_count", "-id"),
}


def achievement_list_queryset() -> QuerySet[Achievement]:
    """Achievements with what a list shows joined: owner, region, fields, modes."""
    return Achievement.objects.select_related("organization", "organization__region").prefetch_related(
        Prefetch("industry_fields", queryset=IndustryField.objects.select_related("parent")),
        "transfer_modes",
    )


@dataclass
class LibraryFilters:
    q: str = ""
    field: str = ""
    category: str = ""
    trl_min: int | None = None
    trl_max: int | None = None
    mode: str = ""
    price_min_wan: Decimal | None = None
    price_max_wan: Decimal | None = None
    organization: int | None = None
    region: str = ""
    sort: str = "newest"


def achievement_filter(queryset: QuerySet[Achievement], filters: LibraryFilters) -> QuerySet[Achievement]:
    """Apply the library's filters; search words go through the segmented search index."""
    if filters.q:
        queryset = search.narrow(queryset, filters.q)
    if filters.field:
        field_ids = IndustryField.objects.filter(Q(code=filters.field) | Q(parent__code=filters.field)).values("pk")
        queryset = queryset.filter(
            pk__in=Achievement.industry_fields.through.objects.filter(industryfield_id__in=field_ids).values(
                "achievement_id"
            )
        )
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    if filters.trl_min is not None:
        queryset = queryset.filter(trl__gte=filters.trl_min)
    if filters.trl_max is not None:
        queryset = queryset.filter(trl__lte=filters.trl_max)
    if filters.mode:
        queryset = queryset.filter(transfer_modes__mode=filters.mode)
    if filters.price_min_wan is not None:
        queryset = queryset.filter(asking_price__gte=filters.price_min_wan * 10000)
    if filters.price_max_wan is not None:
        queryset = queryset.filter(asking_price__lte=filters.price_max_wan * 10000)
    if filters.organization:
        queryset = queryset.filter(organization_id=filters.organization)
    if filters.region:
        queryset = queryset.filter(organization__region__code__startswith=region_prefix(filters.region))
    sort = filters.sort if filters.q or filters.sort != "relevance" else "newest"
    return queryset.order_by(*SORTS.get(sort, SORTS["newest"]))


def achievement_detail(pk: int) -> QuerySet[Achievement]:
    return (
        Achievement.objects.filter(pk=pk)
        .select_related("organization", "organization__region", "created_by")
        .prefetch_related(
            Prefetch("industry_fields", queryset=IndustryField.objects.select_related("parent")),
            "transfer_modes",
            Prefetch("completers", queryset=Completer.objects.order_by("rank")),
            Prefetch("ip_rights", queryset=IPRight.objects.order_by("id")),
        )
    )


def achievement_files(achievement: Achievement) -> QuerySet[PrivateFile]:
    return PrivateFile.objects.filter(
        parent_type=ContentType.objects.get_for_model(Achievement), parent_id=achievement.pk
    ).order_by("created_at")


def can_see_contact(user, achievement: Achievement) -> bool:
    """Contacts are masked in public until the viewer's organization has sent an inquiry."""
    if not user.is_authenticated:
        return False
    roles = market_rules.membership_roles(user)
    if achievement.organization_id in roles or market_rules.is_bureau_staff(user):
        return True
    return Inquiry.objects.filter(achievement=achievement, organization_id__in=roles.keys()).exists()


def organization_achievements(organization_id: int) -> QuerySet[Achievement]:
    return achievement_list_queryset().filter(organization_id=organization_id).order_by("-updated_at", "-id")


def internal_review_queue(organization_id: int) -> QuerySet[Achievement]:
    return achievement_list_queryset().filter(organization_id=organization_id, status=Status.INTERNAL_REVIEW)


def inquiries_for(user) -> QuerySet[Inquiry]:
    """Inquiries the user's organizations sent or received, newest activity first."""
    organizations = list(market_rules.membership_roles(user).keys())
    return (
        Inquiry.objects.filter(Q(organization_id__in=organizations) | Q(achievement__organization_id__in=organizations))
        .select_related("achievement", "achievement__organization", "organization", "user")
        .annotate(message_count=Count("messages"))
        .order_by("-updated_at", "-id")
    )


def inquiry_messages(inquiry: Inquiry) -> QuerySet[Message]:
    return inquiry.messages.select_related("author", "organization").order_by("created_at", "id")


def inquiry_files(inquiry: Inquiry) -> QuerySet[PrivateFile]:
    return PrivateFile.objects.filter(
        parent_type=ContentType.objects.get_for_model(Inquiry), parent_id=inquiry.pk
    ).order_by("created_at")


def decline_reasons(organization_id: int) -> list[dict]:
    """How buyers declined the organization's achievements: counts by structured reason."""
    from achievements.enums import DeclineReason

    counts = dict(
        Inquiry.objects.filter(achievement__organization_id=organization_id, status=InquiryStatus.DECLINED)
        .values_list("decline_reason")
        .annotate(n=Count("id"))
        .values_list("decline_reason", "n")
    )
    return [{"reason": value, "label": label, "count": counts.get(value, 0)} for value, label in DeclineReason.choices]


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The aware start of `month` and of the month after it (Asia/Shanghai)."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        timezone.make_aware(datetime.combine(first, time.min)),
        timezone.make_aware(datetime.combine(following, time.min)),
    )


def institution_month_report(organization_id: int, month: date) -> dict:
    """The monthly institution report (月度通报): what was new, published and transferred in
    the month, the open problems of tracked achievements and the inquiries received."""
    start, end = month_bounds(month)
    base = achievement_list_queryset().filter(organization_id=organization_id)
    achievement_type = ContentType.objects.get_for_model(Achievement)
    transferred_ids = TransitionLog.objects.filter(
        content_type=achievement_type, to_status=Status.TRANSFERRED, created_at__gte=start, created_at__lt=end
    ).values("object_id")
    inquiries = (
        Inquiry.objects.filter(achievement__organization_id=organization_id, created_at__gte=start, created_at__lt=end)
        .select_related("achievement", "organization")
        .order_by("created_at")
    )
    return {
        "month": month.replace(day=1),
        "new": list(base.filter(created_at__gte=start, created_at__lt=end).order_by("created_at")),
        "published": list(base.filter(published_at__gte=start, published_at__lt=end).order_by("published_at")),
        "transferred": list(base.filter(pk__in=transferred_ids).order_by("title")),
        "open_problems": list(
            Problem.objects.filter(achievement__organization_id=organization_id)
            .exclude(status=ProblemStatus.RESOLVED)
            .select_related("achievement")
            .order_by("created_at")
        ),
        "inquiries": list(inquiries),
        "decline_reasons": decline_reasons(organization_id),
    }


def evaluation_candidates(month: date) -> QuerySet[Achievement]:
    """Achievements published in `month` that no evaluation round has taken up yet."""
    from marketplace.models import EvaluationSubject

    start, end = month_bounds(month)
    taken = EvaluationSubject.objects.filter(content_type=ContentType.objects.get_for_model(Achievement)).values(
        "object_id"
    )
    return (
        Achievement.objects.filter(status=Status.PUBLISHED, published_at__gte=start, published_at__lt=end)
        .exclude(pk__in=taken)
        .select_related("organization")
        .order_by("published_at", "id")
    )


def evaluation_results(achievement: Achievement):
    """Published results of closed rounds that evaluated this achievement, newest first."""
    from marketplace.enums import RoundStatus
    from marketplace.models import EvaluationSubject

    return (
        EvaluationSubject.objects.filter(
            content_type=ContentType.objects.get_for_model(Achievement),
            object_id=achievement.pk,
            round__status=RoundStatus.CLOSED,
            result_count__gt=0,
        )
        .select_related("round")
        .order_by("-round__closed_at")
    )
