"""Reads of deals and contract registrations, already joined for the pages and the API."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet, Sum

from marketplace import rules as market_rules
from marketplace.models import ContractParty, ContractRegistration, Deal, DealPayment


def _joined(queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    return queryset.select_related("seller", "buyer", "achievement", "demand", "registration").annotate(
        paid=Sum("payments__amount")
    )


def deals_of(user, *, stage: str = "") -> QuerySet[Deal]:
    """The deals of the user's organizations (either side) and those the user brokers, newest
    activity first, with both sides, the listings, the registration and the total paid joined.
    Staff see all deals in the admin; here they see their own like anyone."""
    organizations = list(market_rules.membership_roles(user))
    broker = Deal.brokers.through.objects.filter(user_id=user.pk).values("deal_id")
    queryset = Deal.objects.filter(Q(seller_id__in=organizations) | Q(buyer_id__in=organizations) | Q(pk__in=broker))
    if stage:
        queryset = queryset.filter(stage=stage)
    return _joined(queryset).order_by("-updated_at", "-id")


def deal_detail(queryset: QuerySet[Deal] | None = None) -> QuerySet[Deal]:
    """Deals with everything their page shows: sides, listings, brokers, payments, registration
    and its parties."""
    return (
        (queryset if queryset is not None else Deal.objects.all())
        .select_related(
            "seller__region",
            "buyer__region",
            "achievement",
            "demand",
            "created_by",
            "bid__challenge",
            "registration__industry_field",
            "registration__signed_contract",
        )
        .prefetch_related(
            "brokers",
            Prefetch("payments", queryset=DealPayment.objects.select_related("recorded_by")),
            Prefetch("registration__parties", queryset=ContractParty.objects.select_related("region")),
        )
    )


def registrations_joined(queryset: QuerySet[ContractRegistration]) -> QuerySet[ContractRegistration]:
    """Registrations with their deal, applicant, field and parties (with regions) joined."""
    return queryset.select_related("deal", "organization", "industry_field").prefetch_related(
        Prefetch("parties", queryset=ContractParty.objects.select_related("region", "organization"))
    )
