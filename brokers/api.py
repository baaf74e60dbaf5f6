"""/api/v1/brokers/ (the public directory, read only) and /api/v1/engagements/ (matchmaking,
for its parties: the broker, the members of the listing's organization, and bureau staff).

A broker claims with POST /engagements/ (a demand or an achievement), records activities at
…/{id}/activities/, moves the stage at …/{id}/advance/ and gives up at …/{id}/drop/; every
write goes through brokers.services, so the API, the pages and the admin behave alike. An
engagement the caller is no party to is 404; a write by a party who is not its broker is 403.
The directory never shows a broker's contact details."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_description_list
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from achievements.enums import Status as AchievementStatus
from achievements.models import Achievement
from brokers import selectors, services
from brokers.enums import ActivityKind, EngagementStage, Level
from brokers.models import BrokerProfile, Engagement, EngagementActivity
from demands.models import Demand
from marketplace.api.filters import SyncFilterSet
from marketplace.api.pagination import UpdatedCursorPagination
from marketplace.models import Deal


class NamedChoiceField(serializers.ChoiceField):
    """A choice field documented as one enum component with its own name (BrokerLevelEnum…):
    the schema's automatic names collide on field names shared across apps (`level`, `kind`)."""

    def __init__(self, *, choices, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(choices=choices, **kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema, direction) -> dict:
        choices = self.target.choices
        return {"type": "string", "enum": list(choices), "description": build_choice_description_list(choices.items())}


def level_field(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(choices=Level.choices, enum_name="BrokerLevelEnum", **kwargs)


# The directory -------------------------------------------------------------------------------


class AgencyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BrokerSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    level = level_field(read_only=True)
    agency = AgencyRefSerializer(read_only=True)
    specialities = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text=_("Industry field codes")
    )
    regions = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text=_("GB/T 2260 codes of the provinces or cities served")
    )
    certificate_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = BrokerProfile
        fields = [
            "id",
            "name",
            "level",
            "agency",
            "specialities",
            "regions",
            "introduction",
            "certificate_number",
            "certificate_issuer",
            "certificate_issued_on",
            "certificate_expires_on",
            "certificate_expired",
            "approved_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_name(self, profile) -> str:
        return str(profile)


class BrokerFilter(SyncFilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    industry_field = django_filters.CharFilter(
        method="filter_field", label=_("Industry field code; includes its sub-fields")
    )
    region = django_filters.CharFilter(method="filter_region", label=_("Division code; includes everything inside it"))
    agency = django_filters.NumberFilter(field_name="agency_id", label=_("Agency id"))
    q = django_filters.CharFilter(method="filter_q", label=_("Name or introduction contains"))

    class Meta:
        model = BrokerProfile
        fields = ["level", "agency"]

    def filter_field(self, queryset, name, value):
        return selectors.broker_search(queryset, selectors.DirectoryFilters(field=value.strip()[:60]))

    def filter_region(self, queryset, name, value):
        if not (value.isdigit() and len(value) == 6):
            raise serializers.ValidationError(
                {"region": [_("An administrative division code has 6 digits (GB/T 2260).")]}
            )
        return selectors.broker_search(queryset, selectors.DirectoryFilters(region=value))

    def filter_q(self, queryset, name, value):
        return selectors.broker_search(queryset, selectors.DirectoryFilters(q=value.strip()[:100]))


class BrokerViewSet(viewsets.ReadOnlyModelViewSet):
    """Active technology brokers (filed with the bureau through their agency), for everyone:
    level, agency, specialities, regions served and certificate validity, never contact
    details. Filters as the directory page; `updated_since` for incremental sync."""

    serializer_class = BrokerSerializer
    filterset_class = BrokerFilter
    pagination_class = UpdatedCursorPagination
    permission_classes = [AllowAny]

    def get_queryset(self) -> QuerySet[BrokerProfile]:
        return selectors.broker_directory()


# Engagements ---------------------------------------------------------------------------------


class EngagementBrokerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")
    level = level_field()
    agency = AgencyRefSerializer()


class EngagementSerializer(serializers.ModelSerializer):
    broker = EngagementBrokerSerializer(read_only=True)
    stage = NamedChoiceField(choices=EngagementStage.choices, enum_name="EngagementStageEnum", read_only=True)
    listing_title = serializers.SerializerMethodField()

    class Meta:
        model = Engagement
        fields = [
            "id",
            "broker",
            "demand",
            "achievement",
            "listing_title",
            "stage",
            "deal",
            "drop_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_listing_title(self, engagement) -> str:
        return engagement.listing.title


class ActivitySerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(choices=ActivityKind.choices, enum_name="ActivityKindEnum")
    note = serializers.CharField(max_length=3000)
    proposed_achievements = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Achievement.objects.filter(status=AchievementStatus.PUBLISHED),
        required=False,
        help_text=_("Ids of published achievements; a proposal names at least one."),
    )

    class Meta:
        model = EngagementActivity
        fields = ["id", "kind", "occurred_on", "note", "proposed_achievements", "created_at"]
        read_only_fields = ["id", "created_at"]


class VisibleListingField(serializers.PrimaryKeyRelatedField):
    """A demand or achievement id among those the caller may open."""

    def get_queryset(self):
        request = self.context.get("request")
        return self.queryset.model.objects.visible_to(request.user if request else None)


class ClaimSerializer(serializers.Serializer):
    demand = VisibleListingField(queryset=Demand.objects.all(), required=False, allow_null=True)
    achievement = VisibleListingField(queryset=Achievement.objects.all(), required=False, allow_null=True)

    def validate(self, attrs):
        if (attrs.get("demand") is None) == (attrs.get("achievement") is None):
            raise serializers.ValidationError(_("Claim one demand or one achievement."))
        return attrs


ADVANCE_STAGES = [
    (stage, label)
    for stage, label in EngagementStage.choices
    if stage not in (EngagementStage.CLAIMED, EngagementStage.DROPPED)
]


class AdvanceSerializer(serializers.Serializer):
    stage = NamedChoiceField(choices=ADVANCE_STAGES, enum_name="EngagementAdvanceStageEnum")
    deal = serializers.PrimaryKeyRelatedField(
        queryset=Deal.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("For the deal stage: the deal on the same demand or achievement."),
    )


class DropSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


@extend_schema_view(
    create=extend_schema(
        summary="Claim a demand or an achievement",
        request=ClaimSerializer,
        responses={201: EngagementSerializer},
    ),
)
class EngagementViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Engagements (撮合) for their parties: the broker, the members of the listing's
    organization (who see who serves them, read only) and bureau staff; anyone else gets 404.
    An active broker claims with POST (one live claim per demand unless configured otherwise: a
    demand another broker holds is refused with the reason), records activities (a proposal
    names published achievements), advances the stage (contacted → proposal → negotiating →
    deal, naming the deal) and drops with a reason."""

    serializer_class = EngagementSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = UpdatedCursorPagination
    queryset = Engagement.objects.none()  # the schema's model; requests use get_queryset

    class Filter(SyncFilterSet):
        stage = django_filters.ChoiceFilter(choices=EngagementStage.choices)
        demand = django_filters.NumberFilter(field_name="demand_id")
        achievement = django_filters.NumberFilter(field_name="achievement_id")

        class Meta:
            model = Engagement
            fields = ["stage", "demand", "achievement"]

    filterset_class = Filter

    def get_queryset(self) -> QuerySet[Engagement]:
        return selectors.engagements_visible_to(self.request.user)

    def _present(self, engagement: Engagement, *, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=engagement.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = ClaimSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            engagement = services.engagement_claim(user=request.user, **serializer.validated_data)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc) or None) from exc
        return self._present(engagement, code=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], request=None, responses={200: ActivitySerializer(many=True)})
    @extend_schema(methods=["POST"], request=ActivitySerializer, responses={201: ActivitySerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def activities(self, request, pk=None):
        """GET the activities, newest first; POST records one (the broker only). The first
        contact moves a claimed engagement to contacted, a proposal to proposal."""
        engagement = self.get_object()
        if request.method == "GET":
            activities = selectors.engagement_activities(engagement)
            return Response(ActivitySerializer(activities, many=True).data)
        serializer = ActivitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        activity = services.engagement_record_activity(
            engagement=engagement, user=request.user, **serializer.validated_data
        )
        return Response(ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AdvanceSerializer, responses={200: EngagementSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def advance(self, request, pk=None):
        """Move the stage on (the broker only): the table allows contacted → proposal →
        negotiating → deal (naming the deal, on the same demand or achievement), and back from
        negotiating to proposal."""
        engagement = self.get_object()
        serializer = AdvanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.engagement_advance(engagement=engagement, user=request.user, **serializer.validated_data)
        return self._present(engagement)

    @extend_schema(request=DropSerializer, responses={200: EngagementSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def drop(self, request, pk=None):
        """Give up, with a reason (the broker only); a demand is free to be claimed again."""
        engagement = self.get_object()
        serializer = DropSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.engagement_drop(engagement=engagement, user=request.user, reason=serializer.validated_data["reason"])
        return self._present(engagement)
