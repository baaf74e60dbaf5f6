"""Stored matches: kept up to date, announced, and judged by the people shown them.

A listing's matches are recomputed by Celery after it is published or changed (`listings_changed`,
the lifecycles' `on_change`), and every public demand's nightly (`manage.py recompute_matches`).
Recomputing one listing ranks the other side for it (marketplace.matching), stores its list, and
merges each pair found into the counterpart's list too, so a new achievement appears among a
demand's matches without the demand being recomputed. Owners on both sides are notified once of
each new strong match; a published demand without a good one waits in the broker triage queue.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import matching, search
from marketplace.enums import MatchSide, MatchVerdict
from marketplace.matching import profiles
from marketplace.matching.presentation import shown_terms
from marketplace.models import Match, MatchFeedback, User
from marketplace.services.notifications import notify
from marketplace.services.organizations import organization_admins

# For each side: the foreign key of its listing, and the rank column of its list.
OWN = {"demand": ("demand_id", "demand_rank"), "achievement": ("achievement_id", "achievement_rank")}
OTHER = {"demand": "achievement", "achievement": "demand"}

_deferred = threading.local()


@contextlib.contextmanager
def deferred():
    """Collect the listings changed inside the block instead of recomputing each (bulk loads,
    the demo); the caller recomputes afterwards (`recompute_all`)."""
    previous = getattr(_deferred, "active", False)
    _deferred.active = True
    try:
        yield
    finally:
        _deferred.active = previous


def listings_changed(model, pks: list) -> None:
    """The lifecycles' `on_change`: the search index follows now, in the transaction; the
    matches after the commit, in Celery."""
    search.update_many(model, pks)
    side = profiles.side_for(model)
    if side is None or getattr(_deferred, "active", False) or not pks:
        return
    from marketplace.tasks import recompute_matches_for

    pks = list(pks)
    transaction.on_commit(lambda: recompute_matches_for.delay(side.kind, pks))


def listing_saved(obj) -> None:
    """After a service saved a listing's content."""
    listings_changed(type(obj), [obj.pk])


def _explanation_fields(ranked: matching.Ranked) -> dict:
    explanation = ranked.explanation
    return {
        "score": explanation.score,
        "components": [component.as_dict() for component in explanation.components],
        "terms": explanation.terms[:10],
        "shared_field_ids": explanation.shared_field_ids,
    }


@transaction.atomic
def recompute(kind: str, pk: int, *, statistics: matching.Statistics | None = None, now=None) -> int:
    """Recompute the matches of one listing (`kind` "demand" or "achievement"); returns how many
    it keeps. A listing no longer public leaves every list."""
    side = matching.profiles.sides()[kind]
    now = now or timezone.now()
    own_key, own_rank = OWN[kind]
    other = OTHER[kind]
    other_key, other_rank = OWN[other]
    listing = side.model._default_manager.select_for_update().filter(pk=pk).first()  # one recompute at a time
    source = profiles.for_listing(listing) if listing is not None else None
    rows = Match.objects.filter(**{own_key: pk})
    if source is None:
        counterparts = list(rows.filter(**{f"{other_rank}__isnull": False}).values_list(other_key, flat=True))
        rows.update(demand_rank=None, achievement_rank=None)
        rows.filter(feedback__isnull=True).delete()
        if kind == "demand" and listing is not None:
            _set_triage(listing, None)
        _rerank(other, counterparts)
        return 0
    stored = set(rows.values_list(other_key, flat=True))
    also = (
        profiles.from_documents(
            profiles.documents().filter(
                content_type=ContentType.objects.get_for_model(matching.profiles.sides()[other].model),
                object_id__in=list(stored),
            )
        )
        if stored
        else []
    )
    statistics = statistics or matching.Statistics()
    ranked = matching.rank(
        source, other, statistics=statistics, limit=len(also) + settings.MATCHING["LIST_SIZE"], also=also
    )
    minimum, size = settings.MATCHING["MIN_SCORE"], settings.MATCHING["LIST_SIZE"]
    kept = [r for r in ranked if r.score >= minimum][:size]
    kept_ids = {r.profile.pk for r in kept}
    # Upsert the kept pairs with their place; rescore the stored pairs that fell out of the list.
    upserts = []
    for place, found in enumerate(kept, start=1):
        upserts.append(
            Match(
                **{own_key: pk, other_key: found.profile.pk, own_rank: place, "computed_at": now},
                **_explanation_fields(found),
            )
        )
    rescored = {r.profile.pk: r for r in ranked if r.profile.pk in stored and r.profile.pk not in kept_ids}
    if upserts:
        Match.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["demand", "achievement"],
            update_fields=["score", "components", "terms", "shared_field_ids", own_rank, "computed_at"],
        )
    leaving = [other_id for other_id in stored if other_id not in kept_ids]
    if leaving:
        rows.filter(**{f"{other_key}__in": leaving}).update(**{own_rank: None})
    for other_id, found in rescored.items():
        rows.filter(**{other_key: other_id}).update(computed_at=now, **_explanation_fields(found))
    # Pairs neither list holds any more go, unless someone gave feedback on them.
    rows.filter(demand_rank__isnull=True, achievement_rank__isnull=True, feedback__isnull=True).delete()
    _rerank(other, [*kept_ids, *leaving], include=kept_ids, source_key=(own_key, pk))
    if kind == "demand":
        _set_triage(listing, kept[0].score if kept else 0.0)
    _announce_strong(rows)
    return len(kept)


def _rerank(kind: str, ids: Iterable[int], *, include: Iterable[int] = (), source_key=None) -> None:
    """Merge into the lists of these `kind` listings: each keeps its best LIST_SIZE pairs among
    those already listed and the pairs just found (`include`, with the source `source_key`)."""
    ids = set(ids)
    if not ids:
        return
    own_key, own_rank = OWN[kind]
    condition = Q(**{f"{own_rank}__isnull": False})
    if source_key is not None and include:
        condition |= Q(**{source_key[0]: source_key[1], f"{own_key}__in": list(include)})
    size = settings.MATCHING["LIST_SIZE"]
    by_listing: dict[int, list[Match]] = {}
    for row in Match.objects.filter(condition, **{f"{own_key}__in": ids}).only(
        "pk", "score", own_key, own_rank, "demand_rank", "achievement_rank"
    ):
        by_listing.setdefault(getattr(row, own_key), []).append(row)
    changed = []
    for rows in by_listing.values():
        rows.sort(key=lambda row: (-row.score, row.pk))
        for place, row in enumerate(rows, start=1):
            rank = place if place <= size and row.score >= settings.MATCHING["MIN_SCORE"] else None
            if getattr(row, own_rank) != rank:
                setattr(row, own_rank, rank)
                changed.append(row)
    if changed:
        Match.objects.bulk_update(changed, [own_rank])


def _set_triage(demand, best: float | None) -> None:
    from demands.enums import Status

    waiting = best is not None and demand.status == Status.PUBLISHED and best < settings.MATCHING["GOOD_SCORE"]
    triage_since = (demand.triage_since or timezone.now()) if waiting else None
    if demand.best_match_score != best or demand.triage_since != triage_since:
        type(demand).objects.filter(pk=demand.pk).update(best_match_score=best, triage_since=triage_since)
        demand.best_match_score, demand.triage_since = best, triage_since


def _owners(listing) -> list[User]:
    recipients = list(organization_admins(listing.organization))
    if listing.created_by_id and listing.created_by.is_active:
        recipients.append(listing.created_by)
    return recipients


def _announce_strong(rows) -> int:
    """Notify both sides' owners of each strong match not announced before."""
    strong = list(
        rows.filter(
            score__gte=settings.MATCHING["STRONG_SCORE"],
            notified_at__isnull=True,
        )
        .filter(Q(demand_rank__isnull=False) | Q(achievement_rank__isnull=False))
        .select_related(
            "demand__organization", "demand__created_by", "achievement__organization", "achievement__created_by"
        )
    )
    for match in strong:
        demand, achievement = match.demand, match.achievement
        if not (demand.is_public and achievement.is_public):
            continue
        values = {"demand": demand.title, "achievement": achievement.title, "percent": match.percent}
        body = _("Matched on: %(terms)s") % {"terms": "、".join(shown_terms(match.terms)[:5])}
        for listing, title, page in (
            (demand, _("A strong match for your demand “%(demand)s”: %(achievement)s (%(percent)s%%)"), "demand"),
            (
                achievement,
                _("A strong match for your achievement “%(achievement)s”: %(demand)s (%(percent)s%%)"),
                "achievement",
            ),
        ):
            notify(
                users=_owners(listing),
                organization=listing.organization,
                kind="matching.strong_match",
                title=title % values,
                body=body,
                url=reverse(f"matching:{page}", args=[listing.pk]),
            )
    if strong:
        Match.objects.filter(pk__in=[m.pk for m in strong]).update(notified_at=timezone.now())
    return len(strong)


def recompute_many(kind: str, pks: Iterable[int], *, statistics: matching.Statistics | None = None) -> int:
    statistics = statistics or matching.Statistics()
    return sum(recompute(kind, pk, statistics=statistics) for pk in pks)


def recompute_all(
    *, kinds: Iterable[str] = ("demand",), refresh_statistics: bool = True, progress=None, fan_out=None
) -> dict:
    """The nightly run: recount the corpus statistics, then recompute every public listing of
    `kinds` (by default the demands; each merges its pairs into the achievements' lists), and
    the listings that left the market since. `fan_out(kind, pks)`: hand each batch of
    FAN_OUT_BATCH to it (Celery workers, in parallel) instead of recomputing here."""
    if refresh_statistics:
        matching.statistics.refresh()
    statistics = matching.Statistics()
    done = {}
    for kind in kinds:
        side = matching.profiles.sides()[kind]
        public = list(search.adapter_for(side.model).queryset().order_by("pk").values_list("pk", flat=True))
        gone = set(Match.objects.values_list(OWN[kind][0], flat=True).distinct()) - set(public)
        pks = public + sorted(gone)
        for start in range(0, len(pks), FAN_OUT_BATCH):
            batch = pks[start : start + FAN_OUT_BATCH]
            if fan_out is not None:
                fan_out(kind, batch)
                continue
            for count, pk in enumerate(batch, start=start + 1):
                recompute(kind, pk, statistics=statistics)
                if progress:
                    progress(kind, count)
        done[kind] = len(public)
    return done


FAN_OUT_BATCH = 500


# Feedback --------------------------------------------------------------------------------------


def match_side_of(user, match: Match) -> str | None:
    """The side the user speaks for in this match: a member of the enterprise or an assigned
    broker for the demand, a member of the owner for the achievement; None for anyone else
    (bureau staff see matches but do not judge them)."""
    from demands import rules as demand_rules
    from marketplace import rules as market_rules

    if not getattr(user, "is_authenticated", False):
        return None
    if market_rules.is_org_member(user, match.demand) or demand_rules.is_assigned_broker(user, match.demand):
        return MatchSide.DEMAND
    if market_rules.is_org_member(user, match.achievement):
        return MatchSide.ACHIEVEMENT
    return None


@transaction.atomic
def feedback_record(*, match: Match, user: User, verdict: str) -> MatchFeedback:
    """One verdict per person and match; giving another replaces it."""
    side = match_side_of(user, match)
    if side is None:
        raise PermissionDenied
    if verdict not in MatchVerdict.values:
        raise ValidationError({"verdict": _("Choose useful, not useful or contacted.")})
    feedback, _created = MatchFeedback.objects.update_or_create(
        match=match, user=user, defaults={"verdict": verdict, "side": side}
    )
    return feedback


def feedback_counts(*, demand_id: int | None = None, achievement_id: int | None = None) -> dict[str, int]:
    """Feedback on one listing's matches, per verdict (the report per listing)."""
    rows = MatchFeedback.objects.all()
    if demand_id is not None:
        rows = rows.filter(match__demand_id=demand_id)
    if achievement_id is not None:
        rows = rows.filter(match__achievement_id=achievement_id)
    counts = dict(rows.values_list("verdict").annotate(n=Count("id")).order_by())
    return {verdict: counts.get(verdict, 0) for verdict in MatchVerdict.values}
