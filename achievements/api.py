"""The achievements API: /api/v1/achievements/ and /api/v1/inquiries/ (serializers, viewsets).

Serializers convert at the edge (money in 元 as decimal strings, contacts masked for whoever has
not asked yet); every write goes through achievements.services, so the API, the pages and the
admin behave alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from achievements import rules as achievement_rules
from achievements import services
from achievements.enums import (
    TRL,
    Category,
    DeclineReason,
    InquiryStatus,
    IPRightKind,
    IPRightStatus,
    Source,
    Status,
    TransferMode,
)
from achievements.filters import AchievementFilter, InquiryFilter
from achievements.models import Achievement, Completer, Inquiry, IPRight
from achievements.selectors import (
    SORTS,
    achievement_list_queryset,
    can_see_contact,
    inquiries_for,
    inquiry_messages,
)
from marketplace import rules as market_rules
from marketplace.api.pagination import CappedPagePagination, MessageCursorPagination, UpdatedCursorPagination
from marketplace.api.schema import ErrorSerializer
from marketplace.enums import FileKind
from marketplace.models import IndustryField, Message, Organization, PrivateFile
from marketplace.privacy import mask_email, mask_name, mask_phone
from marketplace.richtext import sanitize_rich_text

# Who reads an achievement's review note and, without asking first, its contact details.
is_owner_member_or_staff = achievement_rules.owner_member | market_rules.is_bureau_staff


def transfer_mode_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=TransferMode.choices)


# Serializers ---------------------------------------------------------------------------------


class RichTextField(serializers.CharField):
    """Formatted text, sanitised again on the way out (rows may predate the current rules)."""

    def to_representation(self, value):
        return sanitize_rich_text(value)


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class CompleterSerializer(serializers.ModelSerializer):
    """A completer; on writes the rank is the position in the list."""

    class Meta:
        model = Completer
        fields = ["rank", "name", "affiliation", "title"]
        read_only_fields = ["rank"]


class IPRightSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=IPRightKind.choices)
    status = serializers.ChoiceField(choices=IPRightStatus.choices, required=False)

    class Meta:
        model = IPRight
        fields = ["kind", "title", "number", "status"]


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    masked = serializers.BooleanField(
        read_only=True, help_text=_("True when the details are masked: the caller's organization has not asked yet.")
    )


class ContactInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    kind = serializers.ChoiceField(choices=FileKind.choices, read_only=True)
    size = serializers.IntegerField(read_only=True, help_text=_("Bytes"))
    url = serializers.SerializerMethodField()

    def get_url(self, private_file: PrivateFile) -> str:
        return self.context["request"].build_absolute_uri(private_file.get_absolute_url())


class AchievementSerializer(serializers.ModelSerializer):
    """An achievement as the caller may see it."""

    description = RichTextField(read_only=True)
    category = serializers.ChoiceField(choices=Category.choices, read_only=True)
    organization = OrganizationRefSerializer(read_only=True)
    industry_fields = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    keywords = serializers.ListField(child=serializers.CharField(), read_only=True)
    trl_label = serializers.CharField(source="get_trl_display", read_only=True)
    transfer_modes = serializers.SerializerMethodField()
    asking_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text=_("Yuan; null when no price is given (then the price is negotiable)."),
    )
    completers = CompleterSerializer(many=True, read_only=True)
    ip_rights = IPRightSerializer(many=True, read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    review_note = serializers.SerializerMethodField()
    source = serializers.ChoiceField(choices=Source.choices, read_only=True)
    is_stale = serializers.BooleanField(read_only=True)
    attachments = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()

    class Meta:
        model = Achievement
        fields = [
            "id",
            "title",
            "summary",
            "description",
            "category",
            "organization",
            "industry_fields",
            "keywords",
            "trl",
            "trl_label",
            "transfer_modes",
            "asking_price",
            "price_negotiable",
            "innovation_points",
            "technical_indicators",
            "application_scenarios",
            "completers",
            "ip_rights",
            "status",
            "review_note",
            "published_at",
            "confirmed_at",
            "is_stale",
            "external_ref",
            "source",
            "updated_at",
            "attachments",
            "contact",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=transfer_mode_field()))
    def get_transfer_modes(self, achievement: Achievement) -> list[str]:
        offered = {row.mode for row in achievement.transfer_modes.all()}
        return [mode for mode in TransferMode.values if mode in offered]

    @extend_schema_field(serializers.CharField(allow_null=True, help_text=_("Only for the owner and bureau staff.")))
    def get_review_note(self, achievement: Achievement) -> str | None:
        return achievement.review_note if is_owner_member_or_staff(self.context["request"].user, achievement) else None

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, achievement: Achievement) -> list[dict]:
        files = self.context.get("attachments")
        if files is None:
            files = readable_attachments([achievement], self.context["request"].user)
        return AttachmentSerializer(files.get(achievement.pk, []), many=True, context=self.context).data

    @extend_schema_field(ContactSerializer)
    def get_contact(self, achievement: Achievement) -> dict:
        if self._contact_visible(achievement):
            return {
                "name": achievement.contact_name,
                "phone": achievement.contact_phone,
                "email": achievement.contact_email,
                "masked": False,
            }
        return {
            "name": mask_name(achievement.contact_name),
            "phone": mask_phone(achievement.contact_phone) if achievement.contact_phone else "",
            "email": mask_email(achievement.contact_email) if achievement.contact_email else "",
            "masked": True,
        }

    def _contact_visible(self, achievement: Achievement) -> bool:
        user = self.context["request"].user
        inquired = self.context.get("inquired_achievement_ids")
        if inquired is None:
            return can_see_contact(user, achievement)
        # A list asked the inquiry half of can_see_contact once for its whole page.
        return achievement.pk in inquired or is_owner_member_or_staff(user, achievement)


class AchievementUpdateSerializer(serializers.Serializer):
    """The fields an owner edits. Status, review note, dates, source and counters belong to
    the server: they are not fields here, so values sent for them are ignored."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=2000)
    description = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Formatted text; scripts and styles are removed.")
    )
    category = serializers.ChoiceField(choices=Category.choices)
    industry_fields = serializers.SlugRelatedField(
        slug_field="code", many=True, required=False, queryset=IndustryField.objects.filter(is_active=True)
    )
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=30), max_length=20, required=False, allow_empty=True
    )
    trl = serializers.ChoiceField(choices=TRL.choices)
    transfer_modes = serializers.ListField(child=transfer_mode_field(), required=False, allow_empty=True)
    asking_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True, help_text=_("Yuan")
    )
    price_negotiable = serializers.BooleanField(required=False)
    innovation_points = serializers.CharField(required=False, allow_blank=True)
    technical_indicators = serializers.CharField(required=False, allow_blank=True)
    application_scenarios = serializers.CharField(required=False, allow_blank=True)
    completers = CompleterSerializer(many=True, required=False)
    ip_rights = IPRightSerializer(many=True, required=False)
    contact = ContactInputSerializer(required=False)

    CHILD_ROWS = ("completers", "ip_rights")

    def service_arguments(self) -> dict:
        """The validated data as keyword arguments of achievement_create / achievement_update."""
        arguments = dict(self.validated_data)
        arguments.pop("organization", None)
        arguments.pop("external_ref", None)
        for name, value in arguments.pop("contact", {}).items():
            arguments[f"contact_{name}"] = value
        for name in self.CHILD_ROWS:
            if name in arguments:
                arguments[name] = [dict(row) for row in arguments[name]]
        return arguments


class AchievementCreateSerializer(AchievementUpdateSerializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"does_not_exist": _("Choose one of your own organizations.")},
        help_text=_("One of the caller's organizations; needed only when the caller belongs to several."),
    )
    external_ref = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text=_("The owner's own reference; set once.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # None while the schema is generated
            self.fields["organization"].queryset = Organization.objects.filter(
                pk__in=market_rules.membership_roles(request.user).keys()
            )

    def validate(self, attrs):
        if "organization" not in attrs:
            own = list(market_rules.membership_roles(self.context["request"].user))
            if len(own) != 1:
                raise serializers.ValidationError(
                    {"organization": [_("You belong to several organizations: choose the one that owns this.")]}
                )
            attrs["organization"] = Organization.objects.get(pk=own[0])
        return attrs


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RequiredReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=_("Shown to the owner."))


class AchievementRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    organization = OrganizationRefSerializer(read_only=True)


class InquirySerializer(serializers.ModelSerializer):
    """An inquiry: `organization` asks, `achievement.organization` answers."""

    achievement = AchievementRefSerializer(read_only=True)
    organization = OrganizationRefSerializer(read_only=True)
    user = UserRefSerializer(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=InquiryStatus.choices, read_only=True)
    decline_reason = serializers.SerializerMethodField()
    message_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Inquiry
        fields = [
            "id",
            "achievement",
            "organization",
            "user",
            "subject",
            "status",
            "decline_reason",
            "decline_note",
            "message_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=DeclineReason.choices, allow_null=True))
    def get_decline_reason(self, inquiry: Inquiry) -> str | None:
        return inquiry.decline_reason or None


class InquiryCreateSerializer(serializers.Serializer):
    achievement = serializers.PrimaryKeyRelatedField(queryset=Achievement.objects.none())
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True)
    body = serializers.CharField(max_length=5000)
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"does_not_exist": _("Choose one of your own organizations.")},
        help_text=_("The asking organization; needed only when the caller belongs to several."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # None while the schema is generated
            self.fields["achievement"].queryset = Achievement.objects.visible_to(request.user)
            self.fields["organization"].queryset = Organization.objects.filter(
                pk__in=market_rules.membership_roles(request.user).keys()
            )


class InquiryMessageSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True, allow_null=True)
    organization = OrganizationRefSerializer(read_only=True)
    body = serializers.CharField(max_length=5000)

    class Meta:
        model = Message
        fields = ["id", "author", "organization", "body", "created_at"]
        read_only_fields = ["id", "author", "organization", "created_at"]


class DeclineSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DeclineReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


# Reads the serializers need in bulk ------------------------------------------------------


def readable_attachments(achievements: Iterable[Achievement], user) -> dict[int, list[PrivateFile]]:
    """{achievement id: the files attached to it that `user` may download}, in one query."""
    by_id = {achievement.pk: achievement for achievement in achievements}
    if not by_id:
        return {}
    files = PrivateFile.objects.filter(
        parent_type=ContentType.objects.get_for_model(Achievement), parent_id__in=by_id
    ).order_by("created_at")
    readable = defaultdict(list)
    for private_file in files:
        # The parent is at hand: the permission check below needs no query per file.
        private_file.parent = by_id[private_file.parent_id]
        if user.has_perm("marketplace.view_privatefile", private_file):
            readable[private_file.parent_id].append(private_file)
    return readable


def inquired_achievement_ids(achievements: Iterable[Achievement], user) -> set[int]:
    """The achievements among `achievements` the user's organizations have asked about."""
    organizations = market_rules.membership_roles(user).keys()
    ids = [achievement.pk for achievement in achievements]
    if not organizations or not ids:
        return set()
    return set(
        Inquiry.objects.filter(achievement_id__in=ids, organization_id__in=organizations).values_list(
            "achievement_id", flat=True
        )
    )


# Pagination ----------------------------------------------------------------------------------


# Viewsets ------------------------------------------------------------------------------------

transition_responses = {200: AchievementSerializer}


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "page",
                int,
                description=_("Page number (1–50); only together with `ordering`, which pages by number."),
            )
        ]
    ),
    create=extend_schema(request=AchievementCreateSerializer, responses={201: AchievementSerializer}),
    update=extend_schema(request=AchievementUpdateSerializer, responses={200: AchievementSerializer}),
    partial_update=extend_schema(request=AchievementUpdateSerializer, responses={200: AchievementSerializer}),
)
class AchievementViewSet(viewsets.ModelViewSet):
    """Achievements (科技成果) as the caller may see them.

    Visitors and other organizations see published and transferred achievements; members of the
    owner organization also see its drafts and submissions; bureau staff see all. An achievement
    the caller may not see is 404, for reads and writes alike; PUT, PATCH and DELETE reach only
    the caller's own organizations' achievements (another organization's is 404 there too).

    Pages: without `ordering`, cursor pages over (-updated_at, -id), stable while rows change
    (the sync order, for `updated_since`). With `ordering` (newest, price_low, price_high,
    trl_high, popular) pages are numbered (`page`) and capped at 50: a sort by a repeating or
    empty key (price, readiness, views) cannot be cursor-paged reliably, and deep pages of a
    sorted list are for browsing, not syncing. Both have the shape {next, previous, results}.

    Status changes are POST actions named after the verb; each calls the service, which refuses
    a transition the lifecycle does not allow (400, the lifecycle's message) or a caller who may
    see the achievement but lacks the permission (403).
    """

    queryset = Achievement.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = AchievementSerializer
    filterset_class = AchievementFilter
    pagination_class = UpdatedCursorPagination
    permission_classes = [IsAuthenticatedOrReadOnly]

    def get_queryset(self) -> QuerySet[Achievement]:
        user = self.request.user
        queryset = achievement_list_queryset().prefetch_related(
            Prefetch("completers", queryset=Completer.objects.order_by("rank")),
            Prefetch("ip_rights", queryset=IPRight.objects.order_by("id")),
        )
        if self.action in ("update", "partial_update", "destroy"):
            # Edits reach only the caller's own achievements: another organization's is 404
            # even where the public may read it.
            return queryset.filter(organization_id__in=market_rules.membership_roles(user).keys())
        return queryset.visible_to(user)

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            request = getattr(self, "request", None)
            ordered = request is not None and request.query_params.get("ordering") in SORTS
            self._paginator = CappedPagePagination() if ordered else self.pagination_class()
        return self._paginator

    def _represent(self, achievement: Achievement) -> dict:
        context = self.get_serializer_context()
        context["attachments"] = readable_attachments([achievement], self.request.user)
        return AchievementSerializer(achievement, context=context).data

    def _reloaded(self, achievement: Achievement) -> dict:
        # Child rows were replaced by the service: read them again, joined.
        return self._represent(self.get_queryset().get(pk=achievement.pk))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = self.get_serializer_context()
        context["attachments"] = readable_attachments(page, request.user)
        context["inquired_achievement_ids"] = inquired_achievement_ids(page, request.user)
        return self.get_paginated_response(AchievementSerializer(page, many=True, context=context).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self._represent(self.get_object()))

    def create(self, request, *args, **kwargs):
        if not market_rules.membership_roles(request.user):
            raise PermissionDenied(_("Only members of an organization can add achievements."))
        serializer = AchievementCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        achievement = services.achievement_create(
            user=request.user,
            organization=serializer.validated_data["organization"],
            external_ref=serializer.validated_data.get("external_ref", ""),
            **serializer.service_arguments(),
        )
        return Response(self._reloaded(achievement), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        achievement = self.get_object()
        # Refuse before validating: an achievement under review is not the caller's to edit.
        if not request.user.has_perm("achievements.change_achievement", achievement):
            raise PermissionDenied
        serializer = AchievementUpdateSerializer(
            data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        achievement = services.achievement_update(
            achievement=achievement, user=request.user, **serializer.service_arguments()
        )
        return Response(self._reloaded(achievement))

    def perform_destroy(self, instance):
        services.achievement_delete(achievement=instance, user=self.request.user)

    def _transition(self, request, change, reason_serializer=None):
        achievement = self.get_object()
        arguments = {}
        if reason_serializer is not None:
            serializer = reason_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            arguments = serializer.validated_data
        change(achievement, request.user, **arguments)
        return Response(self._represent(achievement))

    @extend_schema(request=None, responses=transition_responses)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit for publication: to the institution's own approval first if it asks for that."""
        return self._transition(
            request, lambda achievement, user: services.achievement_submit(achievement=achievement, user=user)
        )

    @extend_schema(request=None, responses=transition_responses)
    @action(detail=True, methods=["post"], url_path="approve-internally", url_name="approve-internally")
    def approve_internally(self, request, pk=None):
        """The institution's administrators pass a submission on to the bureau."""
        return self._transition(
            request,
            lambda achievement, user: services.achievement_approve_internally(achievement=achievement, user=user),
        )

    @extend_schema(request=RequiredReasonSerializer, responses=transition_responses)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_internally(self, request, pk=None):
        """The institution's administrators send a submission back to its author."""
        return self._transition(
            request,
            lambda achievement, user, reason: services.achievement_return_internally(
                achievement=achievement, user=user, reason=reason
            ),
            RequiredReasonSerializer,
        )

    @extend_schema(request=None, responses=transition_responses)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """A bureau reviewer publishes."""
        return self._transition(
            request, lambda achievement, user: services.achievement_publish(achievement=achievement, reviewer=user)
        )

    @extend_schema(request=RequiredReasonSerializer, responses=transition_responses)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """A bureau reviewer rejects, with a reason the owner sees."""
        return self._transition(
            request,
            lambda achievement, user, reason: services.achievement_reject(
                achievement=achievement, reviewer=user, reason=reason
            ),
            RequiredReasonSerializer,
        )

    @extend_schema(request=ReasonSerializer, responses=transition_responses)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The owner takes the achievement off the market or out of review."""
        return self._transition(
            request,
            lambda achievement, user, reason="": services.achievement_withdraw(
                achievement=achievement, user=user, reason=reason
            ),
            ReasonSerializer,
        )

    @extend_schema(request=None, responses=transition_responses)
    @action(detail=True, methods=["post"], url_path="mark-transferred", url_name="mark-transferred")
    def mark_transferred(self, request, pk=None):
        """The owner records that the achievement has been transferred."""
        return self._transition(
            request,
            lambda achievement, user: services.achievement_mark_transferred(achievement=achievement, user=user),
        )

    @extend_schema(request=None, responses=transition_responses)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The owner confirms a published listing is still current."""
        return self._transition(
            request, lambda achievement, user: services.achievement_confirm(achievement=achievement, user=user)
        )


def visible_inquiries(user) -> QuerySet[Inquiry]:
    """The inquiries of the user's organizations; bureau staff see every inquiry."""
    if market_rules.is_bureau_staff(user):
        return (
            Inquiry.objects.select_related("achievement", "achievement__organization", "organization", "user")
            .annotate(message_count=Count("messages"))
            .order_by("-updated_at", "-id")
        )
    return inquiries_for(user)


@extend_schema_view(create=extend_schema(request=InquiryCreateSerializer, responses={201: InquirySerializer}))
class InquiryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Inquiries about achievements, for their two parties: the asking organization and the
    owner organization (bureau staff read all). Anyone else gets 404. Messages are at
    /inquiries/{id}/messages/."""

    queryset = Inquiry.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = InquirySerializer
    filterset_class = InquiryFilter
    permission_classes = [IsAuthenticated]
    abuse_limit = "inquiry"  # POSTs share the inquiry page's counter (marketplace/ratelimits.py)

    def get_queryset(self) -> QuerySet[Inquiry]:
        return visible_inquiries(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = InquiryCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        inquiry = services.inquiry_create(
            achievement=data["achievement"],
            user=request.user,
            subject=data.get("subject", ""),
            body=data["body"],
            organization=data.get("organization"),
        )
        inquiry = self.get_queryset().get(pk=inquiry.pk)
        return Response(self.get_serializer(inquiry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DeclineSerializer, responses={200: InquirySerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """The asking side declines, with a structured reason."""
        inquiry = self.get_object()
        serializer = DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.inquiry_decline(inquiry=inquiry, user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(inquiry).data)

    @extend_schema(request=None, responses={200: InquirySerializer})
    @action(detail=True, methods=["post"], url_path="start-deal", url_name="start-deal")
    def start_deal(self, request, pk=None):
        """Either party moves an answered inquiry on to negotiating a deal."""
        inquiry = self.get_object()
        services.inquiry_start_deal(inquiry=inquiry, user=request.user)
        return Response(self.get_serializer(inquiry).data)


inquiry_path_parameter = OpenApiParameter("inquiry_pk", int, OpenApiParameter.PATH, description=_("Inquiry id"))


@extend_schema_view(
    list=extend_schema(
        parameters=[inquiry_path_parameter],
        responses={
            200: InquiryMessageSerializer(many=True),
            404: OpenApiResponse(ErrorSerializer, description="Not found, or not visible to the caller"),
        },
    ),
    create=extend_schema(parameters=[inquiry_path_parameter], responses={201: InquiryMessageSerializer}),
)
class InquiryMessageViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The messages of one inquiry, oldest first; either party posts (the owner's first reply
    marks the inquiry answered)."""

    queryset = Message.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = InquiryMessageSerializer
    pagination_class = MessageCursorPagination
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_inquiry(self) -> Inquiry:
        if not hasattr(self, "_inquiry"):
            self._inquiry = get_object_or_404(visible_inquiries(self.request.user), pk=self.kwargs["inquiry_pk"])
        return self._inquiry

    def get_queryset(self) -> QuerySet[Message]:
        return inquiry_messages(self.get_inquiry())

    def create(self, request, *args, **kwargs):
        inquiry = self.get_inquiry()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.inquiry_reply(inquiry=inquiry, user=request.user, body=serializer.validated_data["body"])
        return Response(self.get_serializer(message).data, status=status.HTTP_201_CREATED)
