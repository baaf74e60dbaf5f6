"""/api/v1/stats/: the statistics console's summary of registered technology contracts, for
bureau staff and for partner systems holding `contracts:read` (the scope is checked against
the catalogue when the token authenticates). Anyone else: 403. Money in 元 as decimal strings,
shares as decimal fractions (0.4523 = 45.23 %)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from marketplace import rules as market_rules
from marketplace import statistics
from marketplace.api.oauth import IsPartner, partner_application_of
from marketplace.statistics import GRANULARITIES, StatsFilter

MONEY = {"max_digits": 16, "decimal_places": 2}
SHARE = {"max_digits": 6, "decimal_places": 4, "allow_null": True}


class StatsTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Registered contracts"))
    total_amount = serializers.DecimalField(**MONEY, help_text=_("contract amount (yuan)"))
    technology_amount = serializers.DecimalField(**MONEY, help_text=_("technology transaction amount (yuan)"))


class StatsRowSerializer(StatsTotalsSerializer):
    key = serializers.CharField(help_text=_("The row's code: category, field code, period."))
    label = serializers.CharField()


class LocalConversionSerializer(serializers.Serializer):
    region_code = serializers.CharField(help_text=_("The market's own division code (MARKET_REGION_CODE)."))
    local_sellers = serializers.IntegerField(help_text=_("Contracts whose seller is inside the region."))
    local_buyers = serializers.IntegerField(help_text=_("Of those, contracts whose buyer is inside it too."))
    seller_amount = serializers.DecimalField(**MONEY)
    local_amount = serializers.DecimalField(**MONEY)
    rate_by_count = serializers.DecimalField(**SHARE)
    rate_by_amount = serializers.DecimalField(**SHARE)


class TargetProgressSerializer(serializers.Serializer):
    metric = serializers.CharField()
    label = serializers.CharField()
    target = serializers.DecimalField(**MONEY, source="target.target")
    actual = serializers.DecimalField(**MONEY)
    share = serializers.DecimalField(**SHARE)


@extend_schema_serializer(many=False)  # the list action answers one object, not an array
class StatsSummarySerializer(serializers.Serializer):
    totals = StatsTotalsSerializer()
    local_conversion = LocalConversionSerializer()
    granularity = serializers.CharField()
    by_period = StatsRowSerializer(many=True)
    by_category = StatsRowSerializer(many=True)
    by_field = StatsRowSerializer(many=True)
    year = serializers.IntegerField(help_text=_("The year of the targets: the end of the range, else this year."))
    targets = TargetProgressSerializer(many=True)


PARAMETERS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description=_("Registered on or after (Asia/Shanghai).")),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description=_("Registered on or before (Asia/Shanghai).")),
    OpenApiParameter("category", OpenApiTypes.STR, description=_("Contract category.")),
    OpenApiParameter("field", OpenApiTypes.STR, description=_("Industry field code; includes its sub-fields.")),
    OpenApiParameter(
        "region", OpenApiTypes.STR, description=_("Division code; a province or city includes what is inside it.")
    ),
    OpenApiParameter(
        "granularity", OpenApiTypes.STR, enum=list(GRANULARITIES), description=_("month, quarter or year")
    ),
]


class StatsViewSet(viewsets.ViewSet):
    """Summary figures of registered technology contracts: totals, local conversion, by category,
    industry field and period, and the year's targets."""

    permission_classes = [IsAuthenticated | IsPartner]

    @extend_schema(parameters=PARAMETERS, responses=StatsSummarySerializer)
    def list(self, request):
        if partner_application_of(request) is None and not market_rules.is_bureau_staff(request.user):
            raise PermissionDenied(_("Only bureau staff and partner systems read the statistics."))
        f = StatsFilter.from_query(request.query_params)
        granularity = request.query_params.get("granularity") or "month"
        if granularity not in GRANULARITIES:
            raise ValidationError({"granularity": [_("Choose month, quarter or year.")]})
        year = f.year
        data = {
            "totals": statistics.totals(f),
            "local_conversion": statistics.local_conversion(f),
            "granularity": granularity,
            "by_period": statistics.by_period(f, granularity),
            "by_category": statistics.by_category(f),
            "by_field": statistics.by_field(f),
            "year": year,
            "targets": statistics.targets_progress(year),
        }
        return Response(StatsSummarySerializer(data).data)
