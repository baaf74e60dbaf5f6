"""Read endpoints for the shared reference data and the verified-organization directory."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from marketplace.api.filters import SyncFilterSet
from marketplace.api.pagination import UpdatedCursorPagination
from marketplace.enums import OrganizationKind, RegionLevel
from marketplace.models import IndustryField, Organization, Region
from marketplace.selectors import organization_list, region_prefix


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "full_name", "level", "parent", "updated_at"]


class IndustryFieldSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = IndustryField
        fields = ["id", "code", "name", "parent", "position", "is_active", "updated_at"]


class OrganizationSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", allow_null=True, read_only=True)
    region_name = serializers.CharField(source="region.full_name", allow_null=True, read_only=True, default=None)
    industry_fields = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "uscc",
            "region",
            "region_name",
            "industry_fields",
            "website",
            "description",
            "verified_at",
            "updated_at",
        ]


class RegionFilter(SyncFilterSet):
    parent = django_filters.CharFilter(field_name="parent_id", label=_("Parent division code"))
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices)
    q = django_filters.CharFilter(method="filter_q", label=_("Name contains"))

    class Meta:
        model = Region
        fields = ["parent", "level"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(name__icontains=value.strip()[:50])


class IndustryFieldFilter(SyncFilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", label=_("Parent field code"))
    top_level = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", label=_("Top-level fields only")
    )

    class Meta:
        model = IndustryField
        fields = ["parent", "is_active"]


class OrganizationFilter(SyncFilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganizationKind.choices)
    region = django_filters.CharFilter(method="filter_region", label=_("Division code; includes everything inside it"))
    industry_field = django_filters.CharFilter(
        method="filter_field", label=_("Industry field code; includes its sub-fields")
    )
    q = django_filters.CharFilter(method="filter_q", label=_("Name or credit code"))

    class Meta:
        model = Organization
        fields = ["kind"]

    def filter_region(self, queryset, name, value):
        if not (value.isdigit() and len(value) == 6):
            raise serializers.ValidationError(
                {"region": [_("An administrative division code has 6 digits (GB/T 2260).")]}
            )
        return queryset.filter(region__code__startswith=region_prefix(value))

    def filter_field(self, queryset, name, value):
        return queryset.filter(Q(industry_fields__code=value) | Q(industry_fields__parent__code=value)).distinct()

    def filter_q(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value) | Q(uscc=value.upper()))


class RegionCursorPagination(UpdatedCursorPagination):
    ordering = ("-updated_at", "-code")


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative divisions (GB/T 2260). Filter by `parent` to walk the tree."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    pagination_class = RegionCursorPagination
    permission_classes = [AllowAny]
    lookup_field = "code"


class IndustryFieldViewSet(viewsets.ReadOnlyModelViewSet):
    """The shared industry-field taxonomy (two levels)."""

    queryset = IndustryField.objects.select_related("parent")
    serializer_class = IndustryFieldSerializer
    filterset_class = IndustryFieldFilter
    permission_classes = [AllowAny]


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """Verified organizations of the market."""

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    permission_classes = [AllowAny]

    def get_queryset(self):
        return organization_list()
