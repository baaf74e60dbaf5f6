"""Demands in the market's search (kind "demand"): what an anonymous visitor of the board may read.

An anonymous demand's document names no enterprise; a confidential demand's holds only its title,
summary and keywords; the region of either is given at city level (see selectors.present).
"""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from demands.enums import DemandType
from demands.models import Demand
from demands.selectors import present
from marketplace import search


class DemandSearch(search.SearchAdapter):
    kind = "demand"
    model = Demand
    label = _("Technical demand")
    categories = dict(DemandType.choices)

    def queryset(self):
        return (
            Demand.objects.public()
            .select_related("organization", "region", "region__parent")
            .prefetch_related("industry_fields")
        )

    def document(self, demand: Demand) -> search.DocumentData:
        shown = present(demand, AnonymousUser())
        body = [demand.summary, " ".join(demand.keywords or [])]
        if shown.details:
            body += [demand.problem, demand.desired_outcome, demand.technical_indicators]
        if shown.enterprise is not None:
            body.append(shown.enterprise.name)
        region = shown.region
        return search.DocumentData(
            title=demand.title,
            body=body,
            snippet=demand.summary,
            url=demand.get_absolute_url(),
            category=demand.demand_type,
            trl=demand.min_trl,
            region_code=region.code if region is not None else "",
            organization_id=shown.enterprise.pk if shown.enterprise is not None else None,
            published_at=demand.published_at,
            field_ids=search.field_ids_with_parents(demand.industry_fields.all()),
        )


def register() -> None:
    search.register(DemandSearch())
