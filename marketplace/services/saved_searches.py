"""Saved searches (new matches announced once each) and favourites (收藏)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace import search
from marketplace.models import Favourite, SavedSearch, SavedSearchHit, SearchDocument, User
from marketplace.services.notifications import notify

MAX_SAVED_SEARCHES = 30
MAX_ALERT_MATCHES = 50


def saved_search_url(saved: SavedSearch) -> str:
    params = {"q": saved.query, **saved.filters}
    return reverse("search") + "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})


@transaction.atomic
def saved_search_create(*, user: User, name: str, query: str, filters: search.SearchFilters) -> SavedSearch:
    """Keep a search; listings published from now on that match it are announced."""
    if not user.is_authenticated:
        raise PermissionDenied
    query = " ".join((query or "").split())[: search.MAX_QUERY_LENGTH]
    params = filters.as_params()
    if not query and not params:
        raise ValidationError({"query": _("Give search words or at least one filter to save.")})
    if query and not search.parse(query):
        raise ValidationError(
            {"query": _("The query has no words to search for (only punctuation or common words). Try other words.")}
        )
    User.objects.select_for_update().filter(pk=user.pk).get()  # one count at a time per user
    if SavedSearch.objects.filter(user=user).count() >= MAX_SAVED_SEARCHES:
        raise ValidationError(
            {
                "name": _("You can keep at most %(count)s saved searches; delete one first.")
                % {"count": MAX_SAVED_SEARCHES}
            }
        )
    saved = SavedSearch(user=user, name=(name or query or _("My search")).strip()[:100], query=query, filters=params)
    saved.last_checked_at = timezone.now()
    saved.full_clean()
    saved.save()
    return saved


def saved_search_delete(*, saved_search: SavedSearch, user: User) -> None:
    if not user.has_perm("marketplace.delete_savedsearch", saved_search):
        raise PermissionDenied
    saved_search.delete()


def saved_search_filters(saved: SavedSearch) -> search.SearchFilters:
    known = {name: saved.filters[name] for name in search.SearchFilters.__dataclass_fields__ if name in saved.filters}
    for name in ("trl_min", "trl_max", "organization"):
        if known.get(name) not in (None, ""):
            known[name] = int(known[name])
    return search.SearchFilters(**known)


@transaction.atomic
def saved_search_check(saved_id: int, *, now: datetime | None = None) -> int:
    """Announce the listings that newly match one saved search; each document at most once.

    Candidates are documents written since the last check and published after the search was
    saved (an edit to an old listing is not news). The saved search's row is locked, so two
    workers never announce the same match."""
    now = now or timezone.now()
    saved = SavedSearch.objects.select_for_update().select_related("user").filter(pk=saved_id).first()
    if saved is None or not saved.user.is_active:
        return 0
    since = saved.last_checked_at or saved.created_at
    results = search.search(
        saved.query, saved_search_filters(saved), per_page=MAX_ALERT_MATCHES, with_facets=False, since=since
    )
    candidates = [hit.document for hit in results.hits if not results.similar]
    candidates = [doc for doc in candidates if doc.published_at and doc.published_at >= saved.created_at]
    announced = set(
        SavedSearchHit.objects.filter(saved_search=saved, document__in=candidates).values_list("document_id", flat=True)
    )
    new = [doc for doc in candidates if doc.pk not in announced]
    saved.last_checked_at = now
    saved.save(update_fields=["last_checked_at"])
    if not new:
        return 0
    SavedSearchHit.objects.bulk_create([SavedSearchHit(saved_search=saved, document=doc) for doc in new])
    titles = "、".join(f"《{doc.title}》" for doc in new[:3])
    notify(
        users=[saved.user],
        kind="search.saved_search_matches",
        title=ngettext(
            "%(count)s new listing matches your saved search “%(name)s”",
            "%(count)s new listings match your saved search “%(name)s”",
            len(new),
        )
        % {"count": len(new), "name": saved.name},
        body=titles,
        url=saved_search_url(saved),
    )
    return len(new)


def saved_search_alerts_send(*, now: datetime | None = None) -> int:
    """Check every saved search of an active user (the periodic job); returns matches announced."""
    now = now or timezone.now()
    ids = SavedSearch.objects.filter(user__is_active=True).values_list("pk", flat=True).order_by("pk")
    return sum(saved_search_check(pk, now=now) for pk in ids.iterator())


def _document_for(kind: str, object_id: int) -> SearchDocument:
    """The public document of a listing, or a 404-style error: only public listings are marked."""
    adapter = search.adapters().get(kind)
    if adapter is None:
        raise ValidationError({"kind": _("Unknown kind of listing.")})
    document = (
        SearchDocument.objects.filter(
            content_type=ContentType.objects.get_for_model(adapter.model), object_id=object_id
        )
        .only("pk", "title", "content_type_id", "object_id")
        .first()
    )
    if document is None:
        raise SearchDocument.DoesNotExist
    return document


@transaction.atomic
def favourite_add(*, user: User, kind: str, object_id: int) -> Favourite:
    if not user.is_authenticated:
        raise PermissionDenied
    document = _document_for(kind, object_id)
    favourite, _created = Favourite.objects.get_or_create(
        user=user,
        content_type_id=document.content_type_id,
        object_id=object_id,
        defaults={"title": document.title[:300]},
    )
    return favourite


def favourite_remove(*, user: User, kind: str, object_id: int) -> int:
    adapter = search.adapters().get(kind)
    if adapter is None or not user.is_authenticated:
        return 0
    deleted, _ = Favourite.objects.filter(
        user=user, content_type=ContentType.objects.get_for_model(adapter.model), object_id=object_id
    ).delete()
    return deleted
