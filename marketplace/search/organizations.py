"""Organizations in the market's search (kind "organization"): the verified parties of the market
directory, without the bureau and partner systems, which are not parties to deals."""

from django.urls import reverse
from django.utils.translation import pgettext_lazy

from marketplace.enums import OrganizationKind
from marketplace.models import Organization
from marketplace.search.index import DocumentData, SearchAdapter, field_ids_with_parents, register

HIDDEN_KINDS = (OrganizationKind.BUREAU, OrganizationKind.PARTNER_SYSTEM)


class OrganizationSearch(SearchAdapter):
    kind = "organization"
    model = Organization
    label = pgettext_lazy("search kind", "Organization")
    categories = dict(OrganizationKind.choices)

    def queryset(self):
        return Organization.objects.verified().exclude(kind__in=HIDDEN_KINDS).prefetch_related("industry_fields")

    def document(self, organization: Organization) -> DocumentData:
        return DocumentData(
            title=organization.name,
            body=[organization.short_name, organization.description],
            snippet=organization.description,
            url=reverse("organizations:detail", args=[organization.pk]),
            category=organization.kind,
            region_code=organization.region_id or "",
            organization_id=organization.pk,
            published_at=organization.verified_at or organization.created_at,
            field_ids=field_ids_with_parents(organization.industry_fields.all()),
        )


def register_organizations() -> None:
    register(OrganizationSearch())
