"""Demands written by partner systems: PUT/DELETE /api/v1/demands/by-ref/{ref}/."""

from __future__ import annotations

from demands import rules as demand_rules
from demands import services
from demands.enums import Status
from demands.models import Demand
from marketplace.services.partners import ListingSpec
from marketplace.validators import clean_keywords


def _clean(fields: dict) -> dict:
    if "keywords" in fields:
        fields["keywords"] = clean_keywords(fields["keywords"])
    return fields


DEMANDS = ListingSpec(
    model=Demand,
    collection="demands",
    lifecycle=services.LIFECYCLE,
    editable_fields=services.EDITABLE_FIELDS,
    material_fields=services.MATERIAL_FIELDS,
    submittable=services.SUBMITTABLE,
    # A closed demand stays closed (the lifecycle ends there): the partner posts a new one.
    retractable=frozenset({Status.SUBMITTED, Status.REJECTED, Status.PUBLISHED, Status.NEGOTIATING}),
    submitted=Status.SUBMITTED,
    published=Status.PUBLISHED,
    retracted=Status.CLOSED,
    public_statuses=frozenset(demand_rules.PUBLIC_STATUSES),
    clean=_clean,
    validate=services._validate,
    set_children=services._set_children,
    notify_reviewers=services._notify_reviewers,
    published_event="demand.published",
    retracted_event="demand.withdrawn",
)
