"""Search pages: one search over every public listing, saved searches and favourites."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from marketplace import search
from marketplace.forms.search import SavedSearchForm, SearchForm
from marketplace.models import Favourite, SavedSearch, SearchDocument
from marketplace.permissions import object_or_404
from marketplace.services.saved_searches import (
    favourite_add,
    favourite_remove,
    saved_search_create,
    saved_search_delete,
    saved_search_url,
)

# The parameter(s) a facet value sets; TRL picks one level (lowest = highest).
FACET_PARAMETERS = {"kind": ("kind",), "category": ("category",), "field": ("field",), "region": ("region",)}


def _facet_links(request, results: search.SearchResults) -> None:
    """Give each facet value the URL that selects it (or, when selected, clears it)."""
    for facet in results.facets:
        for value in facet.values:
            params = request.GET.copy()
            params.pop("page", None)
            names = ("trl_min", "trl_max") if facet.name == "trl" else FACET_PARAMETERS[facet.name]
            for name in names:
                params.pop(name, None)
            if facet.name == "kind":
                params.pop("category", None)  # categories belong to one kind
            if not value.selected:
                for name in names:
                    params[name] = value.value
            value.href = "?" + params.urlencode()


def favourite_keys(user, documents) -> set[tuple[int, int]]:
    """(content type id, object id) of the documents the user marked: one query for a page."""
    if not user.is_authenticated or not documents:
        return set()
    object_ids = {doc.object_id for doc in documents}
    return set(
        Favourite.objects.filter(user=user, object_id__in=object_ids).values_list("content_type_id", "object_id")
    )


@require_GET
def search_page(request):
    form = SearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid():
        results = form.run()
        _facet_links(request, results)
    querystring = request.GET.copy()
    querystring.pop("page", None)
    if results:
        marked = favourite_keys(request.user, [hit.document for hit in results.hits])
        for hit in results.hits:
            hit.is_marked = (hit.document.content_type_id, hit.document.object_id) in marked
    kept = [(name, request.GET[name]) for name in SearchForm.FILTER_FIELDS if name != "kind" and request.GET.get(name)]
    context = {
        "form": form,
        "results": results,
        "querystring": querystring.urlencode(),
        "kept_filters": kept,
        "save_form": SavedSearchForm(initial={"name": (form.data.get("q") or "")[:100]}),
    }
    return render(request, "search/results.html", context)


@login_required
@require_POST
def saved_search_save(request):
    form = SearchForm(request.POST)
    name_form = SavedSearchForm(request.POST)
    if form.is_valid() and name_form.is_valid():
        try:
            saved = saved_search_create(
                user=request.user,
                name=name_form.cleaned_data["name"],
                query=form.cleaned_data.get("q") or "",
                filters=form.filters(),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("Search saved. New listings that match it will be announced in your notifications."),
            )
            return redirect(saved_search_url(saved))
    else:
        for errors in (*form.errors.values(), *name_form.errors.values()):
            for message in errors:
                messages.error(request, message)
    params = {key: value for key, value in request.POST.items() if key not in ("csrfmiddlewaretoken", "name")}
    return redirect(f"{reverse('search')}?{urlencode(params)}")


@login_required
@require_GET
def saved_search_list(request):
    saved = SavedSearch.objects.filter(user=request.user).order_by("-created_at")
    rows = [(item, saved_search_url(item)) for item in saved]
    return render(request, "search/saved_searches.html", {"rows": rows})


@login_required
@require_POST
def saved_search_delete_view(request, pk: int):
    saved = object_or_404(request.user, "marketplace.delete_savedsearch", SavedSearch.objects.all(), pk=pk)
    saved_search_delete(saved_search=saved, user=request.user)
    messages.success(request, _("The saved search “%(name)s” is deleted.") % {"name": saved.name})
    return redirect("workspace:saved-searches")


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@login_required
@require_POST
def favourite_toggle(request, kind: str, object_id: int):
    adapter = search.adapters().get(kind)
    if adapter is None:
        raise Http404
    content_type = ContentType.objects.get_for_model(adapter.model)
    marked = Favourite.objects.filter(user=request.user, content_type=content_type, object_id=object_id).exists()
    if marked:
        favourite_remove(user=request.user, kind=kind, object_id=object_id)
    else:
        try:
            favourite_add(user=request.user, kind=kind, object_id=object_id)
        except SearchDocument.DoesNotExist:
            raise Http404 from None
    context = {"kind": kind, "object_id": object_id, "marked": not marked, "next": _back(request, "")}
    if request.htmx:
        return render(request, "search/_favourite_button.html", context)
    messages.success(request, _("Added to your favourites.") if not marked else _("Removed from your favourites."))
    return redirect(_back(request, reverse("workspace:favourites")))


@login_required
@require_GET
def favourite_list(request):
    favourites = Favourite.objects.filter(user=request.user).order_by("-created_at", "-id")
    page = Paginator(favourites, 30).get_page(request.GET.get("page"))
    keys = [(f.content_type_id, f.object_id) for f in page]
    documents = {}
    if keys:
        object_ids = {object_id for _, object_id in keys}
        for doc in SearchDocument.objects.filter(object_id__in=object_ids).select_related("organization"):
            documents[(doc.content_type_id, doc.object_id)] = doc
    kinds = {
        ContentType.objects.get_for_model(adapter.model).pk: (kind, adapter.label)
        for kind, adapter in search.adapters().items()
    }
    rows = [
        {
            "favourite": favourite,
            "document": documents.get((favourite.content_type_id, favourite.object_id)),
            "kind": kinds.get(favourite.content_type_id, ("", ""))[0],
            "kind_label": kinds.get(favourite.content_type_id, ("", ""))[1],
        }
        for favourite in page
    ]
    return render(request, "search/favourites.html", {"page": page, "rows": rows})
