"""The evaluation API: /api/v1/evaluations/ for bureau staff and the experts drawn for a round.

Two readers, two shapes. Bureau staff read every round whole: criteria, subjects with their
owners and results, every drawn expert and the draw seed. An expert reads only the rounds they
were drawn for and still take part in, and only what the expert pages show: the round title and
the subjects as `present_subject` gives them, their own assignment and their own scores. In a
blind round nothing identifies the owner (no owner organization, no subject ids, no other
experts, no seed; attachments under neutral names, served by the expert pages' download view,
which strips the files' metadata). Anyone else finds nothing: an empty list, 404 for a round.

Every write goes through marketplace.services.evaluation, which checks the permission again
(403) and the round's state (400), exactly as for the expert pages and the admin.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import get_object_or_404  # 404, not 500, for an id that is not a number
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from marketplace import rules as market_rules
from marketplace.api.filters import SyncFilterSet
from marketplace.enums import AssignmentStatus, ExpertKind, RoundStatus
from marketplace.models import (
    Assignment,
    Criterion,
    EvaluationRound,
    EvaluationSubject,
    ExpertProfile,
    Score,
    ScoreComment,
)
from marketplace.models.evaluation import SCORE_MAX, SCORE_MIN
from marketplace.selectors.evaluation import rounds_for_expert, rounds_for_staff, rounds_visible_to
from marketplace.services import evaluation as services
from marketplace.services.evaluation import present_subject, round_title_for_experts

# Experts are drawn when a round leaves its draft, so they never see a draft round.
EXPERT_ROUND_STATUSES = [(value, label) for value, label in RoundStatus.choices if value != RoundStatus.DRAFT]


# Serializers ---------------------------------------------------------------------------------


class EvaluationCriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "name", "weight", "position"]
        read_only_fields = fields


class ExpertRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.name", read_only=True)
    kind = serializers.ChoiceField(choices=ExpertKind.choices, read_only=True)

    class Meta:
        model = ExpertProfile
        fields = ["id", "name", "kind"]
        read_only_fields = fields


class EvaluationAssignmentSerializer(serializers.ModelSerializer):
    """A drawn expert's place in a round (for an expert: their own only)."""

    expert = ExpertRefSerializer(read_only=True)
    status = serializers.ChoiceField(choices=AssignmentStatus.choices, read_only=True)
    replaces = serializers.IntegerField(
        source="replaces_id", read_only=True, allow_null=True, help_text=_("The declined assignment this one replaces.")
    )
    drawn_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "expert", "status", "draw_index", "replaces", "declined_reason", "drawn_at", "submitted_at"]
        read_only_fields = fields


class SubjectOwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


def _result(subject: EvaluationSubject, value):
    # Results exist once the round is closed; before that the columns hold defaults, not results.
    return value if subject.round.status == RoundStatus.CLOSED else None


class EvaluationSubjectSerializer(serializers.ModelSerializer):
    """A subject as bureau staff see it: what it is, who owns it and, once closed, its result."""

    subject_type = serializers.SerializerMethodField(help_text=_("app_label.model, e.g. achievements.achievement"))
    subject_id = serializers.IntegerField(source="object_id", read_only=True)
    owner = SubjectOwnerSerializer(read_only=True)
    result_score = serializers.SerializerMethodField(help_text=_("Weighted mean score; null until closed."))
    result_spread = serializers.SerializerMethodField(help_text=_("Standard deviation; null until closed."))
    result_count = serializers.SerializerMethodField(help_text=_("Experts who scored; null until closed."))

    class Meta:
        model = EvaluationSubject
        fields = [
            "id",
            "label",
            "position",
            "subject_type",
            "subject_id",
            "owner",
            "result_score",
            "result_spread",
            "result_count",
        ]
        read_only_fields = fields

    def get_subject_type(self, subject: EvaluationSubject) -> str:
        return f"{subject.content_type.app_label}.{subject.content_type.model}"

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True))
    def get_result_score(self, subject: EvaluationSubject) -> str | None:
        value = _result(subject, subject.result_score)
        return None if value is None else f"{value:.2f}"

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True))
    def get_result_spread(self, subject: EvaluationSubject) -> str | None:
        value = _result(subject, subject.result_spread)
        return None if value is None else f"{value:.2f}"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_result_count(self, subject: EvaluationSubject) -> int | None:
        return _result(subject, subject.result_count)


class EvaluationRoundSerializer(serializers.ModelSerializer):
    """A round as bureau staff see it."""

    status = serializers.ChoiceField(choices=RoundStatus.choices, read_only=True)
    criteria = EvaluationCriterionSerializer(many=True, read_only=True)
    subjects = EvaluationSubjectSerializer(many=True, read_only=True)
    assignments = EvaluationAssignmentSerializer(many=True, read_only=True)

    class Meta:
        model = EvaluationRound
        fields = [
            "id",
            "title",
            "status",
            "deadline",
            "is_blind",
            "expert_count",
            "seed",
            "drawn_at",
            "closed_at",
            "period",
            "note",
            "criteria",
            "subjects",
            "assignments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PresentationFactSerializer(serializers.Serializer):
    label = serializers.CharField(read_only=True)
    value = serializers.CharField(read_only=True)


class PresentationSectionSerializer(serializers.Serializer):
    heading = serializers.CharField(read_only=True)
    text = serializers.CharField(read_only=True)


class PresentationAttachmentSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True, help_text=_("In a blind round a neutral name."))
    url = serializers.URLField(read_only=True, help_text=_("Download with the file's metadata removed."))


class SubjectPresentationSerializer(serializers.Serializer):
    title = serializers.CharField(read_only=True)
    facts = PresentationFactSerializer(many=True, read_only=True)
    sections = PresentationSectionSerializer(many=True, read_only=True)
    attachments = PresentationAttachmentSerializer(many=True, read_only=True)


def attachment_name(subject: EvaluationSubject, number: int, stored, *, blind: bool) -> str:
    """The file name an expert sees, as the expert pages' download gives it."""
    return services.subject_file_name(subject, number, stored, blind=blind)


def subject_presentation(subject: EvaluationSubject, assignment: Assignment, request) -> dict:
    """`present_subject` as data, the attachments as neutral names and download addresses."""
    blind = subject.round.is_blind
    presentation = present_subject(subject, blind=blind)
    return {
        "title": presentation.title,
        "facts": [{"label": label, "value": value} for label, value in presentation.facts],
        "sections": [{"heading": heading, "text": text} for heading, text in presentation.sections],
        "attachments": [
            {
                "name": attachment_name(subject, number, stored, blind=blind),
                "url": request.build_absolute_uri(
                    reverse("evaluation:subject-file", args=[assignment.pk, subject.pk, number])
                ),
            }
            for number, stored in enumerate(presentation.files, start=1)
        ],
    }


class ExpertSubjectSerializer(serializers.ModelSerializer):
    """A subject as its expert sees it. `presentation` is given for one round (GET
    /evaluations/{id}/), not in lists."""

    owner = serializers.SerializerMethodField(help_text=_("Null in a blind round."))
    presentation = serializers.SerializerMethodField()

    class Meta:
        model = EvaluationSubject
        fields = ["id", "label", "owner", "presentation"]
        read_only_fields = fields

    @extend_schema_field(SubjectOwnerSerializer(allow_null=True))
    def get_owner(self, subject: EvaluationSubject) -> dict | None:
        if subject.round.is_blind:
            return None
        return {"id": subject.owner.pk, "name": subject.owner.name}

    @extend_schema_field(SubjectPresentationSerializer(allow_null=True))
    def get_presentation(self, subject: EvaluationSubject) -> dict | None:
        if not self.context.get("present"):
            return None
        return subject_presentation(subject, self.context["assignment"], self.context["request"])


class ExpertEvaluationRoundSerializer(serializers.ModelSerializer):
    """A round as one of its experts sees it (blind: nothing that identifies the owner)."""

    title = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=EXPERT_ROUND_STATUSES, read_only=True)
    criteria = EvaluationCriterionSerializer(many=True, read_only=True)
    subjects = serializers.SerializerMethodField()
    assignment = serializers.SerializerMethodField(help_text=_("The caller's own assignment."))

    class Meta:
        model = EvaluationRound
        fields = [
            "id",
            "title",
            "status",
            "deadline",
            "is_blind",
            "expert_count",
            "criteria",
            "subjects",
            "assignment",
            "updated_at",
        ]
        read_only_fields = fields

    def get_title(self, evaluation: EvaluationRound) -> str:
        return round_title_for_experts(evaluation)

    @extend_schema_field(ExpertSubjectSerializer(many=True))
    def get_subjects(self, evaluation: EvaluationRound) -> list[dict]:
        context = {**self.context, "assignment": evaluation.own_assignments[0]}
        return ExpertSubjectSerializer(evaluation.subjects.all(), many=True, context=context).data

    @extend_schema_field(EvaluationAssignmentSerializer)
    def get_assignment(self, evaluation: EvaluationRound) -> dict:
        return EvaluationAssignmentSerializer(evaluation.own_assignments[0], context=self.context).data


def round_for_caller(*, many: bool = False) -> PolymorphicProxySerializer:
    """The schema of a round: the staff shape or the expert shape, by who asks."""
    return PolymorphicProxySerializer(
        component_name="EvaluationRoundForCaller",
        serializers=[EvaluationRoundSerializer, ExpertEvaluationRoundSerializer],
        resource_type_field_name=None,
        many=many,
    )


class ScoreSheetSerializer(serializers.Serializer):
    """The caller's scores of one subject: {criterion id: score}, empty before scoring."""

    subject = serializers.IntegerField(read_only=True)
    label = serializers.CharField(read_only=True)
    scores = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    comment = serializers.CharField(read_only=True)


class ScoreSheetsSerializer(serializers.Serializer):
    assignment = EvaluationAssignmentSerializer(read_only=True)
    sheets = ScoreSheetSerializer(many=True, read_only=True)


class ScoreInputSerializer(serializers.Serializer):
    subject = serializers.PrimaryKeyRelatedField(
        queryset=EvaluationSubject.objects.none(), help_text=_("A subject of this round.")
    )
    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX),
        allow_empty=False,
        help_text=_("{criterion id: whole-number score}, one for every criterion of the round."),
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=3000)

    def __init__(self, *args, evaluation: EvaluationRound | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if evaluation is not None:
            self.fields["subject"].queryset = evaluation.subjects.all()

    def validate_scores(self, value: dict) -> dict[int, int]:
        if not all(key.isascii() and key.isdigit() for key in map(str, value)):
            raise serializers.ValidationError(_("Identify every criterion by its id."))
        return {int(key): score for key, score in value.items()}


class AssignmentDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text=_("Why you cannot evaluate; the bureau reads it."))


class RoundDrawSerializer(serializers.Serializer):
    seed = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        help_text=_("Replays an earlier draw; a random seed is drawn and recorded when missing."),
    )


class RoundCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


# Filters -------------------------------------------------------------------------------------


class EvaluationRoundFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=RoundStatus.choices)

    class Meta:
        model = EvaluationRound
        fields = ["status"]


# Viewset -------------------------------------------------------------------------------------

assignment_path_parameter = OpenApiParameter(
    "assignment_pk", int, OpenApiParameter.PATH, description=_("Assignment id (one of this round's)")
)


@extend_schema_view(
    list=extend_schema(responses=round_for_caller(many=True)),
    retrieve=extend_schema(responses=round_for_caller()),
)
class EvaluationRoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evaluation rounds (成果评估评价) for bureau staff and the experts drawn for them.

    Bureau staff read every round in full (EvaluationRound). An expert reads the rounds they
    were drawn for (ExpertEvaluationRound), as long as they have not declined and are still in
    the pool: an expert who declines leaves the round and loses access to its material. In a
    blind round an expert sees nothing that identifies the owner. Lists leave out the subjects'
    presentation (`presentation` is null); read one round for it. Anyone else: an empty list,
    404 for a round.

    Experts act on their own assignment: `scores/` (read or record), `submit/`, `decline/`.
    Bureau reviewers run the round: `draw/`, `close/`, `cancel/`,
    `assignments/{assignment_pk}/replace/`. Refusals come from the services: 403 for a caller
    without the permission, 400 with the reason for a round in the wrong state.
    """

    queryset = EvaluationRound.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = EvaluationRoundSerializer
    filterset_class = EvaluationRoundFilter
    permission_classes = [IsAuthenticated]

    @property
    def is_staff(self) -> bool:
        return market_rules.is_bureau_staff(self.request.user)

    def get_queryset(self) -> QuerySet[EvaluationRound]:
        if self.is_staff:
            return rounds_for_staff()
        return rounds_for_expert(self.request.user)

    def _represent(self, rounds, *, many: bool = False, present: bool = False):
        context = self.get_serializer_context()
        if self.is_staff:
            return EvaluationRoundSerializer(rounds, many=many, context=context).data
        context["present"] = present
        return ExpertEvaluationRoundSerializer(rounds, many=many, context=context).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._represent(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._represent(self.get_object(), present=True))

    # Actions find the round among the caller's, without the list filters.
    def _round(self) -> EvaluationRound:
        return get_object_or_404(rounds_visible_to(self.request.user), pk=self.kwargs["pk"])

    def _own_assignment(self, evaluation: EvaluationRound) -> Assignment:
        assignment = (
            Assignment.objects.select_related("round", "expert__user")
            .filter(round=evaluation, expert__user_id=self.request.user.pk)
            .first()
        )
        if assignment is None:
            raise PermissionDenied(_("Only the experts drawn for this round do this."))
        return assignment

    def _require_manager(self, evaluation: EvaluationRound) -> None:
        # Refuse before reading the body: the service would refuse anyway, after a 400 or 415.
        if not self.request.user.has_perm("marketplace.manage_evaluationround", evaluation):
            raise PermissionDenied

    def _staff_round(self, evaluation: EvaluationRound) -> Response:
        return Response(EvaluationRoundSerializer(rounds_for_staff().get(pk=evaluation.pk)).data)

    @staticmethod
    def _sheet(subject: EvaluationSubject, scores: dict[int, int], comment: str) -> dict:
        return {
            "subject": subject.pk,
            "label": subject.label,
            "scores": {str(pk): value for pk, value in sorted(scores.items())},
            "comment": comment,
        }

    # Experts -------------------------------------------------------------------------------

    @extend_schema(methods=["GET"], request=None, responses={200: ScoreSheetsSerializer})
    @extend_schema(methods=["POST"], request=ScoreInputSerializer, responses={200: ScoreSheetSerializer})
    @action(detail=True, methods=["get", "post"])
    def scores(self, request, pk=None):
        """The caller's own scores in this round (GET), or their scores of one subject (POST,
        replacing earlier ones): a whole number from 0 to 10 for every criterion, until the
        deadline. Experts never see each other's scores."""
        evaluation = self._round()
        assignment = self._own_assignment(evaluation)
        if request.method == "POST":
            serializer = ScoreInputSerializer(data=request.data, evaluation=evaluation)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            services.scores_record(
                assignment=assignment,
                user=request.user,
                subject=data["subject"],
                values=data["scores"],
                comment=data.get("comment", ""),
            )
            comment = ScoreComment.objects.filter(assignment=assignment, subject=data["subject"]).first()
            return Response(self._sheet(data["subject"], data["scores"], comment.comment if comment else ""))
        values: dict[int, dict[int, int]] = {}
        for subject_id, criterion_id, value in Score.objects.filter(assignment=assignment).values_list(
            "subject_id", "criterion_id", "value"
        ):
            values.setdefault(subject_id, {})[criterion_id] = value
        comments = dict(ScoreComment.objects.filter(assignment=assignment).values_list("subject_id", "comment"))
        sheets = [
            self._sheet(subject, values.get(subject.pk, {}), comments.get(subject.pk, ""))
            for subject in evaluation.subjects.all()
        ]
        return Response(
            {"assignment": EvaluationAssignmentSerializer(assignment).data, "sheets": sheets},
        )

    @extend_schema(request=None, responses={200: EvaluationAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Hand in the scores once every subject is scored; they stay correctable until the deadline."""
        assignment = self._own_assignment(self._round())
        assignment = services.assignment_submit(assignment=assignment, user=request.user)
        return Response(EvaluationAssignmentSerializer(assignment).data)

    @extend_schema(request=AssignmentDeclineSerializer, responses={200: EvaluationAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline with a reason (unavailable, a conflict of interest…); the bureau draws a
        replacement. The round is no longer the caller's to read afterwards."""
        assignment = self._own_assignment(self._round())
        serializer = AssignmentDeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = services.assignment_decline(
            assignment=assignment, user=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(EvaluationAssignmentSerializer(assignment).data)

    # Bureau reviewers ----------------------------------------------------------------------

    @extend_schema(request=RoundDrawSerializer, responses={200: EvaluationRoundSerializer})
    @action(detail=True, methods=["post"])
    def draw(self, request, pk=None):
        """Draw the experts at random among the eligible ones and open scoring; the seed is recorded."""
        evaluation = self._round()
        self._require_manager(evaluation)
        serializer = RoundDrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.round_draw(evaluation=evaluation, user=request.user, seed=serializer.validated_data.get("seed"))
        return self._staff_round(evaluation)

    @extend_schema(request=None, responses={200: EvaluationRoundSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the round and publish each subject's result (weighted mean, spread, count)."""
        evaluation = self._round()
        services.round_close(evaluation=evaluation, user=request.user)
        return self._staff_round(evaluation)

    @extend_schema(request=RoundCancelSerializer, responses={200: EvaluationRoundSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the round."""
        evaluation = self._round()
        self._require_manager(evaluation)
        serializer = RoundCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.round_cancel(
            evaluation=evaluation, user=request.user, reason=serializer.validated_data.get("reason", "")
        )
        return self._staff_round(evaluation)

    @extend_schema(
        parameters=[assignment_path_parameter], request=None, responses={201: EvaluationAssignmentSerializer}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"assignments/(?P<assignment_pk>[0-9]+)/replace",
        url_name="assignment-replace",
    )
    def replace(self, request, pk=None, assignment_pk=None):
        """Draw a replacement for an expert who declined, with the same rules, reproducibly."""
        evaluation = self._round()
        assignment = get_object_or_404(evaluation.assignments.select_related("round"), pk=assignment_pk)
        replacement = services.assignment_replace(assignment=assignment, user=request.user)
        replacement = Assignment.objects.select_related("expert__user").get(pk=replacement.pk)
        return Response(EvaluationAssignmentSerializer(replacement).data, status=status.HTTP_201_CREATED)
