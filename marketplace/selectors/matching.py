"""Reading stored matches for the people who may see them, in one pass per list (no query per row)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from marketplace.matching import presentation
from marketplace.models import Match, MatchFeedback


@dataclass
class MatchRow:
    match: Match
    listing: object  # the achievement, or the demand's presentation (demands.selectors.present)
    reasons: list[presentation.Reason]
    terms: list[str]
    verdict: str = ""  # the viewer's own feedback
    field_names: list[str] = field(default_factory=list)


def _verdicts(user, matches) -> dict[int, str]:
    if not getattr(user, "is_authenticated", False) or not matches:
        return {}
    return dict(
        MatchFeedback.objects.filter(user=user, match__in=[m.pk for m in matches]).values_list("match_id", "verdict")
    )


def _rows(matches, listings, user) -> list[MatchRow]:
    names = presentation.field_names_for(matches)
    verdicts = _verdicts(user, matches)
    return [
        MatchRow(
            match=match,
            listing=listing,
            reasons=presentation.reasons(match.components, names),
            terms=presentation.shown_terms(match.terms),
            verdict=verdicts.get(match.pk, ""),
            field_names=[names[pk] for pk in match.shared_field_ids if pk in names],
        )
        for match, listing in zip(matches, listings, strict=True)
    ]


def demand_matches(demand, user, *, limit: int | None = None) -> list[MatchRow]:
    """The achievements matched to a demand, best first."""
    matches = list(
        Match.objects.for_demand(demand.pk).select_related("achievement__organization")[
            : limit or settings.MATCHING["LIST_SIZE"]
        ]
    )
    return _rows(matches, [m.achievement for m in matches], user)


def achievement_matches(achievement, user, *, limit: int | None = None) -> list[MatchRow]:
    """The demands matched to an achievement, best first, each shown as the viewer may see it
    (an anonymous demand's enterprise and a confidential demand's details stay hidden)."""
    from demands.selectors import present

    matches = list(
        Match.objects.for_achievement(achievement.pk)
        .select_related("demand__organization", "demand__region", "demand__region__parent")
        .prefetch_related("demand__assigned_brokers", "demand__invited_organizations")[
            : limit or settings.MATCHING["LIST_SIZE"]
        ]
    )
    return _rows(matches, [present(m.demand, user) for m in matches], user)


@dataclass
class FoundRow:
    """A match computed on the spot (free text, the live preview), not stored."""

    achievement: object
    score: float
    reasons: list[presentation.Reason]
    terms: list[str]

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def is_strong(self) -> bool:
        return self.score >= settings.MATCHING["STRONG_SCORE"]


def found_achievements(found) -> list[FoundRow]:
    """Ranked achievements (matching.Ranked) with their rows and reasons, in three queries."""
    from achievements.models import Achievement
    from marketplace.models import IndustryField

    listings = Achievement.objects.select_related("organization").in_bulk([r.profile.pk for r in found])
    ids = {pk for r in found for pk in r.explanation.shared_field_ids}
    names = dict(IndustryField.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    return [
        FoundRow(
            achievement=listings[r.profile.pk],
            score=r.score,
            reasons=presentation.reasons([c.as_dict() for c in r.explanation.components], names),
            terms=presentation.shown_terms(r.explanation.terms),
        )
        for r in found
        if r.profile.pk in listings
    ]
