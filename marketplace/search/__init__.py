"""Chinese full-text search over every public listing (检索).

    from marketplace import search
    results = search.search("锂电池 正极", search.SearchFilters(kind="achievement", region="370200"))
    search.update(achievement)            # services, after saving or publishing a listing
    queryset = search.narrow(Achievement.objects.all(), "锂电池")   # a list page's `q`

Text is segmented by jieba (`text.py`), documents are kept by `index.py`, and the database does
the matching and ranking (`backends.py`). Counts stop at 1,000 ("1000+"); facet counts are taken
over at most the first 1,000 matches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.search.backends import get_backend
from marketplace.search.index import (
    DocumentData,
    SearchAdapter,
    adapter_for,
    adapters,
    field_ids_with_parents,
    rebuild,
    register,
    remove,
    update,
    update_many,
    update_organization_listings,
)
from marketplace.search.text import (
    MAX_QUERY_LENGTH,
    MAX_QUERY_TERMS,
    ParsedQuery,
    Term,
    excerpt,
    filter_token,
    highlight,
    parse_query,
)

__all__ = [
    "COUNT_CAP",
    "DocumentData",
    "SearchAdapter",
    "SearchFilters",
    "SearchResults",
    "adapter_for",
    "adapters",
    "field_ids_with_parents",
    "narrow",
    "parse",
    "rebuild",
    "register",
    "remove",
    "search",
    "update",
    "update_many",
    "update_organization_listings",
]

COUNT_CAP = 1000
PER_PAGE = 20
SYNONYM_CACHE_KEY = "search:synonyms:v1"


def synonym_map() -> dict[str, tuple[str, ...]]:
    """Every synonym term → its whole group, from the staff-kept table (cached until it changes)."""
    mapping = cache.get(SYNONYM_CACHE_KEY)
    if mapping is None:
        from marketplace.models import Synonym
        from marketplace.search.text import normalise

        mapping = {}
        for group in Synonym.objects.all():
            terms = tuple(dict.fromkeys(normalise(term) for term in group.term_list()))
            for term in terms:
                mapping[term] = tuple(dict.fromkeys(mapping.get(term, ()) + terms))
        cache.set(SYNONYM_CACHE_KEY, mapping, 3600)
    return mapping


def forget_synonyms() -> None:
    cache.delete(SYNONYM_CACHE_KEY)


def parse(text: str) -> ParsedQuery:
    return parse_query(text, synonym_map())


@dataclass
class SearchFilters:
    """The structured half of a search; each is optional and they combine (AND)."""

    kind: str = ""
    category: str = ""
    field: str = ""  # industry field code; includes its sub-fields
    trl_min: int | None = None
    trl_max: int | None = None
    region: str = ""  # GB/T 2260 code; a province or city includes what is inside it
    organization: int | None = None

    def apply(self, documents: QuerySet) -> QuerySet:
        """Every filter as SQL conditions on the document's columns."""
        from marketplace.models import SearchDocumentField

        documents = self.apply_broad(documents)
        if self.field:
            documents = documents.filter(
                id__in=SearchDocumentField.objects.filter(field__code=self.field).values("document_id")
            )
        if self.region:
            level = (
                "province_code"
                if self.region.endswith("0000")
                else "city_code"
                if self.region.endswith("00")
                else "region_code"
            )
            documents = documents.filter(**{level: self.region})
        if self.organization:
            documents = documents.filter(organization_id=self.organization)
        return documents

    def apply_broad(self, documents: QuerySet) -> QuerySet:
        """The filters that keep a large share of the index (type, category, TRL) as column
        conditions. Inside the full-text query their long posting lists would be walked for
        every search (measured: p95 102 ms → 31–42 ms at 1.2 million documents; see
        docs/performance.md); as conditions they only drop rows from the ranked stream."""
        if self.kind:
            documents = documents.filter(kind=self.kind)
        if self.category:
            documents = documents.filter(category=self.category)
        if self.trl_min is not None:
            documents = documents.filter(trl__gte=self.trl_min)
        if self.trl_max is not None:
            documents = documents.filter(trl__lte=self.trl_max)
        return documents

    def terms(self) -> tuple[Term, ...]:
        """The selective filters (industry field, region, organization) as filter-token terms
        (see index.filter_tokens) for the full-text query, so the index narrows by them while it
        matches; the broad ones go through apply_broad()."""
        from marketplace.models import IndustryField

        terms = []
        if self.field:
            field_ids = list(IndustryField.objects.filter(code=self.field).values_list("pk", flat=True)) or [0]
            terms.append(_any("f", field_ids))
        if self.region:
            key = "p" if self.region.endswith("0000") else "c" if self.region.endswith("00") else "r"
            terms.append(_any(key, [self.region]))
        if self.organization:
            terms.append(_any("o", [self.organization]))
        return tuple(terms)

    def as_params(self) -> dict[str, str]:
        return {key: str(value) for key, value in self.__dict__.items() if value not in ("", None)}


def _any(key: str, values) -> Term:
    return Term(word="", alternatives=tuple((filter_token(key, value),) for value in values))


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False
    href: str = ""  # set by the page: the link that selects (or clears) this value


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue]


@dataclass
class Hit:
    document: object
    kind_label: str
    category_label: str
    title_html: str
    snippet_html: str
    region_name: str = ""
    field_names: list[str] = field(default_factory=list)
    is_marked: bool = False  # the viewer's favourite (set by the page)

    @property
    def url(self) -> str:
        return self.document.url


@dataclass
class SearchResults:
    text: str
    query: ParsedQuery
    filters: SearchFilters
    hits: list[Hit]
    count: int
    page: int
    per_page: int
    facets: list[Facet] = field(default_factory=list)
    facets_sampled: bool = False
    notices: list[str] = field(default_factory=list)
    similar: bool = False  # the hits are names like the query, not matches

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def count_display(self) -> str:
        return f"{COUNT_CAP}+" if self.capped else str(self.count)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(min(self.count, COUNT_CAP) / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def capped_count(queryset: QuerySet) -> int:
    """How many rows, counting no further than COUNT_CAP + 1 (so never a full count of a million)."""
    return queryset.order_by().values("id")[: COUNT_CAP + 1].count()


def _documents():
    from marketplace.models import SearchDocument

    return SearchDocument.objects.all()


def search(
    text: str = "",
    filters: SearchFilters | None = None,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    with_facets: bool = True,
    since: datetime | None = None,
) -> SearchResults:
    """Ranked matches of `text` among public listings narrowed by `filters`, with facet counts.
    Without text: the newest listings under the filters. `since` keeps documents indexed after it.

    With text, the filters travel inside the full-text query as filter tokens, so the index
    answers the ranked top of the page alone. The count and the facets come from one sample of
    at most COUNT_CAP + 1 matches."""
    filters = filters or SearchFilters()
    backend = get_backend()
    text = " ".join((text or "").split())
    query = parse(text)
    notices = []
    if query.truncated:
        notices.append(
            _("Only the first %(length)s characters or %(terms)s words of the query are searched.")
            % {"length": MAX_QUERY_LENGTH, "terms": MAX_QUERY_TERMS}
        )
    if text and not query:
        notices.append(_("The query has no words to search for (only punctuation or common words). Try other words."))
        return SearchResults(text, query, filters, [], 0, 1, per_page, notices=notices)
    documents = _documents()
    if since is not None:
        documents = documents.filter(updated_at__gte=since)
    if query:
        query = query.with_filters(filters.terms())
        documents = filters.apply_broad(documents)
        matching = backend.match(documents, query)
        ordered = backend.ranked(documents, query)
    else:
        matching = filters.apply(documents)
        ordered = matching.order_by("-published_at", "-id")
    sample = list(matching.order_by().values_list(*SAMPLE_COLUMNS)[: COUNT_CAP + 1])
    count = len(sample)
    similar = False
    if not count and query and len(query.text) >= 3:
        ordered = backend.similar_titles(filters.apply(documents), query.text)
        count = capped_count(ordered)
        similar = bool(count)
        if similar:
            notices.append(_("Nothing matches every word; these listings have similar names."))
    pages = max(1, math.ceil(min(count, COUNT_CAP) / per_page))
    page = min(max(1, page), pages)
    # Organizations come by prefetch, not a join: a join lets the planner trade the index's
    # ranked scan for a sort of every match (measured 200 ms instead of 10 on a frequent word).
    rows = list(
        ordered.defer(*HEAVY_COLUMNS).prefetch_related("organization", "field_links__field")[
            (page - 1) * per_page : page * per_page
        ]
    )
    results = SearchResults(
        text, query, filters, _hits(rows, query), count, page, per_page, notices=notices, similar=similar
    )
    if with_facets and count and not similar:
        results.facets = _facets(sample[:COUNT_CAP], filters)
        results.facets_sampled = count > COUNT_CAP
    return results


# What a page of hits never reads: the token columns and the vector (TOASTed, large).
HEAVY_COLUMNS = ("title_tokens", "body_tokens", "filter_tokens", "search_vector")
SAMPLE_COLUMNS = ("id", "kind", "category", "trl", "province_code", "city_code", "region_code")


def _hits(rows, query: ParsedQuery) -> list[Hit]:
    from marketplace.models import Region

    words = query.highlight_words
    registry = adapters()
    region_names = {
        code: region.full_name
        for code, region in Region.objects.in_bulk({row.region_code for row in rows if row.region_code}).items()
    }
    hits = []
    for row in rows:
        adapter = registry.get(row.kind)
        hits.append(
            Hit(
                document=row,
                kind_label=str(adapter.label) if adapter else row.kind,
                category_label=adapter.category_label(row.category) if adapter and row.category else "",
                title_html=highlight(row.title, words),
                snippet_html=highlight(excerpt(row.snippet, words), words),
                region_name=region_names.get(row.region_code, ""),
                field_names=[link.field.name for link in row.field_links.all() if link.field.parent_id][:3],
            )
        )
    return hits


FACET_LABELS = {
    "kind": gettext_lazy("Type"),
    "category": gettext_lazy("Category"),
    "field": gettext_lazy("Industry field"),
    "trl": gettext_lazy("Readiness level (TRL)"),
    "region": gettext_lazy("Region"),
}


def _facets(sample: list[tuple], filters: SearchFilters) -> list[Facet]:
    """Facet counts over the sampled matches (id, kind, category, trl, province, city, region)."""
    from collections import Counter

    from marketplace.models import IndustryField, Region, SearchDocumentField

    registry = adapters()
    kinds = Counter(row[1] for row in sample)
    facets = [
        Facet(
            "kind",
            str(FACET_LABELS["kind"]),
            [
                FacetValue(kind, str(registry[kind].label) if kind in registry else kind, n, kind == filters.kind)
                for kind, n in kinds.most_common()
            ],
        )
    ]
    if filters.kind in registry:
        adapter = registry[filters.kind]
        categories = Counter(row[2] for row in sample if row[2])
        facets.append(
            Facet(
                "category",
                str(FACET_LABELS["category"]),
                [
                    FacetValue(value, adapter.category_label(value), n, value == filters.category)
                    for value, n in categories.most_common()
                ],
            )
        )
    selected_field = IndustryField.objects.filter(code=filters.field).first() if filters.field else None
    parent = selected_field if selected_field and selected_field.parent_id is None else None
    # Counted per field id first, then named: joined in one query, the planner probed the sample
    # once per top-level field (up to 96 ms at a million documents instead of 20).
    per_field = dict(
        SearchDocumentField.objects.filter(document_id__in=[row[0] for row in sample])
        .values_list("field_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    named = IndustryField.objects.filter(pk__in=list(per_field), parent=parent).values_list("pk", "code", "name")
    field_counts = sorted(((code, name, per_field[pk]) for pk, code, name in named), key=lambda row: (-row[2], row[0]))[
        :30
    ]
    facets.append(
        Facet(
            "field",
            str(FACET_LABELS["field"]),
            [FacetValue(code, name, n, code == filters.field) for code, name, n in field_counts],
        )
    )
    trls = Counter(row[3] for row in sample if row[3] is not None)
    facets.append(
        Facet(
            "trl",
            str(FACET_LABELS["trl"]),
            [
                FacetValue(str(trl), f"TRL {trl}", n, filters.trl_min == trl == filters.trl_max)
                for trl, n in sorted(trls.items())
            ],
        )
    )
    # Inside a province its cities; inside a city its districts; else the provinces.
    position = 5 if filters.region.endswith("0000") else 6 if filters.region else 4
    regions = Counter(row[position] for row in sample if row[position]).most_common(40)
    names = Region.objects.in_bulk([code for code, _ in regions])
    facets.append(
        Facet(
            "region",
            str(FACET_LABELS["region"]),
            [
                FacetValue(code, names[code].name if code in names else code, n, code == filters.region)
                for code, n in regions
            ],
        )
    )
    return [facet for facet in facets if facet.values]


def narrow(queryset: QuerySet, text: str) -> QuerySet:
    """A list page's `q`: the rows of `queryset` whose document matches `text`, annotated with
    `search_relevance` (higher is better) for sorting. Text without searchable words matches nothing."""
    from django.contrib.contenttypes.models import ContentType

    query = parse(text)
    if not query:
        return queryset.none()
    backend = get_backend()
    documents = _documents().filter(content_type=ContentType.objects.get_for_model(queryset.model))
    matching = backend.match(documents, query)
    relevance = (
        matching.filter(object_id=OuterRef("pk")).annotate(relevance=backend.rank(query)).values("relevance")[:1]
    )
    return queryset.filter(pk__in=matching.values("object_id")).annotate(search_relevance=Subquery(relevance))
