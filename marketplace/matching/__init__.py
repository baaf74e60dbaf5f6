"""Supply–demand matching (供需对接): ranked achievements for a demand, ranked demands for an
achievement, ranked achievements for a text being typed, each with its explanation.

    from marketplace import matching
    for found in matching.match_for_demand(demand):
        found.profile.title, found.score, found.explanation.components
    matching.match_text("寻找锂电池正极材料包覆技术", field_ids={…}, trl_wanted=5)

Two stages. Candidates come from the search index: the source's keywords (its words weighed by
corpus IDF, business talk dropped), the rarer ones OR-ed in one ranked full-text query over the
target kind. Then each candidate is scored by `scoring.explain` — keyword overlap plus structured
fit (industry fields, TRL, price against budget, region, freshness) with the weights in
settings.MATCHING — and the best are kept. A pair scores the same from either side: the need's
keywords are looked for in the offer, whichever of them asked.

Other kinds of listing (pilot bases, brokers) take part by registering a `profiles.MatchSide` and
being in the search index; `rank()` then serves them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from marketplace.matching import profiles, scoring
from marketplace.matching.profiles import NEED, OFFER, MatchSide, Profile, register, side_for
from marketplace.matching.scoring import Explanation, keywords
from marketplace.matching.statistics import Statistics
from marketplace.search.backends import get_backend
from marketplace.search.text import ParsedQuery, Term

__all__ = [
    "NEED",
    "OFFER",
    "Explanation",
    "MatchSide",
    "Profile",
    "Ranked",
    "Statistics",
    "candidates",
    "match_for_achievement",
    "match_for_demand",
    "match_listing",
    "match_text",
    "rank",
    "register",
    "side_for",
]


@dataclass
class Ranked:
    profile: Profile  # the listing found
    explanation: Explanation

    @property
    def score(self) -> float:
        return self.explanation.score


def config(name: str):
    return settings.MATCHING[name]


def _synonyms() -> dict[str, tuple[str, ...]]:
    from marketplace.search import synonym_map

    return synonym_map()


def query_terms(source: Profile, statistics: Statistics) -> tuple[list[str], list[str]]:
    """The keywords that look for candidates, in two rounds: first the most telling ones held by
    at most QUERY_MAX_SHARE of the index (or QUERY_MIN_DOCUMENTS documents; a common word makes the
    index rank a large share of itself); then, only if those find too few, the common ones."""
    terms = [term for term, _ in keywords(source, statistics)]
    limit = max(config("QUERY_MAX_SHARE") * statistics.documents, config("QUERY_MIN_DOCUMENTS"))
    rare = [term for term in terms if statistics.documents_holding(term) <= limit][: config("QUERY_TERMS")]
    common = [term for term in terms if term not in rare][:3]
    # The words inside the rare ones (电池 of 锂电池) widen the second round.
    parts = source.__dict__.get("_parts", {})
    common += [part for term in rare for part in parts.get(term, ())[:2] if len(part) > 1][:4]
    return rare, list(dict.fromkeys(common))


def _search(source: Profile, terms: list[str], target_kind: str, limit: int, exclude: set[int]) -> list[int]:
    from marketplace.models import SearchDocument

    synonyms = _synonyms()
    alternatives = [(term,) for term in terms]
    for term in terms:
        alternatives += [(s,) for s in synonyms.get(term, ()) if s != term and " " not in s]
    query = ParsedQuery(text=" ".join(terms), terms=(Term(word="", alternatives=tuple(dict.fromkeys(alternatives))),))
    documents = SearchDocument.objects.filter(kind=target_kind)
    if source.organization_id:  # an organization is not matched with itself
        documents = documents.exclude(organization_id=source.organization_id)
    if exclude:
        documents = documents.exclude(id__in=exclude)
    return list(get_backend().ranked(documents, query).values_list("id", flat=True)[:limit])


def candidates(source: Profile, target_kind: str, statistics: Statistics, *, limit: int | None = None) -> list[Profile]:
    """Listings of `target_kind` sharing the source's telling words, most relevant first."""
    limit = limit or config("CANDIDATES")
    rare, common = query_terms(source, statistics)
    ids = _search(source, rare, target_kind, limit, set()) if rare else []
    if len(ids) < config("LIST_SIZE") and common:
        ids += _search(source, common, target_kind, limit - len(ids), set(ids))
    found = profiles.documents().in_bulk(ids)
    return profiles.from_documents(found[pk] for pk in ids if pk in found)


def rank(
    source: Profile,
    target_kind: str,
    *,
    statistics: Statistics | None = None,
    limit: int | None = None,
    also: list[Profile] = (),
) -> list[Ranked]:
    """The best listings of `target_kind` for `source`, scored and explained, best first.
    `also`: listings to score besides the candidates (pairs already stored). A listing that
    shares no telling word with the source is never a match."""
    statistics = statistics or Statistics()
    synonyms = _synonyms()
    found = {}
    for target in [*candidates(source, target_kind, statistics), *also]:
        if target.pk in found or (target.organization_id and target.organization_id == source.organization_id):
            continue
        need, offer = (source, target) if source.role == NEED else (target, source)
        explanation = scoring.explain(need, offer, statistics, synonyms=synonyms)
        if explanation.terms:
            found[target.pk] = Ranked(target, explanation)
    ranked = sorted(found.values(), key=lambda r: (-r.score, -(r.profile.pk or 0)))
    return ranked[: limit or config("LIST_SIZE")]


def match_listing(obj, target_kind: str, *, statistics: Statistics | None = None, limit: int | None = None):
    """Ranked listings of `target_kind` for a public listing (an empty list when it is not public)."""
    source = profiles.for_listing(obj)
    if source is None:
        return []
    return rank(source, target_kind, statistics=statistics, limit=limit)


def match_for_demand(demand, **options) -> list[Ranked]:
    return match_listing(demand, "achievement", **options)


def match_for_achievement(achievement, **options) -> list[Ranked]:
    return match_listing(achievement, "demand", **options)


def match_text(text: str, target_kind: str = "achievement", *, limit: int | None = None, **structured) -> list[Ranked]:
    """Achievements for a need described in free text, with whatever structure is known yet
    (see profiles.for_text). Text without telling words finds nothing."""
    return rank(profiles.for_text(text, **structured), target_kind, limit=limit)
