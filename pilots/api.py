"""/api/v1/pilot-bases/ (the directory of filed pilot bases and proof-of-concept centres, read
only) and /api/v1/service-requests/ (中试熟化服务, for their parties).

Everyone reads filed bases; the operator's members and bureau staff also read its bases that
are not filed (yet, or any more); anyone else gets 404 for those. Outsiders see only the shared
equipment; visitors never see the contact's phone or e-mail.

A service request is read by its parties (members of the requesting organization and of the
base's operator) and bureau staff; anyone else gets 404. It is made with POST and moved on with
POST actions named after the verb (quote, accept, decline, withdraw, book, start, complete);
every write goes through pilots.services, so the API, the pages and the admin behave alike. A
party who may not take a step (the requester quoting, the operator withdrawing…) gets 403, and a
step the lifecycle refuses is a 400 with the service's reason."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from achievements.models import Achievement
from brokers.api import NamedChoiceField, VisibleListingField
from demands.models import Demand
from marketplace import rules as market_rules
from marketplace.api.filters import SyncFilterSet
from marketplace.api.pagination import UpdatedCursorPagination
from marketplace.models import IndustryField, Organization
from marketplace.privacy import email_for, phone_for
from pilots import selectors, services
from pilots.enums import BaseKind, BaseLevel, FeeUnit, FilingStatus, RequestStatus
from pilots.models import Booking, Equipment, PilotBase, PilotService, ServiceRequest

money_help_text = _("Yuan, as a decimal string.")


def money_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def fee_unit_field(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(choices=FeeUnit.choices, enum_name="PilotFeeUnitEnum", **kwargs)


# Pilot bases ---------------------------------------------------------------------------------


class PilotRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class PilotRegionSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class EquipmentSerializer(serializers.ModelSerializer):
    fee = money_field(read_only=True, allow_null=True, help_text=money_help_text)
    fee_unit = fee_unit_field(read_only=True)

    class Meta:
        model = Equipment
        fields = ["id", "name", "model_number", "parameters", "is_shared", "fee", "fee_unit"]
        read_only_fields = fields


class PilotServiceSerializer(serializers.ModelSerializer):
    price = money_field(read_only=True, allow_null=True, help_text=money_help_text)
    price_unit = fee_unit_field(read_only=True)

    class Meta:
        model = PilotService
        fields = ["id", "name", "description", "price", "price_unit"]
        read_only_fields = fields


class PilotBaseSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(choices=BaseKind.choices, enum_name="PilotBaseKindEnum", read_only=True)
    level = NamedChoiceField(choices=BaseLevel.choices, enum_name="PilotBaseLevelEnum", read_only=True)
    status = NamedChoiceField(choices=FilingStatus.choices, enum_name="PilotFilingStatusEnum", read_only=True)
    operator = PilotRefSerializer(read_only=True)
    region = PilotRegionSerializer(read_only=True)
    industry_fields = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text=_("Industry field codes")
    )
    contact_phone = serializers.SerializerMethodField()
    contact_email = serializers.SerializerMethodField()
    trl_min = serializers.IntegerField(read_only=True, help_text=_("Lowest readiness level"))
    trl_max = serializers.IntegerField(read_only=True, help_text=_("Highest readiness level"))
    equipment = EquipmentSerializer(many=True, read_only=True)
    services = PilotServiceSerializer(many=True, read_only=True)

    class Meta:
        model = PilotBase
        fields = [
            "id",
            "name",
            "kind",
            "level",
            "status",
            "filing_number",
            "approved_at",
            "operator",
            "region",
            "address",
            "industry_fields",
            "trl_min",
            "trl_max",
            "introduction",
            "processes",
            "scale",
            "qualifications",
            "contact_name",
            "contact_phone",
            "contact_email",
            "equipment",
            "services",
            "updated_at",
        ]
        read_only_fields = fields

    def _anonymous(self) -> bool:
        request = self.context.get("request")
        return request is None or not request.user.is_authenticated

    # The pages' rule (marketplace.privacy): in full for staff and members of verified organizations,
    # masked for other people, nothing for visitors and partner tokens.
    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text=_("Null for visitors; masked unless the caller is staff or in a verified organization."),
        )
    )
    def get_contact_phone(self, base) -> str | None:
        return None if self._anonymous() else phone_for(base.contact_phone, self.context["request"].user)

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text=_("Null for visitors; masked unless the caller is staff or in a verified organization."),
        )
    )
    def get_contact_email(self, base) -> str | None:
        return None if self._anonymous() else email_for(base.contact_email, self.context["request"].user)


class PilotBaseFilter(SyncFilterSet):
    kind = django_filters.ChoiceFilter(choices=BaseKind.choices)
    level = django_filters.ChoiceFilter(choices=BaseLevel.choices)
    field = django_filters.CharFilter(method="filter_field", label=_("Industry field code; includes its sub-fields"))
    region = django_filters.CharFilter(method="filter_region", label=_("Division code; includes everything inside it"))
    trl = django_filters.NumberFilter(method="filter_trl", label=_("Technology readiness"))
    q = django_filters.CharFilter(method="filter_q", label=_("Search processes, equipment and services"))

    class Meta:
        model = PilotBase
        fields = ["kind", "level"]

    @staticmethod
    def _among(queryset, **criteria):
        return queryset.filter(pk__in=selectors.directory(**criteria).values("pk"))

    def filter_field(self, queryset, name, value):
        code = value.strip()[:60]
        field = IndustryField.objects.filter(code=code).first()
        if field is None:
            raise serializers.ValidationError(
                {"field": [_("Unknown industry field code: %(codes)s.") % {"codes": code}]}
            )
        return self._among(queryset, field=field)

    def filter_region(self, queryset, name, value):
        if not (value.isdigit() and len(value) == 6):
            raise serializers.ValidationError(
                {"region": [_("An administrative division code has 6 digits (GB/T 2260).")]}
            )
        return self._among(queryset, region=value)

    def filter_trl(self, queryset, name, value):
        if value != int(value) or not 1 <= value <= 9:
            raise serializers.ValidationError({"trl": [_("Enter the TRL as a whole number from 1 to 9.")]})
        value = int(value)
        return queryset.filter(trl_min__lte=value, trl_max__gte=value)

    def filter_q(self, queryset, name, value):
        return self._among(queryset, q=value.strip()[:100])


def bases_visible_to(user) -> QuerySet[PilotBase]:
    """Filed bases for everyone; the operator's members and bureau staff also see the others.
    Outsiders see only the shared equipment."""
    bases = PilotBase.objects.select_related("operator", "region")
    if market_rules.is_bureau_staff(user):
        equipment = Equipment.objects.all()
    else:
        organizations = list(market_rules.membership_roles(user))
        bases = bases.filter(Q(status=FilingStatus.APPROVED) | Q(operator_id__in=organizations))
        equipment = Equipment.objects.filter(Q(is_shared=True) | Q(base__operator_id__in=organizations))
    return bases.prefetch_related(
        "industry_fields",
        Prefetch("equipment", queryset=equipment.order_by("name", "id")),
        Prefetch("services", queryset=PilotService.objects.order_by("name", "id")),
    )


class PilotBaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Pilot bases and proof-of-concept centres (中试基地 / 概念验证中心) filed with the bureau, for
    everyone: kind, level, filing number, operator, region, industry fields, the TRL range served,
    processes, shared equipment and priced services. The operator's members and bureau staff also
    see its bases that are not filed, and all their equipment. The contact's phone and e-mail are
    for logged-in callers. Filters as the directory page (`q` searches processes, equipment and
    services); `updated_since` for incremental sync, with tombstones for revoked filings."""

    serializer_class = PilotBaseSerializer
    filterset_class = PilotBaseFilter
    pagination_class = UpdatedCursorPagination
    permission_classes = [AllowAny]
    queryset = PilotBase.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self) -> QuerySet[PilotBase]:
        return bases_visible_to(self.request.user)


# Service requests ----------------------------------------------------------------------------


class BookingSerializer(serializers.ModelSerializer):
    equipment = PilotRefSerializer(read_only=True)

    class Meta:
        model = Booking
        fields = ["id", "equipment", "starts_at", "ends_at"]
        read_only_fields = fields


class ServiceRequestSerializer(serializers.ModelSerializer):
    base = PilotRefSerializer(read_only=True)
    service = PilotRefSerializer(read_only=True, allow_null=True)
    organization = PilotRefSerializer(read_only=True)
    status = NamedChoiceField(choices=RequestStatus.choices, enum_name="ServiceRequestStatusEnum", read_only=True)
    quoted_amount = money_field(read_only=True, allow_null=True, help_text=money_help_text)
    bookings = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "base",
            "service",
            "organization",
            "achievement",
            "demand",
            "title",
            "process",
            "quantity",
            "start_on",
            "end_on",
            "status",
            "status_note",
            "quoted_amount",
            "quote_note",
            "bookings",
            "outcome_report",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(BookingSerializer(many=True))
    def get_bookings(self, request) -> list[dict]:
        return BookingSerializer(request.active_bookings, many=True).data


def _open_base_ids(user) -> Q:
    """Bases a request may name: those the caller sees and those once filed (a revoked one is
    refused by the service with its reason; one never filed stays unknown)."""
    if market_rules.is_bureau_staff(user):
        return Q()
    organizations = list(market_rules.membership_roles(user))
    return Q(status=FilingStatus.APPROVED) | Q(approved_at__isnull=False) | Q(operator_id__in=organizations)


class RequestBaseField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        return PilotBase.objects.filter(_open_base_ids(request.user if request else None))


class RequestServiceField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        base_ids = PilotBase.objects.filter(_open_base_ids(request.user if request else None)).values("pk")
        return PilotService.objects.filter(base_id__in=base_ids)


class ServiceRequestCreateSerializer(serializers.ModelSerializer):
    base = RequestBaseField(queryset=PilotBase.objects.all(), help_text=_("A filed pilot base."))
    service = RequestServiceField(
        queryset=PilotService.objects.all(), required=False, allow_null=True, help_text=_("A service of that base.")
    )
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"does_not_exist": _("Choose one of your own organizations.")},
        help_text=_("One of the caller's organizations; needed only when the caller belongs to several."),
    )
    achievement = VisibleListingField(queryset=Achievement.objects.all(), required=False, allow_null=True)
    demand = VisibleListingField(queryset=Demand.objects.all(), required=False, allow_null=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "base",
            "service",
            "organization",
            "achievement",
            "demand",
            "title",
            "process",
            "quantity",
            "start_on",
            "end_on",
        ]

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
                    {"organization": [_("You belong to several organizations: choose the one that asks.")]}
                )
            attrs["organization"] = Organization.objects.get(pk=own[0])
        return attrs


class QuoteSerializer(serializers.Serializer):
    quoted_amount = money_field(min_value=0, help_text=money_help_text)
    quote_note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AcceptSerializer(serializers.Serializer):
    quoted_amount = money_field(
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "Yuan, as a decimal string. The operator accepting a new request: the agreed price, "
            "by default the service's list price; ignored when the requester accepts a quotation."
        ),
    )
    quote_note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ServiceRequestReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class OwnEquipmentField(serializers.PrimaryKeyRelatedField):
    """Equipment of the bases the caller's organizations run."""

    def get_queryset(self):
        request = self.context.get("request")
        organizations = list(market_rules.membership_roles(request.user if request else None))
        return Equipment.objects.filter(base__operator_id__in=organizations)


class BookSerializer(serializers.Serializer):
    equipment = OwnEquipmentField(queryset=Equipment.objects.all(), help_text=_("Equipment of the requested base."))
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class CompleteSerializer(serializers.Serializer):
    outcome_report = serializers.CharField(max_length=10000)


@extend_schema_view(
    create=extend_schema(
        summary="Request a service of a filed base",
        request=ServiceRequestCreateSerializer,
        responses={201: ServiceRequestSerializer},
    ),
)
class ServiceRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Service requests (中试熟化服务) for their parties: the members of the requesting
    organization and of the base's operator, and bureau staff (read only); anyone else gets 404.
    A member asks a filed base with POST; the operator quotes, accepts (at the quotation or the
    service's list price), declines with a reason, books equipment (the first booking schedules
    the request), starts and completes it with the outcome report; the requester accepts a
    quotation or withdraws with a reason. Money in 元 as decimal strings."""

    serializer_class = ServiceRequestSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = UpdatedCursorPagination
    queryset = ServiceRequest.objects.none()  # the schema's model; requests use get_queryset

    class Filter(SyncFilterSet):
        status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
        base = django_filters.NumberFilter(field_name="base_id")

        class Meta:
            model = ServiceRequest
            fields = ["status", "base"]

    filterset_class = Filter

    def get_queryset(self) -> QuerySet[ServiceRequest]:
        user = self.request.user
        requests = ServiceRequest.objects.select_related("base", "service", "organization").prefetch_related(
            Prefetch(
                "bookings",
                queryset=Booking.objects.filter(is_active=True).select_related("equipment").order_by("starts_at", "id"),
                to_attr="active_bookings",
            )
        )
        if market_rules.is_bureau_staff(user):
            return requests
        organizations = list(market_rules.membership_roles(user))
        return requests.filter(Q(organization_id__in=organizations) | Q(base__operator_id__in=organizations))

    def _present(self, request_obj: ServiceRequest, *, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=request_obj.pk)).data, status=code)

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def create(self, request, *args, **kwargs):
        data = self._input(ServiceRequestCreateSerializer)
        created = services.request_submit(user=request.user, **data)
        return self._present(created, code=status.HTTP_201_CREATED)

    @extend_schema(request=QuoteSerializer, responses={200: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def quote(self, request, pk=None):
        """The operator quotes (or quotes again); the requester then accepts or withdraws."""
        service_request = self.get_object()
        data = self._input(QuoteSerializer)
        services.request_quote(
            request=service_request, user=request.user, amount=data["quoted_amount"], note=data["quote_note"]
        )
        return self._present(service_request)

    @extend_schema(request=AcceptSerializer, responses={200: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        """The work is agreed: the requester accepts the operator's quotation, or the operator
        accepts a new request at a price (the service's list price unless it names one)."""
        service_request = self.get_object()
        data = self._input(AcceptSerializer)
        services.request_accept(
            request=service_request, user=request.user, amount=data["quoted_amount"], note=data["quote_note"]
        )
        return self._present(service_request)

    @extend_schema(request=ServiceRequestReasonSerializer, responses={200: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def decline(self, request, pk=None):
        """The operator declines, with a reason shown to the requester; bookings are released."""
        service_request = self.get_object()
        data = self._input(ServiceRequestReasonSerializer)
        services.request_decline(request=service_request, user=request.user, reason=data["reason"])
        return self._present(service_request)

    @extend_schema(request=ServiceRequestReasonSerializer, responses={200: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request, pk=None):
        """The requester withdraws, with a reason shown to the operator; bookings are released."""
        service_request = self.get_object()
        data = self._input(ServiceRequestReasonSerializer)
        services.request_withdraw(request=service_request, user=request.user, reason=data["reason"])
        return self._present(service_request)

    @extend_schema(request=BookSerializer, responses={200: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def book(self, request, pk=None):
        """The operator books a piece of equipment of the base for an accepted request (the first
        booking schedules it); a slot overlapping another booking is refused."""
        service_request = self.get_object()
        # Refuse before validating: the equipment named is checked against the caller's own.
        if not request.user.has_perm("pilots.operate_servicerequest", service_request):
            raise PermissionDenied
        data = self._input(BookSerializer)
        services.request_book(
            request=service_request, user=request.user, slots=[(data["equipment"], data["starts_at"], data["ends_at"])]
        )
        return self._present(service_request)

    @extend_schema(request=None, responses={200: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def start(self, request, pk=None):
        """The operator starts the scheduled work."""
        service_request = self.get_object()
        services.request_start(request=service_request, user=request.user)
        return self._present(service_request)

    @extend_schema(request=CompleteSerializer, responses={200: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request, pk=None):
        """The operator completes the work with the outcome report (at least 20 characters)."""
        service_request = self.get_object()
        data = self._input(CompleteSerializer)
        services.request_complete(request=service_request, user=request.user, report=data["outcome_report"])
        return self._present(service_request)
