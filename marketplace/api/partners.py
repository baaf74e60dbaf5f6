"""Partner writes by their own reference: `PUT /api/v1/<collection>/by-ref/{external_ref}/`.

Only partner tokens use these (people write through the collections themselves). A record is
unique on (partner, external_ref): the same reference of another partner is another record, and
no partner reaches a record it did not write. PUT carries the whole record and creates (201) or
updates (200) it; GET reads it back in any status; DELETE deletes a record that was never on the
market and withdraws one that was."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from achievements.api import AchievementSerializer, AchievementUpdateSerializer, readable_attachments
from achievements.models import Completer, IPRight
from achievements.selectors import achievement_list_queryset
from achievements.services_partner import ACHIEVEMENTS
from demands import selectors as demand_selectors
from demands.api import DemandSerializer, DemandUpdateSerializer, readable_files, shows_enterprise_material
from demands.services.partner import DEMANDS
from marketplace.api.deals import ContractPartySerializer, RegistrationSerializer
from marketplace.api.oauth import IsPartner, partner_application_of
from marketplace.enums import ContractCategory, ContractSubtype, PartnerListingStatus
from marketplace.models import ContractRegistration, IndustryField
from marketplace.selectors.deals import registrations_joined
from marketplace.services.partner_contracts import contract_partner_upsert
from marketplace.services.partners import listing_partner_delete, listing_partner_upsert, member_organization

REF_PATTERN = r"[^/]{1,100}"


class OwnerField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault(
            "help_text",
            _("Unified social credit code of the market member the record belongs to (registered and verified)."),
        )
        super().__init__(**kwargs)


class PartnerAchievementSerializer(AchievementUpdateSerializer):
    organization_uscc = OwnerField()
    status = serializers.ChoiceField(choices=PartnerListingStatus.choices, default=PartnerListingStatus.PUBLISHED)

    CHILDREN = ("transfer_modes", "completers", "ip_rights", "industry_fields")


class PartnerDemandSerializer(DemandUpdateSerializer):
    organization_uscc = OwnerField()
    status = serializers.ChoiceField(choices=PartnerListingStatus.choices, default=PartnerListingStatus.PUBLISHED)

    CHILDREN = ("cooperation_modes", "industry_fields")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A partner lists for its members; it does not invite organizations of this market.
        self.fields.pop("invited_organizations")


class PartnerContractSerializer(serializers.Serializer):
    """A technology contract the partner's registry registered for a member of this market."""

    organization_uscc = OwnerField(
        help_text=_("Unified social credit code of the applicant, a registered and verified market member.")
    )
    title = serializers.CharField(max_length=200)
    contract_number = serializers.CharField(max_length=50)
    category = serializers.ChoiceField(choices=ContractCategory.choices)
    subtype = serializers.ChoiceField(choices=ContractSubtype.choices)
    industry_field = serializers.SlugRelatedField(
        slug_field="code", queryset=IndustryField.objects.filter(is_active=True)
    )
    signed_on = serializers.DateField()
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    total_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), help_text=_("Yuan")
    )
    technology_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), help_text=_("Technology transaction amount, yuan")
    )
    registration_number = serializers.CharField(max_length=20, help_text=_("The number the partner's registry issued."))
    registered_at = serializers.DateTimeField(required=False, allow_null=True)
    parties = ContractPartySerializer(many=True, allow_empty=False)


def _split(serializer) -> tuple[dict, dict, bool]:
    """(fields, children, listed) from a validated partner listing serializer."""
    arguments = serializer.service_arguments()
    arguments.pop("organization_uscc", None)
    listed = arguments.pop("status") == "published"
    children = {name: arguments.pop(name) for name in serializer.CHILDREN if name in arguments}
    return arguments, children, listed


class ByRefViewSet(viewsets.GenericViewSet):
    """GET / PUT / DELETE one record of the calling partner by its reference."""

    lookup_field = "external_ref"
    lookup_value_regex = REF_PATTERN
    permission_classes = [IsPartner]
    pagination_class = None
    filter_backends = []

    def partner(self):
        return partner_application_of(self.request)

    def get_object(self):
        partner_application = self.partner()
        obj = (
            self.get_queryset()
            .filter(partner=partner_application.organization, external_ref=self.kwargs["external_ref"])
            .first()
        )
        if obj is None:
            raise Http404
        return obj

    def retrieve(self, request, *args, **kwargs):
        return Response(self.represent(self.get_object()))

    def update(self, request, *args, **kwargs):
        partner_application = self.partner()
        serializer = self.input_serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        organization = member_organization(serializer.validated_data["organization_uscc"])
        obj, created = self.upsert(partner_application, organization, serializer)
        obj = self.get_queryset().get(pk=obj.pk)  # child rows were replaced: read them again, joined
        return Response(self.represent(obj), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


ref_parameter = OpenApiParameter(
    "external_ref", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("The partner's own reference (≤ 100)")
)


def _by_ref_schema(serializer, response, *, deletable=True):
    operations = {
        "retrieve": extend_schema(parameters=[ref_parameter], responses={200: response}),
        "update": extend_schema(
            parameters=[ref_parameter], request=serializer, responses={200: response, 201: response}
        ),
    }
    if deletable:
        operations["destroy"] = extend_schema(parameters=[ref_parameter], responses={204: None})
    return extend_schema_view(**operations)


class ListingByRefViewSet(ByRefViewSet):
    spec = None

    def upsert(self, partner_application, organization, serializer):
        fields, children, listed = _split(serializer)
        return listing_partner_upsert(
            self.spec,
            partner_application=partner_application,
            external_ref=self.kwargs["external_ref"],
            organization=organization,
            listed=listed,
            fields=fields,
            children=children,
        )

    def destroy(self, request, *args, **kwargs):
        listing_partner_delete(self.spec, partner_application=self.partner(), external_ref=self.kwargs["external_ref"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@_by_ref_schema(PartnerAchievementSerializer, AchievementSerializer)
class AchievementByRefViewSet(ListingByRefViewSet):
    """A partner's achievement by its reference (scopes achievements:read / achievements:write)."""

    spec = ACHIEVEMENTS
    serializer_class = AchievementSerializer
    input_serializer_class = PartnerAchievementSerializer

    def get_queryset(self):
        return achievement_list_queryset().prefetch_related(
            Prefetch("completers", queryset=Completer.objects.order_by("rank")),
            Prefetch("ip_rights", queryset=IPRight.objects.order_by("id")),
        )

    def represent(self, achievement):
        context = self.get_serializer_context()
        context["attachments"] = readable_attachments([achievement], self.request.user)
        return AchievementSerializer(achievement, context=context).data


@_by_ref_schema(PartnerDemandSerializer, DemandSerializer)
class DemandByRefViewSet(ListingByRefViewSet):
    """A partner's demand by its reference (scopes demands:read / demands:write)."""

    spec = DEMANDS
    serializer_class = DemandSerializer
    input_serializer_class = PartnerDemandSerializer

    def get_queryset(self):
        return demand_selectors.demand_list_queryset()

    def upsert(self, partner_application, organization, serializer):
        serializer.validated_data.setdefault("region", organization.region)
        return super().upsert(partner_application, organization, serializer)

    def represent(self, demand):
        presentation = demand_selectors.present_many([demand], self.request.user)[0]
        context = self.get_serializer_context()
        context["attachments"] = readable_files(
            [demand] if shows_enterprise_material(presentation) else [], self.request.user
        )
        return DemandSerializer(presentation, context=context).data


@_by_ref_schema(PartnerContractSerializer, RegistrationSerializer, deletable=False)
class ContractByRefViewSet(ByRefViewSet):
    """A registered technology contract the partner reported, by its reference (scopes
    contracts:read / contracts:write). Registered contracts are not deleted: correct them."""

    serializer_class = RegistrationSerializer
    input_serializer_class = PartnerContractSerializer

    def get_queryset(self):
        return registrations_joined(ContractRegistration.objects.select_related("signed_contract"))

    def upsert(self, partner_application, organization, serializer):
        data = dict(serializer.validated_data)
        data.pop("organization_uscc")
        return contract_partner_upsert(
            partner_application=partner_application,
            external_ref=self.kwargs["external_ref"],
            organization=organization,
            parties=[dict(party) for party in data.pop("parties")],
            registration_number=data.pop("registration_number"),
            registered_at=data.pop("registered_at", None),
            technology_amount=data.pop("technology_amount"),
            **data,
        )

    def represent(self, registration):
        return RegistrationSerializer(registration, context=self.get_serializer_context()).data
