"""Achievements written by partner systems: PUT/DELETE /api/v1/achievements/by-ref/{ref}/."""

from __future__ import annotations

from achievements import rules as achievement_rules
from achievements import services
from achievements.enums import Status
from achievements.models import Achievement
from marketplace.richtext import sanitize_rich_text
from marketplace.services.partners import ListingSpec
from marketplace.validators import clean_keywords


def _clean(fields: dict) -> dict:
    if "description" in fields:
        fields["description"] = sanitize_rich_text(fields["description"])
    if "keywords" in fields:
        fields["keywords"] = clean_keywords(fields["keywords"])
    return fields


ACHIEVEMENTS = ListingSpec(
    model=Achievement,
    collection="achievements",
    lifecycle=services.LIFECYCLE,
    editable_fields=services.EDITABLE_FIELDS,
    material_fields=services.MATERIAL_FIELDS,
    submittable=services.SUBMITTABLE,
    retractable=frozenset({Status.INTERNAL_REVIEW, Status.SUBMITTED, Status.REJECTED, Status.PUBLISHED}),
    submitted=Status.SUBMITTED,
    published=Status.PUBLISHED,
    retracted=Status.WITHDRAWN,
    public_statuses=frozenset(achievement_rules.PUBLIC_STATUSES),
    clean=_clean,
    validate=services._validate,
    set_children=services._set_children,
    notify_reviewers=services._notify_reviewers,
    published_event="achievement.published",
    retracted_event="achievement.withdrawn",
)
