"""What the matcher knows of a listing (or of a text being typed): its `Profile`.

A listing's profile is read from its search document, that is from what every visitor may read:
an anonymous demand's enterprise and a confidential demand's details never reach a match or its
explanation. Each kind of listing registers a `MatchSide` (in its app's `matching.py`) saying
whether it offers (achievements; pilot bases later) or needs (demands), and what its model adds
to the document: price, budget, confirmation date.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from django.db import models

from marketplace.search.text import FILTER_PREFIX, index_tokens

NEED, OFFER = "need", "offer"


@dataclass
class Profile:
    kind: str  # a search kind ("demand", "achievement"), or "text" for free text
    role: str  # NEED or OFFER
    pk: int | None = None
    title: str = ""
    url: str = ""
    organization_id: int | None = None
    title_tokens: list[str] = field(default_factory=list)
    body_tokens: list[str] = field(default_factory=list)
    field_ids: set[int] = field(default_factory=set)  # with their parents
    leaf_field_ids: set[int] = field(default_factory=set)
    trl: int | None = None  # offered: the achievement's level
    trl_wanted: int | None = None  # needed: the lowest level the demand accepts
    price: Decimal | None = None
    price_negotiable: bool = False
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    budget_negotiable: bool = False
    region_code: str = ""
    city_code: str = ""
    province_code: str = ""
    confirmed_at: datetime | None = None
    # Words of names (the organization's, the completers') in the text: never keywords.
    ignored: set[str] = field(default_factory=set)

    @cached_property
    def counts(self) -> Counter:
        """Occurrences of each word, a title word counting TITLE_BOOST times."""
        from marketplace.matching.scoring import TITLE_BOOST

        counts = Counter(self.body_tokens)
        for token, n in Counter(self.title_tokens).items():
            counts[token] += TITLE_BOOST * n
        return counts

    @cached_property
    def distinct_terms(self) -> int:
        return len(self.counts)


class MatchSide:
    """How one kind of listing takes part in matching. Subclasses set `kind`, `role`, `model`
    and define `extras(pks, names)`: {pk: {Profile field: value}} for what the document lacks;
    with `names`, also "ignored": the names whose words are not keywords (needed only of a
    profile whose keywords are read: the source, and needs)."""

    kind: str = ""
    role: str = OFFER
    model: type[models.Model]

    def extras(self, pks: list[int], names: bool = True) -> dict[int, dict]:
        return {}


_sides: dict[str, MatchSide] = {}


def register(side: MatchSide) -> MatchSide:
    _sides[side.kind] = side
    return side


def sides() -> dict[str, MatchSide]:
    return dict(_sides)


def side_for(model_or_obj) -> MatchSide | None:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return next((side for side in _sides.values() if side.model is model._meta.concrete_model), None)


def _tokens(text: str) -> list[str]:
    return [token for token in text.split() if not token.startswith(FILTER_PREFIX)]


def from_documents(documents, *, with_names: bool = False) -> list[Profile]:
    """Profiles of search documents (from `documents()`), in their order. `with_names`: read the
    names not to take as keywords for offers too (a source's keywords are read, whatever its role)."""
    documents = list(documents)
    extras: dict[str, dict[int, dict]] = {}
    for kind in {document.kind for document in documents}:
        side = _sides.get(kind)
        if side is not None:
            extras[kind] = side.extras(
                [d.object_id for d in documents if d.kind == kind], names=with_names or side.role == NEED
            )
    profiles = []
    for document in documents:
        side = _sides.get(document.kind)
        if side is None:
            continue
        fields = [link.field for link in document.field_links.all()]
        profile = Profile(
            kind=document.kind,
            role=side.role,
            pk=document.object_id,
            title=document.title,
            url=document.url,
            organization_id=document.organization_id,
            title_tokens=_tokens(document.title_tokens),
            body_tokens=_tokens(document.body_tokens),
            field_ids={f.pk for f in fields},
            leaf_field_ids={f.pk for f in fields if f.parent_id},
            region_code=document.region_code,
            city_code=document.city_code,
            province_code=document.province_code,
        )
        if side.role == OFFER:
            profile.trl = document.trl
        else:
            profile.trl_wanted = document.trl
        for name, value in extras.get(document.kind, {}).get(document.object_id, {}).items():
            setattr(profile, name, set(index_tokens(" ".join(value))) if name == "ignored" else value)
        profiles.append(profile)
    return profiles


def documents():
    from marketplace.models import SearchDocument

    # Not the tsvector, the snippet or the filter tokens: large, and the matcher reads none of them.
    return SearchDocument.objects.defer("search_vector", "snippet", "filter_tokens").prefetch_related(
        "field_links__field"
    )


def for_listing(obj) -> Profile | None:
    """The profile of a public listing; None when it is not public (not in the index)."""
    from django.contrib.contenttypes.models import ContentType

    side = side_for(obj)
    if side is None:
        return None
    found = from_documents(
        documents().filter(content_type=ContentType.objects.get_for_model(side.model), object_id=obj.pk),
        with_names=True,
    )
    return found[0] if found else None


def field_arguments(fields) -> dict[str, set[int]]:
    """`for_text`'s industry-field arguments for chosen IndustryField rows (with their parents)."""
    fields = [f for f in fields if f is not None]
    return {
        "field_ids": {f.pk for f in fields} | {f.parent_id for f in fields if f.parent_id},
        "leaf_field_ids": {f.pk for f in fields if f.parent_id},
    }


def for_text(
    text: str,
    *,
    field_ids: set[int] | None = None,
    leaf_field_ids: set[int] | None = None,
    trl_wanted: int | None = None,
    budget_min: Decimal | None = None,
    budget_max: Decimal | None = None,
    region_code: str = "",
    organization_id: int | None = None,
) -> Profile:
    """A need described in free text (a demand being typed, a partner's query)."""
    region_code = region_code if len(region_code or "") == 6 else ""
    return Profile(
        kind="text",
        role=NEED,
        title=" ".join((text or "").split())[:100],
        organization_id=organization_id,
        body_tokens=index_tokens(text or ""),
        field_ids=set(field_ids or ()),
        leaf_field_ids=set(leaf_field_ids or ()),
        trl_wanted=trl_wanted,
        budget_min=budget_min,
        budget_max=budget_max,
        region_code=region_code,
        city_code=region_code[:4] + "00" if region_code else "",
        province_code=region_code[:2] + "0000" if region_code else "",
    )
