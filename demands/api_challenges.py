"""The open-challenge and pooled-procurement API (揭榜挂帅, 集采研发): /api/v1/challenges/ with its
bids, objections and milestones, and /api/v1/pooled-procurements/ with its pledges.

Who sees what. A challenge is public once the bureau publishes it; a draft, and one submitted
to the bureau's review, is for the issuer's members and bureau staff. Nothing here names a bidder to anyone but the bidder's own members,
the issuer's members and bureau staff until the award: the challenge shows its winners (the
awarded bids' organizations and budgets) and nothing else about its bids, and
/challenges/{id}/bids/ lists an outsider's own organization's bids only; another
organization's bid is 404. Objections are read by bureau staff and by the user who lodged
them. A pool is public with its pledged total; its pledges are read by the pledging
enterprise's members and bureau staff only. The challenge a funded pool became is shown to
those who may see that challenge, its demand to those who may see the demand and its
enterprise. Money is in 元 as decimal strings.

Every write goes through demands.services.challenges and demands.services.pools, which check
the permission (403), the lifecycle and the window (400, nothing stored).
"""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import MinValueValidator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from achievements.api import AttachmentSerializer, OrganizationRefSerializer, UserRefSerializer
from demands import rules as demand_rules
from demands.api import EnumField, money_field, money_help_text, readable_files
from demands.enums import BidStatus, ChallengeStatus, MilestoneStatus, ObjectionStatus, PledgeStatus, PoolStatus
from demands.models import Bid, Challenge, Demand, Milestone, Objection, Pledge, PooledProcurement
from demands.selectors import (
    bids_visible_to,
    challenge_list_queryset,
    challenges_visible_to,
    disclosed_demand,
    objections_visible_to,
    own_enterprises,
    own_organization_ids,
    pledges_visible_to,
    pool_list_queryset,
)
from demands.services import challenges as challenge_services
from demands.services import pools as pool_services
from marketplace import rules as market_rules
from marketplace.api.filters import SyncFilterSet
from marketplace.api.pagination import UpdatedCursorPagination
from marketplace.models import IndustryField, Organization

# Bureau reviewers run the lifecycle (the challenge's "manage" permission).
may_manage = market_rules.is_bureau_reviewer

REQUIRED = serializers.Field.default_error_messages["required"]

# No bidding window opens before 2000: an earlier time is a typo, and one before 1901 would come
# back with Shanghai's local mean time offset (+08:05:43), which is no RFC 3339 date-time.
EARLIEST_WINDOW = datetime(2000, 1, 1, tzinfo=UTC)


def window_field(**kwargs) -> serializers.DateTimeField:
    return serializers.DateTimeField(validators=[MinValueValidator(EARLIEST_WINDOW)], **kwargs)


def industry_field_codes(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=IndustryField.objects.filter(is_active=True), **kwargs
    )


# Serializers: challenges ---------------------------------------------------------------------


def challenge_status_field(**kwargs) -> EnumField:
    return EnumField(ChallengeStatus, enum_name="ChallengeStatusEnum", **kwargs)


class ChallengeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)


class MilestoneSerializer(serializers.ModelSerializer):
    tranche = money_field(read_only=True, help_text=money_help_text)
    status = EnumField(MilestoneStatus, enum_name="MilestoneStatusEnum", read_only=True)

    class Meta:
        model = Milestone
        fields = ["id", "position", "title", "due_date", "tranche", "status", "released_at"]
        read_only_fields = fields


class MilestoneInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    due_date = serializers.DateField()
    tranche = money_field(min_value=0, help_text=money_help_text)


class ChallengeWinnerSerializer(serializers.Serializer):
    organization = OrganizationRefSerializer(read_only=True)
    budget = money_field(read_only=True, help_text=money_help_text)


class ChallengeSerializer(serializers.ModelSerializer):
    """A challenge as anyone who may see it sees it. Its bids are not part of it: only the
    winners, once awarded."""

    organization = OrganizationRefSerializer(read_only=True)
    industry_fields = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    demand = serializers.SerializerMethodField()
    pool = serializers.IntegerField(source="pool_id", read_only=True, allow_null=True)
    bounty = money_field(read_only=True, help_text=money_help_text)
    window_open = serializers.BooleanField(read_only=True)
    status = challenge_status_field(read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    winners = serializers.SerializerMethodField()
    evaluation = serializers.SerializerMethodField()

    class Meta:
        model = Challenge
        fields = [
            "id",
            "title",
            "description",
            "organization",
            "industry_fields",
            "demand",
            "pool",
            "bounty",
            "opens_at",
            "closes_at",
            "window_open",
            "eligibility",
            "deliverables",
            "review_criteria",
            "award_count",
            "notice_days",
            "notice_ends_at",
            "status",
            "published_at",
            "milestones",
            "winners",
            "evaluation",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ChallengeRefSerializer(allow_null=True))
    def get_demand(self, challenge: Challenge) -> dict | None:
        # The challenge names its issuer: link the demand only where its enterprise is no secret.
        demand = disclosed_demand(self.context["request"].user, challenge)
        return None if demand is None else {"id": demand.pk, "title": demand.title}

    @extend_schema_field(ChallengeWinnerSerializer(many=True))
    def get_winners(self, challenge: Challenge) -> list[dict]:
        awarded = getattr(challenge, "awarded_bids", None)
        if awarded is None:
            awarded = list(challenge.bids.filter(status=BidStatus.AWARDED).select_related("organization"))
        return ChallengeWinnerSerializer(awarded, many=True).data

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_evaluation(self, challenge: Challenge) -> int | None:
        # The blind review's round, for bureau staff (/api/v1/evaluations/{id}/).
        return challenge.evaluation_id if market_rules.is_bureau_staff(self.context["request"].user) else None


class ChallengeCreateSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"does_not_exist": _("Choose one of your own organizations.")},
    )
    demand = serializers.PrimaryKeyRelatedField(queryset=Demand.objects.none(), required=False, allow_null=True)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000)
    industry_fields = industry_field_codes(required=False)
    bounty = money_field(help_text=money_help_text)
    opens_at = window_field()
    closes_at = window_field()
    eligibility = serializers.CharField(max_length=3000)
    deliverables = serializers.CharField(max_length=3000)
    review_criteria = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    award_count = serializers.IntegerField(required=False)
    notice_days = serializers.IntegerField(required=False)
    milestones = MilestoneInputSerializer(many=True, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # None while the schema is generated
            user = request.user
            if may_manage(user):
                self.fields["organization"].queryset = Organization.objects.all()
                self.fields["demand"].queryset = Demand.objects.all()
            else:
                own = own_organization_ids(user)
                self.fields["organization"].queryset = Organization.objects.filter(pk__in=own)
                self.fields["demand"].queryset = Demand.objects.filter(organization_id__in=own)

    def validate(self, attrs):
        if "organization" not in attrs:
            own = own_organization_ids(self.context["request"].user)
            if not own:  # bureau staff name the issuer
                raise serializers.ValidationError({"organization": [REQUIRED]})
            if len(own) > 1:
                raise serializers.ValidationError(
                    {"organization": [_("You belong to several organizations: choose the issuer of this challenge.")]}
                )
            attrs["organization"] = Organization.objects.get(pk=own[0])
        return attrs


class ChallengeUpdateSerializer(serializers.Serializer):
    """A change to a draft: any of its own fields (the milestones have their own endpoints)."""

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False)
    industry_fields = industry_field_codes(required=False)
    bounty = money_field(required=False, help_text=money_help_text)
    opens_at = window_field(required=False)
    closes_at = window_field(required=False)
    eligibility = serializers.CharField(max_length=3000, required=False)
    deliverables = serializers.CharField(max_length=3000, required=False)
    review_criteria = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    award_count = serializers.IntegerField(required=False)
    notice_days = serializers.IntegerField(required=False)


class BidIdsSerializer(serializers.Serializer):
    bids = serializers.PrimaryKeyRelatedField(many=True, queryset=Bid.objects.none(), allow_empty=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        challenge = self.context.get("challenge")
        if challenge is not None:
            self.fields["bids"].child_relation.queryset = Bid.objects.filter(challenge=challenge)


class ChallengeFailSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ObjectionSerializer(serializers.ModelSerializer):
    lodged_by = UserRefSerializer(source="user", read_only=True, allow_null=True)
    status = EnumField(ObjectionStatus, enum_name="ObjectionStatusEnum", read_only=True)
    text = serializers.CharField(max_length=3000)

    class Meta:
        model = Objection
        fields = ["id", "lodged_by", "text", "status", "resolution", "resolved_at", "created_at", "updated_at"]
        read_only_fields = ["id", "lodged_by", "status", "resolution", "resolved_at", "created_at", "updated_at"]


# Serializers: bids ---------------------------------------------------------------------------


class BidSerializer(serializers.ModelSerializer):
    """A bid, for its own organization's members, the issuer's members and bureau staff."""

    challenge = ChallengeRefSerializer(read_only=True)
    organization = OrganizationRefSerializer(read_only=True, help_text=_("The bidder."))
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    budget = money_field(read_only=True, help_text=money_help_text)
    status = EnumField(BidStatus, enum_name="BidStatusEnum", read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Bid
        fields = [
            "id",
            "challenge",
            "organization",
            "created_by",
            "proposal",
            "team",
            "plan",
            "budget",
            "status",
            "attachments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, bid: Bid) -> list[dict]:
        files = self.context.get("attachments")
        if files is None:
            files = readable_files([bid], self.context["request"].user)
        return AttachmentSerializer(files.get(bid.pk, []), many=True, context=self.context).data


class BidUpdateSerializer(serializers.Serializer):
    proposal = serializers.CharField(max_length=10000)
    team = serializers.CharField(max_length=3000)
    plan = serializers.CharField(max_length=5000)
    budget = money_field(min_value=0, help_text=money_help_text)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, write_only=True, max_length=10)


class BidCreateSerializer(BidUpdateSerializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"does_not_exist": _("Choose one of your own organizations.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # None while the schema is generated
            self.fields["organization"].queryset = Organization.objects.filter(
                pk__in=own_organization_ids(request.user)
            )


# Serializers: pools and pledges --------------------------------------------------------------


class PooledProcurementSerializer(serializers.ModelSerializer):
    """A pool as everyone sees it: the pledged total and progress, never who pledged."""

    organization = OrganizationRefSerializer(read_only=True, help_text=_("The initiator."))
    industry_fields = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    threshold = money_field(read_only=True, help_text=money_help_text)
    pledged_total = money_field(read_only=True, help_text=money_help_text)
    progress = serializers.IntegerField(read_only=True, help_text=_("Percent of the threshold pledged (0–100)."))
    status = EnumField(PoolStatus, enum_name="PoolStatusEnum", read_only=True)
    challenge = serializers.SerializerMethodField()
    source_demands = serializers.SerializerMethodField()

    class Meta:
        model = PooledProcurement
        fields = [
            "id",
            "title",
            "description",
            "organization",
            "industry_fields",
            "threshold",
            "pledged_total",
            "progress",
            "deadline",
            "status",
            "funded_at",
            "challenge",
            "source_demands",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ChallengeRefSerializer(allow_null=True))
    def get_challenge(self, pool: PooledProcurement) -> dict | None:
        try:
            challenge = pool.challenge
        except ObjectDoesNotExist:
            return None
        # A funded pool's challenge starts as a draft the bureau completes: not public yet.
        if not demand_rules.view_challenge(self.context["request"].user, challenge):
            return None
        return {"id": challenge.pk, "title": challenge.title}

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(), allow_null=True))
    def get_source_demands(self, pool: PooledProcurement) -> list[int] | None:
        user = self.context["request"].user
        if not (market_rules.is_bureau_staff(user) or market_rules.is_org_member(user, pool)):
            return None
        return [demand.pk for demand in pool.source_demands.all()]


class PooledProcurementCreateSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"does_not_exist": _("Choose one of your own organizations.")},
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000)
    threshold = money_field(help_text=money_help_text)
    deadline = serializers.DateTimeField()
    industry_fields = industry_field_codes(required=False)
    source_demands = serializers.PrimaryKeyRelatedField(many=True, queryset=Demand.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # None while the schema is generated
            user = request.user
            if may_manage(user):
                self.fields["organization"].queryset = Organization.objects.all()
                self.fields["source_demands"].child_relation.queryset = Demand.objects.all()
            else:
                own = own_enterprises(user)
                self.fields["organization"].queryset = own
                self.fields["source_demands"].child_relation.queryset = Demand.objects.filter(
                    organization_id__in=own.values("pk")
                )

    def validate(self, attrs):
        if "organization" not in attrs:
            own = list(own_enterprises(self.context["request"].user))
            if not own:  # bureau staff name the initiator
                raise serializers.ValidationError({"organization": [REQUIRED]})
            if len(own) > 1:
                raise serializers.ValidationError(
                    {"organization": [_("You belong to several organizations: choose the initiator of this pool.")]}
                )
            attrs["organization"] = own[0]
        return attrs


class PledgeSerializer(serializers.ModelSerializer):
    """A pledge, for the pledging enterprise's members and bureau staff."""

    pool = serializers.IntegerField(source="pool_id", read_only=True)
    organization = OrganizationRefSerializer(read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    amount = money_field(read_only=True, help_text=money_help_text)
    status = EnumField(PledgeStatus, enum_name="PledgeStatusEnum", read_only=True)
    agreement = AttachmentSerializer(read_only=True)

    class Meta:
        model = Pledge
        fields = ["id", "pool", "organization", "created_by", "amount", "status", "agreement", "created_at"]
        read_only_fields = fields


class PledgeCreateSerializer(serializers.Serializer):
    amount = money_field(help_text=money_help_text)
    agreement = serializers.FileField(help_text=_("The signed pre-purchase agreement (PDF or scan)."))
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"does_not_exist": _("Choose one of your own organizations.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # None while the schema is generated
            self.fields["organization"].queryset = Organization.objects.filter(
                pk__in=own_organization_ids(request.user)
            )


# Filters -------------------------------------------------------------------------------------


class ChallengeFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=ChallengeStatus.choices)

    class Meta:
        model = Challenge
        fields = ["status"]


class BidFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=BidStatus.choices)

    class Meta:
        model = Bid
        fields = ["status"]


class PooledProcurementFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=PoolStatus.choices)

    class Meta:
        model = PooledProcurement
        fields = ["status"]


class PledgeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PledgeStatus.choices)

    class Meta:
        model = Pledge
        fields = ["status"]


class PledgeCursorPagination(CursorPagination):
    """A pledge is never changed, only released: pages over the pledging time."""

    ordering = ("-created_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200


# Viewsets: challenges ------------------------------------------------------------------------

challenge_transition_responses = {200: ChallengeSerializer}


@extend_schema_view(
    create=extend_schema(request=ChallengeCreateSerializer, responses={201: ChallengeSerializer}),
)
class ChallengeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Open challenges (揭榜挂帅): a bounty on a hard problem, a bidding window, blind expert
    review, award, public notice (公示), contract and milestone tranches.

    Everyone reads the published challenges; the issuer's members and bureau staff also read
    its drafts and those awaiting the bureau's review. A challenge never lists its bids: `winners` (organization and budget)
    appear once it is awarded. Cursor pages over (-updated_at, -id); `updated_since` syncs.

    Members of an organization create a draft for it with its milestones (POST); while it is a
    draft they change it (PATCH), add milestones (POST …/milestones/) and remove them (DELETE
    …/milestones/{milestone_id}/), then submit it to the bureau (POST …/submit/), whose
    reviewers are notified. Bureau reviewers run the lifecycle with POST actions named after the
    verb: publish, close-bidding, shortlist and award (bid ids), contract, fail (with a reason).
    A transition the lifecycle does not allow is 400, a caller without the permission 403.
    """

    queryset = Challenge.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = ChallengeSerializer
    filterset_class = ChallengeFilter
    pagination_class = UpdatedCursorPagination
    permission_classes = [IsAuthenticatedOrReadOnly]

    def get_queryset(self) -> QuerySet[Challenge]:
        return challenges_visible_to(self.request.user)

    def _reloaded(self, challenge: Challenge, *, http_status=status.HTTP_200_OK) -> Response:
        fresh = challenge_list_queryset().get(pk=challenge.pk)
        return Response(ChallengeSerializer(fresh, context=self.get_serializer_context()).data, status=http_status)

    def create(self, request, *args, **kwargs):
        if not (market_rules.membership_roles(request.user) or may_manage(request.user)):
            raise PermissionDenied
        serializer = ChallengeCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        challenge = challenge_services.challenge_create(
            user=request.user,
            organization=data.pop("organization"),
            demand=data.pop("demand", None),
            milestones=data.pop("milestones", ()),
            industry_fields=data.pop("industry_fields", ()),
            **data,
        )
        return self._reloaded(challenge, http_status=status.HTTP_201_CREATED)

    @extend_schema(request=ChallengeUpdateSerializer, responses={200: ChallengeSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change a draft (the issuer's members) or a challenge awaiting review (bureau
        reviewers); the milestones' tranches must still fit in the bounty."""
        challenge = self.get_object()
        # Refuse before reading the input; the service checks again.
        if not request.user.has_perm("demands.change_challenge", challenge):
            raise PermissionDenied
        serializer = ChallengeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        challenge = challenge_services.challenge_update(
            challenge=challenge, user=request.user, **serializer.validated_data
        )
        return self._reloaded(challenge)

    @extend_schema(request=None, responses=challenge_transition_responses)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The issuer's member submits the draft to the bureau, whose reviewers are notified."""
        challenge = challenge_services.challenge_submit(challenge=self.get_object(), user=request.user)
        return self._reloaded(challenge)

    @extend_schema(
        request=None,
        responses={204: None},
        parameters=[OpenApiParameter("milestone_pk", int, OpenApiParameter.PATH, description=_("Milestone id"))],
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"milestones/(?P<milestone_pk>[0-9]+)",
        url_name="milestone",
    )
    def remove_milestone(self, request, pk=None, milestone_pk=None):
        """Remove a milestone of a draft (the issuer's members) or of a challenge awaiting
        review (bureau reviewers)."""
        challenge = self.get_object()
        milestone = get_object_or_404(Milestone, pk=milestone_pk, challenge=challenge)
        challenge_services.milestone_remove(milestone=milestone, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MilestoneInputSerializer, responses={201: MilestoneSerializer})
    @action(detail=True, methods=["post"])
    def milestones(self, request, pk=None):
        """Add a milestone to a draft (the issuer's members) or to any challenge (bureau
        reviewers); its tranche must fit in what remains of the bounty."""
        challenge = self.get_object()
        if not request.user.has_perm("demands.change_challenge", challenge):
            raise PermissionDenied
        serializer = MilestoneInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = challenge_services.milestone_add(
            challenge=challenge, user=request.user, **serializer.validated_data
        )
        return Response(MilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)

    def _transition(self, request, change, argument_serializer=None):
        challenge = self.get_object()
        # Refuse before reading the input; the service checks again.
        if not request.user.has_perm("demands.manage_challenge", challenge):
            raise PermissionDenied
        arguments = {}
        if argument_serializer is not None:
            serializer = argument_serializer(data=request.data, context={"challenge": challenge})
            serializer.is_valid(raise_exception=True)
            arguments = serializer.validated_data
        change(challenge, request.user, **arguments)
        return self._reloaded(challenge)

    @extend_schema(request=None, responses=challenge_transition_responses)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Announce a draft with its milestones; bidding opens when the window opens."""
        return self._transition(
            request, lambda challenge, user: challenge_services.challenge_publish(challenge=challenge, reviewer=user)
        )

    @extend_schema(request=None, responses=challenge_transition_responses)
    @action(detail=True, methods=["post"], url_path="close-bidding", url_name="close-bidding")
    def close_bidding(self, request, pk=None):
        """Close an open window now: the bids go to a blind expert review (without bids the
        challenge fails)."""
        return self._transition(
            request,
            lambda challenge, user: challenge_services.challenge_close_bidding(challenge=challenge, user=user),
        )

    @extend_schema(request=BidIdsSerializer, responses=challenge_transition_responses)
    @action(detail=True, methods=["post"])
    def shortlist(self, request, pk=None):
        """Shortlist submitted bids (at least as many as there are winners), normally the best
        of the closed blind review."""
        return self._transition(
            request,
            lambda challenge, user, bids: challenge_services.challenge_shortlist(
                challenge=challenge, user=user, bids=bids
            ),
            BidIdsSerializer,
        )

    @extend_schema(request=BidIdsSerializer, responses=challenge_transition_responses)
    @action(detail=True, methods=["post"])
    def award(self, request, pk=None):
        """Award the configured number of shortlisted bids; the public notice opens."""
        return self._transition(
            request,
            lambda challenge, user, bids: challenge_services.challenge_award(challenge=challenge, user=user, bids=bids),
            BidIdsSerializer,
        )

    @extend_schema(request=None, responses=challenge_transition_responses)
    @action(detail=True, methods=["post"])
    def contract(self, request, pk=None):
        """After the notice, with no open objection: the contract is signed and work starts."""
        return self._transition(
            request, lambda challenge, user: challenge_services.challenge_contract(challenge=challenge, user=user)
        )

    @extend_schema(request=ChallengeFailSerializer, responses=challenge_transition_responses)
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        """End the challenge without success, with the reason."""
        return self._transition(
            request,
            lambda challenge, user, reason: challenge_services.challenge_fail(
                challenge=challenge, user=user, reason=reason
            ),
            ChallengeFailSerializer,
        )


def visible_challenge(user, challenge_pk) -> Challenge:
    """The challenge of a nested URL, if the user may see it (404 otherwise)."""
    return get_object_or_404(
        challenges_visible_to(user, Challenge.objects.select_related("organization")), pk=challenge_pk
    )


challenge_path_parameter = OpenApiParameter("challenge_pk", int, OpenApiParameter.PATH, description=_("Challenge id"))


@extend_schema_view(
    list=extend_schema(parameters=[challenge_path_parameter]),
    retrieve=extend_schema(parameters=[challenge_path_parameter]),
    create=extend_schema(
        parameters=[challenge_path_parameter], request=BidCreateSerializer, responses={201: BidSerializer}
    ),
    update=extend_schema(
        parameters=[challenge_path_parameter], request=BidUpdateSerializer, responses={200: BidSerializer}
    ),
    partial_update=extend_schema(
        parameters=[challenge_path_parameter], request=BidUpdateSerializer, responses={200: BidSerializer}
    ),
    withdraw=extend_schema(parameters=[challenge_path_parameter]),
)
class ChallengeBidViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Bids (揭榜) for one challenge. A bidder's members read their own organization's bids;
    the issuer's members and bureau staff read all; anyone else reads an empty list, and
    another organization's bid is 404, so nobody learns who bid before the award.

    POST bids while the window is open (members of a verified organization other than the
    issuer; one live bid per organization); PUT or PATCH edits and POST …/withdraw/ withdraws
    a submitted bid until the window closes (its own organization's members only: 403 for the
    issuer and staff, 400 for a withdrawn or decided bid or a closed window). JSON, or multipart
    with `attachments` files.
    """

    queryset = Bid.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = BidSerializer
    filterset_class = BidFilter
    permission_classes = [IsAuthenticated]
    abuse_limit = "response"  # POSTs share the page's counter (marketplace/ratelimits.py)
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_challenge(self) -> Challenge:
        if not hasattr(self, "_challenge"):
            self._challenge = visible_challenge(self.request.user, self.kwargs["challenge_pk"])
        return self._challenge

    def get_queryset(self) -> QuerySet[Bid]:
        return bids_visible_to(self.request.user, self.get_challenge())

    def _represent(self, bids: list[Bid], *, many: bool = False):
        context = self.get_serializer_context()
        context["attachments"] = readable_files(bids, self.request.user)
        if many:
            return BidSerializer(bids, many=True, context=context).data
        return BidSerializer(bids[0], context=context).data

    def _reloaded(self, bid: Bid, *, http_status=status.HTTP_200_OK) -> Response:
        return Response(self._represent([self.get_queryset().get(pk=bid.pk)]), status=http_status)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._represent(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._represent([self.get_object()]))

    def create(self, request, *args, **kwargs):
        challenge = self.get_challenge()
        serializer = BidCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        bid = challenge_services.bid_submit(
            challenge=challenge,
            user=request.user,
            proposal=data["proposal"],
            team=data["team"],
            plan=data["plan"],
            budget=data["budget"],
            attachments=data.get("attachments", ()),
            organization=data.get("organization"),
        )
        return self._reloaded(bid, http_status=status.HTTP_201_CREATED)

    def _own_bid(self) -> Bid:
        bid = self.get_object()
        # The issuer and staff read a bid; only its own organization changes it.
        if not demand_rules.is_bidder(self.request.user, bid):
            raise PermissionDenied
        return bid

    def update(self, request, *args, **kwargs):
        bid = self._own_bid()
        serializer = BidUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        attachments = fields.pop("attachments", ())
        bid = challenge_services.bid_update(bid=bid, user=request.user, attachments=attachments, **fields)
        return self._reloaded(bid)

    @extend_schema(request=None, responses={200: BidSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, challenge_pk=None, pk=None):
        """Withdraw the bid while the window is open; the organization may bid again."""
        bid = challenge_services.bid_withdraw(bid=self._own_bid(), user=request.user)
        return self._reloaded(bid)


@extend_schema_view(
    list=extend_schema(parameters=[challenge_path_parameter]),
    create=extend_schema(parameters=[challenge_path_parameter], responses={201: ObjectionSerializer}),
)
class ChallengeObjectionViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Objections to an award (异议). Anyone logged in lodges one during the public notice
    (400 before it starts or after it ends, with the reason); bureau staff read them all and
    resolve them in the admin, everyone else reads their own."""

    queryset = Objection.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = ObjectionSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_challenge(self) -> Challenge:
        if not hasattr(self, "_challenge"):
            self._challenge = visible_challenge(self.request.user, self.kwargs["challenge_pk"])
        return self._challenge

    def get_queryset(self) -> QuerySet[Objection]:
        return objections_visible_to(self.request.user, self.get_challenge())

    def create(self, request, *args, **kwargs):
        challenge = self.get_challenge()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        objection = challenge_services.objection_lodge(
            challenge=challenge, user=request.user, text=serializer.validated_data["text"]
        )
        return Response(self.get_serializer(objection).data, status=status.HTTP_201_CREATED)


# Viewsets: pools -----------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=PooledProcurementCreateSerializer, responses={201: PooledProcurementSerializer}),
)
class PooledProcurementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Pooled R&D procurement (集采研发): a shared need that enterprises pledge money to. When
    the pledges reach the threshold it is funded and proceeds as a challenge (`challenge`, once
    the caller may see it); at the deadline without it, it lapses and the pledges are released.

    Everyone reads the pools with their pledged total and progress; who pledged is never
    shown here (see …/pledges/). Members of a verified enterprise open one for it (POST), and
    so do bureau reviewers, for any initiator, from similar demands (`source_demands`).
    """

    queryset = PooledProcurement.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = PooledProcurementSerializer
    filterset_class = PooledProcurementFilter
    pagination_class = UpdatedCursorPagination
    permission_classes = [IsAuthenticatedOrReadOnly]

    def get_queryset(self) -> QuerySet[PooledProcurement]:
        return pool_list_queryset()

    def create(self, request, *args, **kwargs):
        if not (may_manage(request.user) or own_enterprises(request.user).exists()):
            raise PermissionDenied
        serializer = PooledProcurementCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        pool = pool_services.pool_create(user=request.user, **serializer.validated_data)
        fresh = pool_list_queryset().get(pk=pool.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


pool_path_parameter = OpenApiParameter("pool_pk", int, OpenApiParameter.PATH, description=_("Pooled procurement id"))


@extend_schema_view(
    list=extend_schema(parameters=[pool_path_parameter]),
    retrieve=extend_schema(parameters=[pool_path_parameter]),
    create=extend_schema(
        parameters=[pool_path_parameter], request=PledgeCreateSerializer, responses={201: PledgeSerializer}
    ),
)
class PledgeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Pledges (预采购承诺) to one pool. The pledging enterprise's members read its pledges,
    bureau staff read all, nobody else reads any: other enterprises' pledges are 404, and only
    the pool's total is public.

    POST pledges (multipart: `amount` in 元 and the signed pre-purchase agreement as
    `agreement`) while the pool collects pledges, one active pledge per enterprise; the pledge
    that reaches the threshold funds the pool.
    """

    queryset = Pledge.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = PledgeSerializer
    filterset_class = PledgeFilter
    pagination_class = PledgeCursorPagination
    permission_classes = [IsAuthenticated]
    abuse_limit = "response"  # POSTs share the page's counter (marketplace/ratelimits.py)
    parser_classes = [MultiPartParser, FormParser]

    def get_pool(self) -> PooledProcurement:
        if not hasattr(self, "_pool"):
            self._pool = get_object_or_404(PooledProcurement, pk=self.kwargs["pool_pk"])
        return self._pool

    def get_queryset(self) -> QuerySet[Pledge]:
        return pledges_visible_to(self.request.user, self.get_pool())

    def create(self, request, *args, **kwargs):
        pool = self.get_pool()
        serializer = PledgeCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        pledge = pool_services.pledge_create(
            pool=pool,
            user=request.user,
            amount=data["amount"],
            agreement=data["agreement"],
            organization=data.get("organization"),
        )
        fresh = self.get_queryset().get(pk=pledge.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)
