"""The demands API: /api/v1/demands/ and /api/v1/demands/{demand_pk}/responses/ (serializers, viewsets).

Every demand is represented through `selectors.present(demand, user)`, the one place that
decides what of a demand a caller may see, exactly as the board pages do: an anonymous demand
does not name its enterprise (no organization, contact, attachments or external reference,
the region at city level) to anyone but its members, bureau staff and its assigned brokers; a
confidential demand shows outsiders its title, summary, industry fields, type, deadline,
status and city only. Hidden fields are null, and `enterprise_hidden` / `details_hidden` say
why. Money is in 元 as decimal strings. Every write goes through demands.services, so the API,
the pages and the admin behave alike; what the caller may not see is 404.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_description_list
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

from achievements.api import (
    AttachmentSerializer,
    OrganizationRefSerializer,
    UserRefSerializer,
)
from achievements.models import Achievement
from demands import rules as demand_rules
from demands import selectors, services
from demands.enums import CooperationMode, DemandType, ResponseDeclineReason, ResponseStatus, Source, Status, Visibility
from demands.filters import DemandFilter, DemandResponseFilter
from demands.models import Demand, DemandResponse
from marketplace import rules as market_rules
from marketplace.api.pagination import CappedPagePagination, MessageCursorPagination, UpdatedCursorPagination
from marketplace.api.schema import ErrorSerializer
from marketplace.models import IndustryField, Message, Organization, PrivateFile, Region
from marketplace.privacy import mask_email, mask_name, mask_phone, may_see_contact
from marketplace.validators import validate_mobile_phone

# Who reads a demand's review and closing notes and the organizations it invites.
is_owner_member_or_staff = demand_rules.owner_member | market_rules.is_bureau_staff

money_help_text = _("Yuan, as a decimal string.")


def money_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class EnumField(serializers.ChoiceField):
    """A choice field documented in the OpenAPI schema as one enum component named after its
    choice set (DemandStatusEnum…), whatever the field is called: the schema's own naming
    collides on field names shared across apps (`status`, `source`, `reason`)."""

    def __init__(self, choices_class, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(choices=choices_class.choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema, direction) -> dict:
        choices = self.target.choices
        return {"type": "string", "enum": list(choices), "description": build_choice_description_list(choices.items())}


def demand_type_field(**kwargs) -> EnumField:
    return EnumField(DemandType, enum_name="DemandTypeEnum", **kwargs)


def cooperation_mode_field(**kwargs) -> EnumField:
    return EnumField(CooperationMode, enum_name="CooperationModeEnum", **kwargs)


def decline_reason_field(**kwargs) -> EnumField:
    return EnumField(ResponseDeclineReason, enum_name="ResponseDeclineReasonEnum", **kwargs)


# What a caller sees ------------------------------------------------------------------------


def shows_enterprise_material(presentation: selectors.DemandPresentation) -> bool:
    """Contact, attachments and external reference: only where both the enterprise and the
    details may be seen (a file's name or contents can name the enterprise)."""
    return presentation.enterprise is not None and presentation.details


def readable_files(parents: Iterable, user) -> dict[int, list[PrivateFile]]:
    """{parent id: the files attached to it that `user` may download}, in one query. The
    parents are demands or responses, all of one model, with what their permission reads
    already loaded."""
    by_id = {parent.pk: parent for parent in parents}
    if not by_id:
        return {}
    model = type(next(iter(by_id.values())))
    files = PrivateFile.objects.filter(
        parent_type=ContentType.objects.get_for_model(model), parent_id__in=by_id
    ).order_by("created_at")
    readable = defaultdict(list)
    for private_file in files:
        # The parent is at hand: the permission check below needs no query per file.
        private_file.parent = by_id[private_file.parent_id]
        if user.has_perm("marketplace.view_privatefile", private_file):
            readable[private_file.parent_id].append(private_file)
    return readable


# Serializers ---------------------------------------------------------------------------------


class DemandRegionSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)


class DemandContactSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)


class DemandSerializer(serializers.Serializer):
    """A demand as the caller may see it; its instance is `selectors.present(demand, user)`.

    Fields the caller may not see are null: ENTERPRISE_FIELDS when the enterprise is hidden,
    DETAIL_FIELDS when the details are, INSIDER_FIELDS for everyone but the enterprise's
    members and bureau staff. They are never read, so nothing hidden reaches the output.
    """

    ENTERPRISE_FIELDS = frozenset({"organization", "contact", "attachments", "external_ref"})
    DETAIL_FIELDS = frozenset(
        {"problem", "desired_outcome", "technical_indicators", "keywords", "min_trl", "budget_min", "budget_max",
         "budget_negotiable", "cooperation_modes", "contact", "attachments", "external_ref"}
    )  # fmt: skip
    INSIDER_FIELDS = frozenset({"review_note", "close_note", "invited_organizations"})

    id = serializers.IntegerField(source="demand.pk", read_only=True)
    title = serializers.CharField(source="demand.title", read_only=True)
    summary = serializers.CharField(source="demand.summary", read_only=True)
    industry_fields = serializers.SerializerMethodField()
    demand_type = demand_type_field(source="demand.demand_type", read_only=True)
    deadline = serializers.DateField(source="demand.deadline", read_only=True)
    status = EnumField(Status, enum_name="DemandStatusEnum", source="demand.status", read_only=True)
    published_at = serializers.DateTimeField(source="demand.published_at", read_only=True, allow_null=True)
    region = serializers.SerializerMethodField()
    visibility = EnumField(Visibility, enum_name="DemandVisibilityEnum", source="demand.visibility", read_only=True)
    enterprise_hidden = serializers.SerializerMethodField(
        help_text=_("True when the demand is anonymous to the caller: no organization, contact or attachments.")
    )
    details_hidden = serializers.SerializerMethodField(
        help_text=_("True when the demand is confidential to the caller: only title, summary and fields are shown.")
    )
    organization = OrganizationRefSerializer(
        source="enterprise", read_only=True, allow_null=True, help_text=_("The enterprise; null when hidden.")
    )
    problem = serializers.CharField(source="demand.problem", read_only=True, allow_null=True)
    desired_outcome = serializers.CharField(source="demand.desired_outcome", read_only=True, allow_null=True)
    technical_indicators = serializers.CharField(source="demand.technical_indicators", read_only=True, allow_null=True)
    keywords = serializers.ListField(
        source="demand.keywords", child=serializers.CharField(), read_only=True, allow_null=True
    )
    min_trl = serializers.IntegerField(
        source="demand.min_trl", read_only=True, allow_null=True, help_text=_("Lowest readiness level wanted (1–9).")
    )
    budget_min = money_field(source="demand.budget_min", read_only=True, allow_null=True, help_text=money_help_text)
    budget_max = money_field(source="demand.budget_max", read_only=True, allow_null=True, help_text=money_help_text)
    budget_negotiable = serializers.BooleanField(source="demand.budget_negotiable", read_only=True, allow_null=True)
    cooperation_modes = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    external_ref = serializers.CharField(source="demand.external_ref", read_only=True, allow_null=True)
    source = EnumField(Source, enum_name="DemandSourceEnum", source="demand.source", read_only=True)
    needs_enterprise_confirmation = serializers.BooleanField(
        source="demand.needs_enterprise_confirmation", read_only=True
    )
    review_note = serializers.CharField(
        source="demand.review_note",
        read_only=True,
        allow_null=True,
        help_text=_("Why the bureau rejected it; only for the enterprise and bureau staff."),
    )
    close_note = serializers.CharField(
        source="demand.close_note",
        read_only=True,
        allow_null=True,
        help_text=_("Only for the enterprise and bureau staff."),
    )
    invited_organizations = serializers.SerializerMethodField()
    confirmed_at = serializers.DateTimeField(source="demand.confirmed_at", read_only=True, allow_null=True)
    is_stale = serializers.BooleanField(source="demand.is_stale", read_only=True)
    view_count = serializers.IntegerField(source="demand.view_count", read_only=True)
    updated_at = serializers.DateTimeField(source="demand.updated_at", read_only=True)

    def hidden_fields(self, presentation: selectors.DemandPresentation) -> frozenset[str]:
        hidden = set()
        if presentation.enterprise is None:
            hidden |= self.ENTERPRISE_FIELDS
        if not presentation.details:
            hidden |= self.DETAIL_FIELDS
        if not is_owner_member_or_staff(self.context["request"].user, presentation.demand):
            hidden |= self.INSIDER_FIELDS
        return frozenset(hidden)

    def to_representation(self, presentation: selectors.DemandPresentation) -> dict:
        hidden = self.hidden_fields(presentation)
        data = {}
        for field in self._readable_fields:
            if field.field_name in hidden:
                data[field.field_name] = None
                continue
            attribute = field.get_attribute(presentation)
            data[field.field_name] = None if attribute is None else field.to_representation(attribute)
        return data

    def get_industry_fields(self, presentation) -> list[str]:
        return [field.code for field in presentation.demand.industry_fields.all()]

    @extend_schema_field(
        DemandRegionSerializer(allow_null=True, help_text=_("The city only, where that is all the caller may know."))
    )
    def get_region(self, presentation) -> dict | None:
        region = presentation.region
        return None if region is None else DemandRegionSerializer(region).data

    @extend_schema_field(serializers.BooleanField())
    def get_enterprise_hidden(self, presentation) -> bool:
        return presentation.enterprise is None

    @extend_schema_field(serializers.BooleanField())
    def get_details_hidden(self, presentation) -> bool:
        return not presentation.details

    @extend_schema_field(serializers.ListField(child=cooperation_mode_field(), allow_null=True))
    def get_cooperation_modes(self, presentation) -> list[str]:
        offered = {row.mode for row in presentation.demand.cooperation_modes.all()}
        return [mode for mode in CooperationMode.values if mode in offered]

    @extend_schema_field(
        DemandContactSerializer(allow_null=True, help_text=_("For logged-in callers who may see the enterprise."))
    )
    def get_contact(self, presentation) -> dict | None:
        demand = presentation.demand
        user = self.context["request"].user
        if not user.is_authenticated:
            return None
        if may_see_contact(user):
            return {"name": demand.contact_name, "phone": demand.contact_phone, "email": demand.contact_email}
        # The pages' rule (marketplace.privacy): people outside a verified organization see it masked.
        return {
            "name": mask_name(demand.contact_name),
            "phone": mask_phone(demand.contact_phone) if demand.contact_phone else "",
            "email": mask_email(demand.contact_email) if demand.contact_email else "",
        }

    @extend_schema_field(AttachmentSerializer(many=True, allow_null=True))
    def get_attachments(self, presentation) -> list[dict]:
        demand = presentation.demand
        files = self.context.get("attachments")
        if files is None:
            files = readable_files([demand], self.context["request"].user)
        return AttachmentSerializer(files.get(demand.pk, []), many=True, context=self.context).data

    @extend_schema_field(OrganizationRefSerializer(many=True, allow_null=True))
    def get_invited_organizations(self, presentation) -> list[dict]:
        organizations = sorted(presentation.demand.invited_organizations.all(), key=lambda o: o.pk)
        return OrganizationRefSerializer(organizations, many=True).data


class DemandContactInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, validators=[validate_mobile_phone])
    email = serializers.EmailField(required=False, allow_blank=True)


class DemandUpdateSerializer(serializers.Serializer):
    """The fields an enterprise edits. Status, source, recorder, dates, notes and counters
    belong to the server: they are not fields here, so values sent for them are ignored."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(
        max_length=300, help_text=_("One or two sentences everyone may read, even for a confidential demand.")
    )
    problem = serializers.CharField(max_length=5000)
    desired_outcome = serializers.CharField(max_length=3000, required=False, allow_blank=True)
    technical_indicators = serializers.CharField(max_length=3000, required=False, allow_blank=True)
    industry_fields = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        required=False,
        queryset=IndustryField.objects.filter(is_active=True),
        help_text=_("Industry field codes; at least one before submitting."),
    )
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=30), max_length=20, required=False, allow_empty=True
    )
    demand_type = demand_type_field()
    min_trl = serializers.IntegerField(min_value=1, max_value=9, required=False, allow_null=True)
    budget_min = money_field(min_value=0, required=False, allow_null=True, help_text=money_help_text)
    budget_max = money_field(min_value=0, required=False, allow_null=True, help_text=money_help_text)
    budget_negotiable = serializers.BooleanField(required=False)
    deadline = serializers.DateField(help_text=_("The demand expires after this day; not in the past."))
    cooperation_modes = serializers.ListField(child=cooperation_mode_field(), required=False, allow_empty=True)
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        help_text=_("Division code where the work is needed; defaults to the enterprise's region."),
    )
    visibility = EnumField(Visibility, enum_name="DemandVisibilityEnum", required=False)
    invited_organizations = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Organization.objects.verified(),
        help_text=_("Verified organizations that see the details of a confidential demand."),
    )
    contact = DemandContactInputSerializer(required=False)

    def service_arguments(self) -> dict:
        """The validated data as keyword arguments of demand_create / demand_update."""
        arguments = dict(self.validated_data)
        arguments.pop("organization", None)
        arguments.pop("external_ref", None)
        for name, value in arguments.pop("contact", {}).items():
            arguments[f"contact_{name}"] = value
        return arguments


class DemandCreateSerializer(DemandUpdateSerializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"does_not_exist": _("Choose one of your own organizations.")},
        help_text=_("One of the caller's organizations; needed only when the caller belongs to several."),
    )
    external_ref = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text=_("The enterprise's own reference; set once.")
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
                    {"organization": [_("You belong to several organizations: choose the one that posts this demand.")]}
                )
            attrs["organization"] = Organization.objects.get(pk=own[0])
        return attrs


class DemandRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=_("Shown to the enterprise."))


class DemandNoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text=_("Told to the live responders.")
    )


class ResponseDemandSerializer(serializers.Serializer):
    """The demand a response answers, as the caller may see it."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    organization = OrganizationRefSerializer(
        read_only=True, allow_null=True, help_text=_("The enterprise; null when hidden.")
    )
    enterprise_hidden = serializers.BooleanField(read_only=True)


class LinkedAchievementSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)


class DemandResponseSerializer(serializers.ModelSerializer):
    """A response: `organization` proposes, the demand's enterprise decides."""

    demand = serializers.SerializerMethodField()
    organization = OrganizationRefSerializer(read_only=True, help_text=_("The responding organization."))
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    status = EnumField(ResponseStatus, enum_name="DemandResponseStatusEnum", read_only=True)
    price_idea = money_field(read_only=True, allow_null=True, help_text=money_help_text)
    achievements = LinkedAchievementSerializer(many=True, read_only=True)
    decline_reason = serializers.SerializerMethodField()
    message_count = serializers.IntegerField(read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = DemandResponse
        fields = [
            "id",
            "demand",
            "organization",
            "created_by",
            "status",
            "approach",
            "team",
            "price_idea",
            "achievements",
            "decline_reason",
            "decline_note",
            "message_count",
            "attachments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ResponseDemandSerializer)
    def get_demand(self, response: DemandResponse) -> dict:
        presentation = selectors.present(response.demand, self.context["request"].user)
        enterprise = presentation.enterprise
        return {
            "id": response.demand.pk,
            "title": response.demand.title,
            "organization": None if enterprise is None else {"id": enterprise.pk, "name": enterprise.name},
            "enterprise_hidden": enterprise is None,
        }

    @extend_schema_field(decline_reason_field(allow_null=True))
    def get_decline_reason(self, response: DemandResponse) -> str | None:
        return response.decline_reason or None

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, response: DemandResponse) -> list[dict]:
        files = self.context.get("attachments")
        if files is None:
            files = readable_files([response], self.context["request"].user)
        return AttachmentSerializer(files.get(response.pk, []), many=True, context=self.context).data


class DemandResponseCreateSerializer(serializers.Serializer):
    approach = serializers.CharField(max_length=5000)
    team = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    price_idea = money_field(min_value=0, required=False, allow_null=True, help_text=money_help_text)
    achievements = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Achievement.objects.none(),
        help_text=_("Published achievements of the responding organization that apply."),
    )
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"does_not_exist": _("Choose one of your own organizations.")},
        help_text=_("The responding organization; needed only when the caller belongs to several."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # None while the schema is generated
            own = market_rules.membership_roles(request.user).keys()
            self.fields["achievements"].child_relation.queryset = Achievement.objects.public().filter(
                organization_id__in=own
            )
            self.fields["organization"].queryset = Organization.objects.filter(pk__in=own)


class DemandResponseDeclineSerializer(serializers.Serializer):
    reason = decline_reason_field()
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, help_text=_("Shown to the responder.")
    )


class DemandResponseMessageSerializer(serializers.ModelSerializer):
    """A message between the enterprise and the responder. A message from the enterprise of
    a demand anonymous to the caller names neither the enterprise nor its author."""

    from_enterprise = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()
    body = serializers.CharField(max_length=5000)

    class Meta:
        model = Message
        fields = ["id", "from_enterprise", "author", "organization", "body", "created_at"]
        read_only_fields = ["id", "from_enterprise", "author", "organization", "created_at"]

    def _anonymous(self, message: Message) -> bool:
        return self.get_from_enterprise(message) and self.context["enterprise_hidden"]

    def get_from_enterprise(self, message: Message) -> bool:
        return message.organization_id == self.context["demand"].organization_id

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_author(self, message: Message) -> dict | None:
        if message.author is None or self._anonymous(message):
            return None
        return {"id": message.author.pk, "name": message.author.name}

    @extend_schema_field(OrganizationRefSerializer(allow_null=True))
    def get_organization(self, message: Message) -> dict | None:
        if self._anonymous(message):
            return None
        return {"id": message.organization.pk, "name": message.organization.name}


# Viewsets ------------------------------------------------------------------------------------

demand_transition_responses = {200: DemandSerializer}


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
    create=extend_schema(request=DemandCreateSerializer, responses={201: DemandSerializer}),
    update=extend_schema(request=DemandUpdateSerializer, responses={200: DemandSerializer}),
    partial_update=extend_schema(request=DemandUpdateSerializer, responses={200: DemandSerializer}),
)
class DemandViewSet(viewsets.ModelViewSet):
    """Enterprise technical demands (企业技术需求) as the caller may see them.

    Visitors and other organizations see the board: published, negotiating and solved demands.
    Members of the enterprise also see its other statuses, assigned brokers the demands assigned
    to them, bureau staff all. A demand the caller may not see is 404; PUT, PATCH and DELETE
    reach only the caller's own organizations' demands (another organization's is 404 there too).

    What of a demand is shown follows the board: an anonymous demand hides its enterprise from
    all but its members, bureau staff and assigned brokers (`enterprise_hidden`); a confidential
    one hides its details from all but those and the organizations it invites
    (`details_hidden`). Hidden fields are null.

    Pages: without `ordering`, cursor pages over (-updated_at, -id), stable while rows change
    (the sync order, for `updated_since`). With `ordering` (newest, deadline, budget_high,
    popular) pages are numbered (`page`) and capped at 50. Both have the shape
    {next, previous, results}.

    Status changes are POST actions named after the verb; each calls the service, which refuses
    a transition the lifecycle does not allow (400) or a caller who may see the demand but lacks
    the permission (403).
    """

    queryset = Demand.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = DemandSerializer
    filterset_class = DemandFilter
    pagination_class = UpdatedCursorPagination
    permission_classes = [IsAuthenticatedOrReadOnly]

    def get_queryset(self) -> QuerySet[Demand]:
        user = self.request.user
        queryset = selectors.demand_list_queryset()
        if self.action in ("update", "partial_update", "destroy"):
            # Edits reach only the caller's own demands: another organization's is 404 even
            # where the public may read it.
            return queryset.filter(organization_id__in=market_rules.membership_roles(user).keys())
        return queryset.visible_to(user)

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            request = getattr(self, "request", None)
            ordered = request is not None and request.query_params.get("ordering") in selectors.SORTS
            self._paginator = CappedPagePagination() if ordered else self.pagination_class()
        return self._paginator

    def _represent(self, demands: Iterable[Demand], *, many: bool = False):
        user = self.request.user
        presentations = selectors.present_many(demands, user)
        context = self.get_serializer_context()
        context["attachments"] = readable_files(
            [presentation.demand for presentation in presentations if shows_enterprise_material(presentation)], user
        )
        if many:
            return DemandSerializer(presentations, many=True, context=context).data
        return DemandSerializer(presentations[0], context=context).data

    def _reloaded(self, demand: Demand) -> dict:
        # Child rows were replaced by the service: read them again, joined.
        return self._represent([selectors.demand_list_queryset().get(pk=demand.pk)])

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._represent(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._represent([self.get_object()]))

    def create(self, request, *args, **kwargs):
        if not market_rules.membership_roles(request.user):
            raise PermissionDenied(_("Only members of an organization can post demands."))
        serializer = DemandCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        demand = services.demand_create(
            user=request.user,
            organization=serializer.validated_data["organization"],
            external_ref=serializer.validated_data.get("external_ref", ""),
            **serializer.service_arguments(),
        )
        return Response(self._reloaded(demand), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        demand = self.get_object()
        # Refuse before validating: a demand under review is not the caller's to edit.
        if not request.user.has_perm("demands.change_demand", demand):
            raise PermissionDenied
        serializer = DemandUpdateSerializer(
            data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        demand = services.demand_update(demand=demand, user=request.user, **serializer.service_arguments())
        return Response(self._reloaded(demand))

    def perform_destroy(self, instance):
        services.demand_delete(demand=instance, user=self.request.user)

    def _transition(self, request, change, argument_serializer=None):
        demand = self.get_object()
        arguments = {}
        if argument_serializer is not None:
            serializer = argument_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            arguments = serializer.validated_data
        change(demand, request.user, **arguments)
        return Response(self._represent([demand]))

    @extend_schema(request=None, responses=demand_transition_responses)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The enterprise submits a draft (or a rejected or expired demand) for the bureau's review."""
        return self._transition(request, lambda demand, user: services.demand_submit(demand=demand, user=user))

    @extend_schema(request=None, responses=demand_transition_responses)
    @action(detail=True, methods=["post"], url_path="confirm-recorded", url_name="confirm-recorded")
    def confirm_recorded(self, request, pk=None):
        """The enterprise's administrators confirm a demand recorded on its behalf; it is then submitted."""
        return self._transition(
            request, lambda demand, user: services.demand_confirm_recorded(demand=demand, user=user)
        )

    @extend_schema(request=None, responses=demand_transition_responses)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """A bureau reviewer publishes the demand on the board."""
        return self._transition(request, lambda demand, user: services.demand_publish(demand=demand, reviewer=user))

    @extend_schema(request=DemandRejectSerializer, responses=demand_transition_responses)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """A bureau reviewer rejects, with a reason the enterprise sees."""
        return self._transition(
            request,
            lambda demand, user, reason: services.demand_reject(demand=demand, reviewer=user, reason=reason),
            DemandRejectSerializer,
        )

    @extend_schema(request=DemandNoteSerializer, responses=demand_transition_responses)
    @action(detail=True, methods=["post"])
    def solve(self, request, pk=None):
        """The enterprise found its solution."""
        return self._transition(
            request,
            lambda demand, user, note="": services.demand_mark_solved(demand=demand, user=user, note=note),
            DemandNoteSerializer,
        )

    @extend_schema(request=DemandNoteSerializer, responses=demand_transition_responses)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """The enterprise takes the demand off the board without a solution."""
        return self._transition(
            request,
            lambda demand, user, note="": services.demand_close(demand=demand, user=user, note=note),
            DemandNoteSerializer,
        )

    @extend_schema(request=None, responses=demand_transition_responses)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Back from negotiating to open for responses."""
        return self._transition(request, lambda demand, user: services.demand_reopen(demand=demand, user=user))

    @extend_schema(request=None, responses=demand_transition_responses)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The enterprise confirms an open demand is still current."""
        return self._transition(request, lambda demand, user: services.demand_confirm(demand=demand, user=user))


def response_demand(user, demand_pk) -> Demand:
    """The demand of a responses URL: one the caller may see, or one their organizations have
    responded to (a responder keeps its response when the demand leaves the board). 404 otherwise."""
    demand = get_object_or_404(selectors.demand_list_queryset(), pk=demand_pk)
    if user.has_perm("demands.view_demand", demand):
        return demand
    own = market_rules.membership_roles(user).keys()
    if own and DemandResponse.objects.filter(demand=demand, organization_id__in=own).exists():
        return demand
    raise Http404


def visible_responses(user, demand: Demand) -> QuerySet[DemandResponse]:
    """The responses to `demand` the user may read: all for the enterprise's members and
    bureau staff, its own organizations' for a responder, none for anyone else."""
    queryset = (
        selectors.response_list_queryset()
        .filter(demand=demand)
        .annotate(message_count=Count("messages", distinct=True))
    )
    if market_rules.is_bureau_staff(user) or demand_rules.owner_member(user, demand):
        return queryset
    return queryset.filter(organization_id__in=list(market_rules.membership_roles(user)))


demand_path_parameter = OpenApiParameter("demand_pk", int, OpenApiParameter.PATH, description=_("Demand id"))
response_transition_responses = {200: DemandResponseSerializer}


@extend_schema_view(
    list=extend_schema(parameters=[demand_path_parameter]),
    retrieve=extend_schema(parameters=[demand_path_parameter]),
    create=extend_schema(
        parameters=[demand_path_parameter],
        request=DemandResponseCreateSerializer,
        responses={201: DemandResponseSerializer},
    ),
    shortlist=extend_schema(parameters=[demand_path_parameter]),
    decline=extend_schema(parameters=[demand_path_parameter]),
    start_deal=extend_schema(parameters=[demand_path_parameter]),
    withdraw=extend_schema(parameters=[demand_path_parameter]),
)
class DemandResponseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Responses (proposals) to one demand, for their two parties: the enterprise's members
    read every response to its demand, a responding organization reads its own, bureau staff
    read all; anyone else reads none (a response of theirs is 404). A responder never learns
    the enterprise of an anonymous demand here either.

    POST responds (members of a verified organization other than the enterprise, to an open
    demand whose details they may see; one live response per organization). The enterprise
    shortlists, declines with a reason the responder sees, or starts a deal; the responder
    withdraws. Messages are at .../responses/{response_pk}/messages/.
    """

    queryset = DemandResponse.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = DemandResponseSerializer
    filterset_class = DemandResponseFilter
    permission_classes = [IsAuthenticated]
    abuse_limit = "response"  # POSTs share the page's counter (marketplace/ratelimits.py)

    def get_demand(self) -> Demand:
        if not hasattr(self, "_demand"):
            self._demand = response_demand(self.request.user, self.kwargs["demand_pk"])
        return self._demand

    def get_queryset(self) -> QuerySet[DemandResponse]:
        return visible_responses(self.request.user, self.get_demand())

    def _represent(self, responses: list[DemandResponse], *, many: bool = False):
        context = self.get_serializer_context()
        context["attachments"] = readable_files(responses, self.request.user)
        if many:
            return DemandResponseSerializer(responses, many=True, context=context).data
        return DemandResponseSerializer(responses[0], context=context).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._represent(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._represent([self.get_object()]))

    def create(self, request, *args, **kwargs):
        demand = self.get_demand()
        if not request.user.has_perm("demands.view_demand", demand):
            raise Http404
        if demand.is_open and not request.user.has_perm("demands.respond_demand", demand):
            # As the board's respond page says; a closed demand gets the service's refusal.
            raise DjangoValidationError(
                _("Only members of verified organizations other than the enterprise can respond to an open demand.")
            )
        serializer = DemandResponseCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        response = services.response_create(
            demand=demand,
            user=request.user,
            approach=data["approach"],
            team=data.get("team", ""),
            price_idea=data.get("price_idea"),
            achievements=data.get("achievements", []),
            organization=data.get("organization"),
        )
        return Response(self._represent([self.get_queryset().get(pk=response.pk)]), status=status.HTTP_201_CREATED)

    def _decide(self, request, change, argument_serializer=None):
        response = self.get_object()
        arguments = {}
        if argument_serializer is not None:
            serializer = argument_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            arguments = serializer.validated_data
        change(response, request.user, **arguments)
        return Response(self._represent([response]))

    @extend_schema(request=None, responses=response_transition_responses)
    @action(detail=True, methods=["post"])
    def shortlist(self, request, demand_pk=None, pk=None):
        """The enterprise shortlists the response."""
        return self._decide(request, lambda response, user: services.response_shortlist(response=response, user=user))

    @extend_schema(request=DemandResponseDeclineSerializer, responses=response_transition_responses)
    @action(detail=True, methods=["post"])
    def decline(self, request, demand_pk=None, pk=None):
        """The enterprise declines, with a structured reason the responder sees."""
        return self._decide(
            request,
            lambda response, user, reason, note="": services.response_decline(
                response=response, user=user, reason=reason, note=note
            ),
            DemandResponseDeclineSerializer,
        )

    @extend_schema(request=None, responses=response_transition_responses)
    @action(detail=True, methods=["post"], url_path="start-deal", url_name="start-deal")
    def start_deal(self, request, demand_pk=None, pk=None):
        """The enterprise starts negotiating a deal with this responder; the demand is negotiating."""
        return self._decide(request, lambda response, user: services.response_start_deal(response=response, user=user))

    @extend_schema(request=None, responses=response_transition_responses)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, demand_pk=None, pk=None):
        """The responder withdraws its live response."""
        return self._decide(request, lambda response, user: services.response_withdraw(response=response, user=user))


response_path_parameter = OpenApiParameter(
    "response_pk", int, OpenApiParameter.PATH, description=_("Response id (one of this demand's)")
)


@extend_schema_view(
    list=extend_schema(
        parameters=[demand_path_parameter, response_path_parameter],
        responses={
            200: DemandResponseMessageSerializer(many=True),
            404: OpenApiResponse(ErrorSerializer, description="Not found, or not visible to the caller"),
        },
    ),
    create=extend_schema(
        parameters=[demand_path_parameter, response_path_parameter],
        responses={201: DemandResponseMessageSerializer},
    ),
)
class DemandResponseMessageViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The conversation about one response, oldest first. The two parties read and post;
    bureau staff read. Messages from the enterprise of an anonymous demand name neither it nor
    their author to the responder."""

    queryset = Message.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = DemandResponseMessageSerializer
    pagination_class = MessageCursorPagination
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_response(self) -> DemandResponse:
        if not hasattr(self, "_response"):
            demand = response_demand(self.request.user, self.kwargs["demand_pk"])
            self._response = get_object_or_404(
                visible_responses(self.request.user, demand), pk=self.kwargs["response_pk"]
            )
        return self._response

    def get_queryset(self) -> QuerySet[Message]:
        return selectors.response_messages(self.get_response())

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        demand = self.get_response().demand
        context["demand"] = demand
        context["enterprise_hidden"] = selectors.present(demand, self.request.user).enterprise is None
        return context

    def create(self, request, *args, **kwargs):
        response = self.get_response()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.response_message(
            response=response, user=request.user, body=serializer.validated_data["body"]
        )
        return Response(self.get_serializer(message).data, status=status.HTTP_201_CREATED)
