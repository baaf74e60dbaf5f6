"""Matches in the API: a demand's achievements, an achievement's demands (stored, with feedback),
and achievements for free text (/api/v1/match/achievements/?q=, throttled for anonymous callers)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # 404, not 500, for an id that is not a number
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from achievements.models import Achievement
from demands.models import Demand
from marketplace import matching
from marketplace.api.search import RefSerializer
from marketplace.enums import MatchVerdict
from marketplace.matching.profiles import field_arguments
from marketplace.models import IndustryField, Match, Region
from marketplace.selectors.matching import MatchRow, achievement_matches, demand_matches, found_achievements
from marketplace.services.matching import feedback_record, match_side_of


class ReasonSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=gettext_lazy("lexical, fields, trl, price, region or freshness"))
    label = serializers.CharField()
    text = serializers.CharField(help_text=gettext_lazy("The reason in words."))
    weight = serializers.FloatField(help_text=gettext_lazy("Its share of the weights among the reasons that apply."))
    fit = serializers.FloatField(help_text=gettext_lazy("0 to 1."))
    points = serializers.FloatField(help_text=gettext_lazy("What it adds to the score; the points add up to it."))


class MatchedAchievementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.SerializerMethodField()
    organization = RefSerializer(source="organization_ref")
    trl = serializers.IntegerField()
    asking_price = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    price_negotiable = serializers.BooleanField()

    def get_url(self, achievement) -> str:
        return self.context["request"].build_absolute_uri(achievement.get_absolute_url())


class MatchedDemandSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="demand.pk")
    title = serializers.CharField(source="demand.title")
    summary = serializers.CharField(source="demand.summary")
    url = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField(
        help_text=gettext_lazy("Null when the enterprise is anonymous to the caller.")
    )
    demand_type = serializers.CharField(source="demand.demand_type")
    min_trl = serializers.IntegerField(source="demand.min_trl", allow_null=True)
    deadline = serializers.DateField(source="demand.deadline")
    visibility = serializers.CharField(source="demand.visibility")

    def get_url(self, view) -> str:
        return self.context["request"].build_absolute_uri(view.demand.get_absolute_url())

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_organization(self, view) -> dict | None:
        return None if view.enterprise is None else {"id": view.enterprise.pk, "name": view.enterprise.name}


class MatchSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="match.pk")
    score = serializers.FloatField(source="match.score", help_text=gettext_lazy("0 to 1."))
    terms = serializers.ListField(child=serializers.CharField(), help_text=gettext_lazy("Matched terms."))
    shared_industry_fields = serializers.ListField(child=serializers.CharField(), source="field_names")
    reasons = ReasonSerializer(many=True)
    my_feedback = serializers.CharField(source="verdict", help_text=gettext_lazy("The caller's verdict, or empty."))
    computed_at = serializers.DateTimeField(source="match.computed_at")


class DemandMatchSerializer(MatchSerializer):
    achievement = serializers.SerializerMethodField()

    @extend_schema_field(MatchedAchievementSerializer)
    def get_achievement(self, row) -> dict:
        achievement = row.listing
        achievement.organization_ref = achievement.organization
        return MatchedAchievementSerializer(achievement, context=self.context).data


class AchievementMatchSerializer(MatchSerializer):
    demand = MatchedDemandSerializer(source="listing")


@extend_schema_serializer(many=False)  # the list action answers one object, not an array
class DemandMatchListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = DemandMatchSerializer(many=True)


@extend_schema_serializer(many=False)
class AchievementMatchListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = AchievementMatchSerializer(many=True)


class FeedbackSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=MatchVerdict.choices,
        error_messages={"invalid_choice": gettext_lazy("Choose useful, not useful or contacted.")},
    )


class FeedbackResultSerializer(serializers.Serializer):
    match = serializers.IntegerField()
    verdict = serializers.CharField()
    side = serializers.CharField()


class _StoredMatches(viewsets.ViewSet):
    """Shared by the two nested match lists."""

    permission_classes = [IsAuthenticated]
    queryset = Match.objects.none()  # for the schema (the path's id is a match's); requests use parent()
    parent_model: type
    parent_kwarg: str
    permission: str
    serializer_class: type

    def parent(self):
        queryset = self.parent_model.objects.visible_to(self.request.user)
        parent = get_object_or_404(queryset, pk=self.kwargs[self.parent_kwarg])
        if not self.request.user.has_perm(self.permission, parent):
            raise Http404
        return parent

    def rows(self, parent) -> list[MatchRow]:
        raise NotImplementedError

    def list(self, request, **kwargs):
        rows = self.rows(self.parent())
        data = self.serializer_class(rows, many=True, context={"request": request}).data
        return Response({"count": len(data), "results": data})

    @extend_schema(request=FeedbackSerializer, responses=FeedbackResultSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None, **kwargs):
        """Mark a match useful, not useful or contacted (the caller's verdict replaces an earlier one)."""
        parent = self.parent()
        match = get_object_or_404(
            Match.objects.select_related("demand", "achievement"),
            pk=pk,
            **{f"{self.parent_model._meta.model_name}_id": parent.pk},
        )
        if match_side_of(request.user, match) is None:
            raise Http404
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            feedback = feedback_record(match=match, user=request.user, verdict=serializer.validated_data["verdict"])
        except DjangoPermissionDenied:
            raise Http404 from None
        return Response({"match": match.pk, "verdict": feedback.verdict, "side": feedback.side})


@extend_schema_view(list=extend_schema(responses=DemandMatchListSerializer))
class DemandMatchViewSet(_StoredMatches):
    """The achievements matched to a demand, best first, each with its reasons. For the enterprise's
    members, its assigned brokers and bureau staff; anyone else gets 404."""

    parent_model = Demand
    parent_kwarg = "demand_pk"
    permission = "demands.see_matches_demand"
    serializer_class = DemandMatchSerializer

    def rows(self, parent):
        return demand_matches(parent, self.request.user)


@extend_schema_view(list=extend_schema(responses=AchievementMatchListSerializer))
class AchievementMatchViewSet(_StoredMatches):
    """The demands matched to an achievement, best first, each shown as the caller may see it (no
    anonymous enterprise's name, no confidential details). For the owner's members and bureau staff."""

    parent_model = Achievement
    parent_kwarg = "achievement_pk"
    permission = "achievements.see_matches_achievement"
    serializer_class = AchievementMatchSerializer

    def rows(self, parent):
        return achievement_matches(parent, self.request.user)


class MatchAnonThrottle(AnonRateThrottle):
    scope = "match_anon"


class MatchUserThrottle(UserRateThrottle):
    scope = "match_user"


MAX_TEXT = 2000


class FreeTextSerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=MAX_TEXT,
        help_text=gettext_lazy("The need in free text, as an enterprise would describe it."),
        error_messages={
            "required": gettext_lazy("Describe the need in the q parameter."),
            "blank": gettext_lazy("Describe the need in the q parameter."),
            "max_length": gettext_lazy("Describe the need in at most {max_length} characters."),
        },
    )
    field = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    min_trl = serializers.IntegerField(min_value=1, max_value=9, required=False)
    budget_max = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), required=False)
    region = serializers.RegexField(r"^\d{6}$", required=False)
    limit = serializers.IntegerField(min_value=1, max_value=20, required=False, default=10)

    def validate_field(self, codes):
        found = list(IndustryField.objects.filter(code__in=codes))
        unknown = sorted(set(codes) - {f.code for f in found})
        if unknown:
            raise serializers.ValidationError(_("Unknown industry field: %(codes)s") % {"codes": ", ".join(unknown)})
        return found

    def validate_region(self, code):
        if not Region.objects.filter(code=code).exists():
            raise serializers.ValidationError(_("Unknown administrative division."))
        return code


class FreeTextMatchSerializer(serializers.Serializer):
    score = serializers.FloatField()
    achievement = MatchedAchievementSerializer()
    terms = serializers.ListField(child=serializers.CharField())
    reasons = ReasonSerializer(many=True)


@extend_schema_serializer(many=False)
class FreeTextMatchListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    notices = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("Explanations when nothing was found.")
    )
    results = FreeTextMatchSerializer(many=True)


class FreeTextMatchViewSet(viewsets.ViewSet):
    """Published achievements for a need described in free text, best first, each with its reasons."""

    permission_classes = [AllowAny]
    throttle_classes = [MatchAnonThrottle, MatchUserThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description="需求描述（自由文本）"),
            OpenApiParameter("field", OpenApiTypes.STR, many=True, description="Industry field code (repeatable)"),
            OpenApiParameter("min_trl", OpenApiTypes.INT),
            OpenApiParameter("budget_max", OpenApiTypes.DECIMAL, description="Budget in yuan"),
            OpenApiParameter("region", OpenApiTypes.STR, description="GB/T 2260 code"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1–20, default 10"),
        ],
        responses=FreeTextMatchListSerializer,
    )
    def list(self, request):
        params = {**request.query_params.dict(), "field": request.query_params.getlist("field")}
        serializer = FreeTextSerializer(data=params)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        fields = data["field"]
        found = matching.match_text(
            data["q"],
            limit=data["limit"],
            **field_arguments(fields),
            trl_wanted=data.get("min_trl"),
            budget_max=data.get("budget_max"),
            region_code=data.get("region", ""),
        )
        results = found_achievements(found)
        for row in results:
            row.achievement.organization_ref = row.achievement.organization
        notices = [] if results else [_("No published achievement shares the telling words of this text.")]
        payload = FreeTextMatchSerializer(results, many=True, context={"request": request}).data
        return Response({"count": len(payload), "notices": notices, "results": payload})
