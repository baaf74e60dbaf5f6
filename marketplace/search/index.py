"""Keeping the search index: one SearchDocument per public listing, written by the services.

Each searchable model registers a `SearchAdapter` (in its app's `search.py`, from `ready()`): which
rows are public, and what of them everyone may read. Services call `update(obj)` after saving a
listing or changing its status, in the same transaction, so the index never disagrees with what
was committed; a listing that stopped being public is removed. `rebuild()` redoes everything in
batches (`manage.py rebuild_search_index`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from marketplace.search.text import filter_token, index_text

SNIPPET_LENGTH = 500


@dataclass
class DocumentData:
    """What a listing shows to everyone: the adapter's answer for one object."""

    title: str
    body: Iterable[str]
    url: str
    snippet: str = ""
    category: str = ""
    trl: int | None = None
    region_code: str = ""
    organization_id: int | None = None
    published_at: datetime | None = None
    field_ids: set[int] = field(default_factory=set)


class SearchAdapter:
    """How one model appears in search. Subclasses set `kind`, `model`, `label` and define
    `queryset()` (the public rows, joined for `document()`) and `document(obj)`."""

    kind: str = ""
    model: type[models.Model]
    label: str = ""
    categories: dict[str, str] = {}

    def queryset(self) -> models.QuerySet:
        raise NotImplementedError

    def document(self, obj) -> DocumentData:
        raise NotImplementedError

    def category_label(self, value: str) -> str:
        return str(self.categories.get(value, value))


_adapters: dict[str, SearchAdapter] = {}


def register(adapter: SearchAdapter) -> SearchAdapter:
    _adapters[adapter.kind] = adapter
    return adapter


def adapters() -> dict[str, SearchAdapter]:
    return dict(_adapters)


def adapter_for(model_or_obj) -> SearchAdapter | None:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    model = model._meta.concrete_model
    return next((a for a in _adapters.values() if a.model is model), None)


def field_ids_with_parents(fields) -> set[int]:
    """The ids of industry fields and of their parents (a listing in 锂电池 is also in 新能源)."""
    ids = set()
    for industry_field in fields:
        ids.add(industry_field.pk)
        if industry_field.parent_id:
            ids.add(industry_field.parent_id)
    return ids


def _region_levels(code: str) -> dict[str, str]:
    if not code or len(code) != 6:
        return {"region_code": "", "city_code": "", "province_code": ""}
    return {"region_code": code, "city_code": code[:4] + "00", "province_code": code[:2] + "0000"}


def _document_row(adapter: SearchAdapter, content_type: ContentType, obj) -> tuple:
    from marketplace.models import SearchDocument

    data = adapter.document(obj)
    body = [text for text in data.body if text]
    snippet = " ".join((data.snippet or (body[0] if body else "")).split())[:SNIPPET_LENGTH]
    regions = _region_levels(data.region_code)
    row = SearchDocument(
        content_type=content_type,
        object_id=obj.pk,
        kind=adapter.kind,
        title=data.title[:300],
        snippet=snippet,
        url=data.url,
        title_tokens=index_text(data.title),
        body_tokens=index_text(*body),
        category=data.category or "",
        trl=data.trl,
        organization_id=data.organization_id,
        published_at=data.published_at,
        filter_tokens=filter_tokens(organization=data.organization_id, fields=data.field_ids, **regions),
        **regions,
    )
    return row, data.field_ids


def filter_tokens(*, organization, fields, region_code, city_code, province_code) -> str:
    """The selective structured values of a document (region, organization, industry fields)
    as tokens (see SearchFilters.terms). Type, category and TRL are column conditions: each of
    their values holds a large share of the index, and their posting lists would cost every
    search and swell the index."""
    tokens = []
    for key, code in (("p", province_code), ("c", city_code), ("r", region_code)):
        if code:
            tokens.append(filter_token(key, code))
    if organization:
        tokens.append(filter_token("o", organization))
    tokens += [filter_token("f", field_id) for field_id in sorted(fields)]
    return " ".join(tokens)


UPDATE_FIELDS = [
    "kind", "title", "snippet", "url", "title_tokens", "body_tokens", "filter_tokens", "category", "trl", "region_code",
    "city_code", "province_code", "organization", "published_at", "updated_at",
]  # fmt: skip


def _write(adapter: SearchAdapter, objects: list, *, fresh: bool = False) -> int:
    """Write the documents of `objects` (public rows of `adapter.model`) and their fields:
    an upsert, or with `fresh` (a bulk load into an emptied index) plain inserts."""
    from marketplace.models import SearchDocument, SearchDocumentField

    if not objects:
        return 0
    content_type = ContentType.objects.get_for_model(adapter.model)
    rows, fields = [], []
    for obj in objects:
        row, field_ids = _document_row(adapter, content_type, obj)
        rows.append(row)
        fields.append(field_ids)
    if fresh:
        written = SearchDocument.objects.bulk_create(rows)
    else:
        written = SearchDocument.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["content_type", "object_id"], update_fields=UPDATE_FIELDS
        )
    ids = [row.pk for row in written]
    if None in ids:  # a database that does not return ids from an upsert
        by_object = dict(
            SearchDocument.objects.filter(
                content_type=content_type, object_id__in=[obj.pk for obj in objects]
            ).values_list("object_id", "pk")
        )
        ids = [by_object[obj.pk] for obj in objects]
    if not fresh:
        SearchDocumentField.objects.filter(document_id__in=ids).delete()
    SearchDocumentField.objects.bulk_create(
        [
            SearchDocumentField(document_id=document_id, field_id=field_id)
            for document_id, field_ids in zip(ids, fields, strict=True)
            for field_id in sorted(field_ids)
        ]
    )
    return len(rows)


@transaction.atomic
def update_many(model: type[models.Model], pks: Iterable[int]) -> int:
    """Re-index these rows of `model`: write the public ones, drop the others from the index."""
    from marketplace.models import SearchDocument

    adapter = adapter_for(model)
    if adapter is None:
        return 0
    pks = list(pks)
    public = list(adapter.queryset().filter(pk__in=pks))
    hidden = set(pks) - {obj.pk for obj in public}
    if hidden:
        SearchDocument.objects.filter(
            content_type=ContentType.objects.get_for_model(adapter.model), object_id__in=hidden
        ).delete()
    return _write(adapter, public)


def update(obj) -> None:
    """Re-index one listing after a service saved it or changed its status."""
    update_many(type(obj), [obj.pk])


def remove(obj) -> None:
    from marketplace.models import SearchDocument

    SearchDocument.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk).delete()


def update_organization_listings(organization_id: int) -> int:
    """Re-index the listings whose documents name this organization (after it was renamed)."""
    from marketplace.models import SearchDocument

    documents = SearchDocument.objects.filter(organization_id=organization_id).exclude(kind="organization")
    by_type: dict[int, list[int]] = {}
    for content_type_id, object_id in documents.values_list("content_type_id", "object_id"):
        by_type.setdefault(content_type_id, []).append(object_id)
    written = 0
    for content_type_id, object_ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        for start in range(0, len(object_ids), 1000):
            written += update_many(model, object_ids[start : start + 1000])
    return written


def _ranges(queryset: models.QuerySet, size: int) -> list[tuple[int, int]]:
    """Primary-key ranges of `size` rows each, covering the queryset (keyset batches, no OFFSET)."""
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    return [(pks[i], pks[min(i + size, len(pks)) - 1]) for i in range(0, len(pks), size)]


def _write_range(task: tuple[str, int, int, bool]) -> int:
    kind, first, last, fresh = task
    adapter = _adapters[kind]
    with transaction.atomic():
        return _write(adapter, list(adapter.queryset().filter(pk__gte=first, pk__lte=last).order_by("pk")), fresh=fresh)


def _worker_start() -> None:
    from django.db import connections

    connections.close_all()  # never share the parent's connection across processes


INDEX_BUILD_MEMORY = "512MB"  # for one session, while `rebuild --fresh` builds the indexes


def rebuild(
    kinds: Iterable[str] | None = None,
    *,
    batch_size: int = 1000,
    progress: Callable | None = None,
    fresh: bool = False,
    workers: int = 1,
) -> int:
    """Rewrite the documents of every public listing of `kinds` (all by default) and drop the rest.

    By default the index stays live: documents are upserted and searches keep working. With
    `fresh` the documents of those kinds are deleted first and re-inserted, and on PostgreSQL
    the ranking and trigram indexes are dropped during the load and built again after it (a
    bulk load, for a new or restored database). `workers` > 1 segments and writes batches in
    that many processes."""
    from django.db import connection, connections

    from marketplace.models import SearchDocument
    from marketplace.search import schema
    from marketplace.search.text import initialise

    kinds = list(kinds or _adapters)
    initialise()  # before forking, so workers share the loaded dictionary
    tasks = []
    for kind in kinds:
        adapter = _adapters[kind]
        content_type = ContentType.objects.get_for_model(adapter.model)
        if fresh:
            SearchDocument.objects.filter(content_type=content_type).delete()
        else:
            SearchDocument.objects.filter(content_type=content_type).exclude(
                object_id__in=adapter.queryset().values("pk")
            ).delete()
        tasks += [(kind, first, last, fresh) for first, last in _ranges(adapter.queryset(), batch_size)]
    if fresh:
        schema.drop_search_indexes(connection)
    total = 0
    try:
        if workers > 1:
            import multiprocessing

            connections.close_all()
            with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_start) as pool:
                for (kind, *_), written in zip(tasks, pool.imap(_write_range, tasks), strict=True):
                    total += written
                    if progress:
                        progress(kind, total)
        else:
            for task in tasks:
                total += _write_range(task)
                if progress:
                    progress(task[0], total)
    finally:
        if fresh:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Building the ranking index after a bulk load: the default 64 MB makes RUM and
                    # GIN spill their entry lists to disk many times over.
                    with connection.cursor() as cursor:
                        cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
                schema.install(connection)
    return total
