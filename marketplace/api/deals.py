"""/api/v1/deals/ for their parties (and brokers and staff, reading) and /api/v1/contracts/,
the registered technology contracts. Money in 元 as decimal strings."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from marketplace.api.filters import SyncFilterSet
from marketplace.api.oauth import IsPartner
from marketplace.enums import (
    ContractCategory,
    ContractSubtype,
    DealKind,
    DealStage,
    LegalEntityKind,
    PartyRole,
    RegistrationStatus,
)
from marketplace.models import ContractParty, ContractRegistration, Deal, DealPayment, IndustryField, Match, Region
from marketplace.permissions import object_or_404
from marketplace.selectors.deals import deal_detail, registrations_joined
from marketplace.services import deals as services

MONEY = {"max_digits": 14, "decimal_places": 2}


class DealSideSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField(allow_null=True)


class RegistrationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractRegistration
        fields = ["id", "status", "registration_number", "registered_at"]


class DealSerializer(serializers.ModelSerializer):
    seller = DealSideSerializer(read_only=True)
    buyer = DealSideSerializer(read_only=True)
    brokers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    paid = serializers.SerializerMethodField()
    registration = serializers.SerializerMethodField()

    class Meta:
        model = Deal
        fields = [
            "id",
            "title",
            "seller",
            "buyer",
            "achievement",
            "demand",
            "brokers",
            "kind",
            "amount",
            "stage",
            "failure_reason",
            "signed_on",
            "paid",
            "origin",
            "inquiry",
            "response",
            "match",
            "bid",
            "registration",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_paid(self, deal) -> str:
        total = sum((payment.amount for payment in deal.payments.all()), start=0)
        return f"{total:.2f}"

    def get_registration(self, deal) -> dict | None:
        registration = getattr(deal, "registration", None)
        return RegistrationSummarySerializer(registration).data if registration is not None else None


class DealStartSerializer(serializers.Serializer):
    match = serializers.PrimaryKeyRelatedField(
        queryset=Match.objects.select_related("achievement__organization", "demand__organization"),
        help_text=_(
            "The stored match the deal starts from (inquiries and responses start theirs at their own endpoints)."
        ),
    )


class DealTermsSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=DealKind.choices)
    amount = serializers.DecimalField(**MONEY, allow_null=True, required=False, min_value=Decimal("0.01"))


class DealSignSerializer(serializers.Serializer):
    signed_on = serializers.DateField()
    amount = serializers.DecimalField(**MONEY, required=False, min_value=Decimal("0.01"))


class DealFailSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class DealPaymentSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))

    class Meta:
        model = DealPayment
        fields = ["id", "amount", "received_on", "note", "created_at"]
        read_only_fields = ["id", "created_at"]


class ContractPartySerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=PartyRole.choices)
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), help_text=_("GB/T 2260 code"))
    legal_entity_kind = serializers.ChoiceField(choices=LegalEntityKind.choices)

    class Meta:
        model = ContractParty
        fields = ["role", "name", "uscc", "region", "legal_entity_kind"]


class RegistrationSerializer(serializers.ModelSerializer):
    """A registration as its parties write it; the registrar's fields are read-only."""

    parties = ContractPartySerializer(many=True)
    industry_field = serializers.SlugRelatedField(
        slug_field="code", queryset=IndustryField.objects.filter(is_active=True), allow_null=True, required=False
    )
    category = serializers.ChoiceField(choices=ContractCategory.choices)
    subtype = serializers.ChoiceField(choices=ContractSubtype.choices)
    total_amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    signed_contract = serializers.SerializerMethodField()

    class Meta:
        model = ContractRegistration
        fields = [
            "id",
            "deal",
            "title",
            "contract_number",
            "category",
            "subtype",
            "industry_field",
            "signed_on",
            "valid_from",
            "valid_until",
            "total_amount",
            "technology_amount",
            "parties",
            "signed_contract",
            "status",
            "registration_number",
            "return_reason",
            "submitted_at",
            "registered_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "deal",
            "technology_amount",
            "status",
            "registration_number",
            "return_reason",
            "submitted_at",
            "registered_at",
            "updated_at",
        ]

    def get_signed_contract(self, registration) -> str | None:
        if registration.signed_contract_id is None:
            return None
        request = self.context.get("request")
        url = registration.signed_contract.get_absolute_url()
        return request.build_absolute_uri(url) if request else url


class SignedContractUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("The signed contract, a PDF."))


class DealFilter(SyncFilterSet):
    stage = django_filters.ChoiceFilter(choices=DealStage.choices)
    kind = django_filters.ChoiceFilter(choices=DealKind.choices)

    class Meta:
        model = Deal
        fields = ["stage", "kind"]


def _deals_for(user) -> QuerySet[Deal]:
    return deal_detail(Deal.objects.visible_to(user))


@extend_schema_view(
    create=extend_schema(request=DealStartSerializer, responses={201: DealSerializer}),
    partial_update=extend_schema(request=DealTermsSerializer, responses={200: DealSerializer}),
)
class DealViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Deals, for the members of their seller and buyer, the brokers named on them and bureau
    staff (reading); anyone else gets 404. POST starts a deal from a stored match (inquiries and
    responses start theirs at their own `start-deal` actions). The parties change the terms
    (PATCH) until the contract is signed, move the stage (`negotiate`, `sign`, `perform`,
    `complete`, `fail` with a reason), record payments at .../payments/ and write the contract
    registration at .../registration/ (PUT, then `registration/contract/` for the signed PDF and
    `registration/submit/`). The registrar registers in the admin console."""

    serializer_class = DealSerializer
    filterset_class = DealFilter
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    queryset = Deal.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self) -> QuerySet[Deal]:
        return _deals_for(self.request.user)

    def _present(self, deal: Deal, *, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=deal.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = DealStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deal = services.deal_start_from_match(match=serializer.validated_data["match"], user=request.user)
        return self._present(deal, code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        deal = self.get_object()
        # Partial: the serializer itself refuses a body that is no JSON object (400, not a 500 here).
        serializer = DealTermsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {"title": deal.title, "kind": deal.kind, "amount": deal.amount, **serializer.validated_data}
        services.deal_update(
            deal=deal, user=request.user, title=data["title"], kind=data["kind"], amount=data.get("amount")
        )
        return self._present(deal)

    def _move(self, request, stage: str, argument_serializer=None) -> Response:
        deal = self.get_object()
        arguments = {}
        if argument_serializer is not None:
            serializer = argument_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            arguments = serializer.validated_data
        services.deal_move(deal=deal, user=request.user, stage=stage, **arguments)
        return self._present(deal)

    @extend_schema(request=None, responses={200: DealSerializer})
    @action(detail=True, methods=["post"])
    def negotiate(self, request, pk=None):
        """The sides start negotiating."""
        return self._move(request, DealStage.NEGOTIATING)

    @extend_schema(request=DealSignSerializer, responses={200: DealSerializer})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """The contract is signed: signing date (not in the future) and agreed amount (> 0)."""
        return self._move(request, DealStage.SIGNED, DealSignSerializer)

    @extend_schema(request=None, responses={200: DealSerializer})
    @action(detail=True, methods=["post"])
    def perform(self, request, pk=None):
        """Work under the signed contract has started."""
        return self._move(request, DealStage.PERFORMING)

    @extend_schema(request=None, responses={200: DealSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """The contract is performed."""
        return self._move(request, DealStage.COMPLETED)

    @extend_schema(request=DealFailSerializer, responses={200: DealSerializer})
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        """The deal fell through; the reason is kept."""
        return self._move(request, DealStage.FAILED, DealFailSerializer)

    def _registration(self, deal: Deal) -> ContractRegistration:
        return get_object_or_404(registrations_joined(ContractRegistration.objects.filter(deal=deal)))

    def _registration_response(self, deal: Deal) -> Response:
        """The deal's registration as stored now."""
        return Response(RegistrationSerializer(self._registration(deal), context={"request": self.request}).data)

    @extend_schema(
        methods=["GET"], request=None, responses={200: RegistrationSerializer}, summary="The deal's registration"
    )
    @extend_schema(
        methods=["PUT"],
        request=RegistrationSerializer,
        responses={200: RegistrationSerializer},
        summary="Write the registration (draft or returned)",
    )
    @action(detail=True, methods=["get", "put"])
    def registration(self, request, pk=None):
        """GET the deal's contract registration (404 before one is written); PUT writes it —
        only a draft or a returned one, by a party of a signed deal. Fields the registrar sets
        are read-only; sending them is ignored."""
        deal = self.get_object()
        if request.method == "GET":
            return self._registration_response(deal)
        serializer = RegistrationSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organizations = {"seller": deal.seller, "buyer": deal.buyer}
        parties = [{**party, "organization": organizations.get(party["role"])} for party in data.pop("parties")]
        services.registration_save(deal=deal, user=request.user, parties=parties, **data)
        return self._registration_response(deal)

    @extend_schema(
        request={"multipart/form-data": SignedContractUploadSerializer}, responses={200: RegistrationSerializer}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="registration/contract",
        url_name="registration-contract",
        parser_classes=[MultiPartParser, FormParser],
    )
    def registration_contract(self, request, pk=None):
        """Upload the signed contract (PDF, checked by content; private to the parties and the
        registrar) to the deal's draft or returned registration."""
        deal = self.get_object()
        registration = self._registration(deal)
        serializer = SignedContractUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.registration_attach_contract(
            registration=registration, user=request.user, uploaded=serializer.validated_data["file"]
        )
        return self._registration_response(deal)

    @extend_schema(request=None, responses={200: RegistrationSerializer})
    @action(detail=True, methods=["post"], url_path="registration/submit", url_name="registration-submit")
    def registration_submit(self, request, pk=None):
        """Submit the completed registration to the registrar."""
        deal = self.get_object()
        services.registration_submit(registration=self._registration(deal), user=request.user)
        return self._registration_response(deal)


deal_path_parameter = OpenApiParameter("deal_pk", int, OpenApiParameter.PATH, description=_("Deal id"))


@extend_schema_view(
    list=extend_schema(parameters=[deal_path_parameter]),
    create=extend_schema(parameters=[deal_path_parameter]),
)
class DealPaymentViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Payments received under one deal, oldest first; its parties record them (never more
    than the agreed amount in all), and whoever sees the deal reads them."""

    serializer_class = DealPaymentSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends = []
    queryset = DealPayment.objects.none()  # the schema's model; requests use get_queryset
    parser_classes = [JSONParser]

    def get_deal(self) -> Deal:
        if not hasattr(self, "_deal"):
            self._deal = object_or_404(
                self.request.user, "marketplace.view_deal", Deal.objects.all(), pk=self.kwargs["deal_pk"]
            )
        return self._deal

    def get_queryset(self) -> QuerySet[DealPayment]:
        return self.get_deal().payments.order_by("received_on", "id")

    def create(self, request, *args, **kwargs):
        deal = self.get_deal()  # a deal the caller may not see is 404 before its body is read
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = services.payment_record(deal=deal, user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(payment).data, status=status.HTTP_201_CREATED)


class ContractFilter(SyncFilterSet):
    category = django_filters.ChoiceFilter(choices=ContractCategory.choices)
    registered_from = django_filters.DateFilter(
        field_name="registered_at", lookup_expr="date__gte", label=_("Registered on or after")
    )
    registered_until = django_filters.DateFilter(
        field_name="registered_at", lookup_expr="date__lte", label=_("Registered on or before")
    )

    class Meta:
        model = ContractRegistration
        fields = ["category"]


class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Registered technology contracts: a party's own (as applicant, deal side or named party),
    all of them for bureau staff. Registrations not yet registered are at their deal's
    `registration/` endpoint."""

    serializer_class = RegistrationSerializer
    filterset_class = ContractFilter
    permission_classes = [IsAuthenticated | IsPartner]  # partners: contracts:read (see the scope catalogue)
    queryset = ContractRegistration.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self) -> QuerySet[ContractRegistration]:
        visible = ContractRegistration.objects.filter(status=RegistrationStatus.REGISTERED).visible_to(
            self.request.user
        )
        return registrations_joined(visible.select_related("signed_contract"))
