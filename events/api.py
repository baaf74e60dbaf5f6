"""/api/v1/events/ (产学研对接活动: the public calendar, and drafts for their organizers) and
/api/v1/events/{id}/registrations/ (the caller's own registrations; all of them for the
event's organizers).

Everyone reads public events (published, registration closed, held, reported, and cancelled ones
with the reason); the organizer's members, event-organizer staff and bureau staff also read its
drafts; anyone else gets 404 for those. The online link is for confirmed registrants and the
organizers (`null` for everyone else). Organizers move an event on with POST actions named after
the verb (publish, cancel with a reason); a member registers for their organization with POST
…/{id}/register/ or POST …/{id}/registrations/ (the same service: confirmed while places last,
then on the waiting list) and cancels with POST …/registrations/{rid}/cancel/. Every write goes
through events.services, so the API, the pages and the admin behave alike.

Events never leave the public calendar once published (a cancelled event stays listed, with
status `cancelled`), so an `updated_since` list carries no tombstones for them. Registrations are
for people: closed to partner tokens (see marketplace.scopes)."""

from __future__ import annotations

import django_filters
from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from brokers.api import NamedChoiceField
from events import services
from events.enums import EventKind, EventStatus, RegistrationStatus
from events.models import Event, Registration
from marketplace import rules as market_rules
from marketplace.api.filters import SyncFilterSet, in_utc
from marketplace.api.pagination import UpdatedCursorPagination
from marketplace.models import IndustryField, Organization

# Who sees what ----------------------------------------------------------------------------------


def sees_every_event(user) -> bool:
    """Event-organizer and bureau staff read every event, drafts included."""
    return market_rules.is_event_organizer(user) or market_rules.is_bureau_staff(user)


def organizes(user, event: Event) -> bool:
    """The caller organizes this event (its organizer's members, or event-organizer staff)."""
    return market_rules.is_event_organizer(user) or event.organizer_id in market_rules.membership_roles(user)


def events_visible_to(user) -> QuerySet[Event]:
    """Public events for everyone; drafts for their organizer's members and staff. Annotated with
    the confirmed and waiting counts and the caller's own live registration (id and status)."""
    events = Event.objects.all()
    if not sees_every_event(user):
        events = events.filter(
            Q(status__in=EventStatus.public_values()) | Q(organizer_id__in=list(market_rules.membership_roles(user)))
        )
    events = events.select_related("organizer", "region").prefetch_related("industry_fields", "co_organizers")
    if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is not None:
        own = Registration.objects.filter(event_id=OuterRef("pk"), user_id=user.pk).exclude(
            status=RegistrationStatus.CANCELLED
        )
        events = events.annotate(
            my_registration_id=Subquery(own.values("pk")[:1]),
            my_registration_status=Subquery(own.values("status")[:1]),
        )
    return events.annotate(
        confirmed_count=Count("registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)),
        waitlist_count=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
    )


def visible_event(user, pk) -> Event:
    """The event, if the caller may read it; 404 otherwise."""
    return get_object_or_404(events_visible_to(user), pk=pk)


# Events -----------------------------------------------------------------------------------------


class EventRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class EventRegionSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class MyRegistrationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    status = NamedChoiceField(
        choices=RegistrationStatus.choices, enum_name="EventRegistrationStatusEnum", read_only=True
    )


class EventSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(choices=EventKind.choices, enum_name="EventKindEnum", read_only=True)
    status = NamedChoiceField(choices=EventStatus.choices, enum_name="EventStatusEnum", read_only=True)
    status_note = serializers.CharField(read_only=True, help_text=_("The reason given with a cancellation."))
    organizer = EventRefSerializer(read_only=True)
    co_organizers = EventRefSerializer(many=True, read_only=True)
    region = EventRegionSerializer(read_only=True, allow_null=True)
    industry_fields = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text=_("Industry field codes")
    )
    online_url = serializers.SerializerMethodField()
    confirmed_count = serializers.IntegerField(read_only=True, help_text=_("Confirmed registrations"))
    waitlist_count = serializers.IntegerField(read_only=True, help_text=_("Registrations on the waiting list"))
    places_left = serializers.SerializerMethodField()
    registration_open = serializers.SerializerMethodField()
    my_registration = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id",
            "title",
            "kind",
            "status",
            "status_note",
            "organizer",
            "co_organizers",
            "industry_fields",
            "region",
            "summary",
            "description",
            "agenda",
            "starts_at",
            "ends_at",
            "venue",
            "online_url",
            "capacity",
            "confirmed_count",
            "waitlist_count",
            "places_left",
            "registration_opens_at",
            "registration_closes_at",
            "registration_open",
            "meeting_minutes",
            "my_registration",
            "published_at",
            "url",
            "updated_at",
        ]
        read_only_fields = fields

    def _user(self):
        request = self.context.get("request")
        return request.user if request is not None else None

    @extend_schema_field(
        serializers.URLField(
            allow_null=True, help_text=_("Only for confirmed registrants and the organizers; null otherwise.")
        )
    )
    def get_online_url(self, event) -> str | None:
        user = self._user()
        confirmed = getattr(event, "my_registration_status", None) == RegistrationStatus.CONFIRMED
        if confirmed or (user is not None and organizes(user, event)):
            return event.online_url or None
        return None

    @extend_schema_field(serializers.IntegerField(allow_null=True, help_text=_("Null: no limit.")))
    def get_places_left(self, event) -> int | None:
        if event.capacity is None:
            return None
        return max(event.capacity - event.confirmed_count, 0)

    def get_registration_open(self, event) -> bool:
        return event.registration_open()

    @extend_schema_field(
        MyRegistrationSerializer(allow_null=True, help_text=_("The caller's own live registration, if any."))
    )
    def get_my_registration(self, event) -> dict | None:
        pk = getattr(event, "my_registration_id", None)
        if pk is None:
            return None
        return {"id": pk, "status": event.my_registration_status}

    def get_url(self, event) -> str:
        return event.get_absolute_url()


class EventFilter(SyncFilterSet):
    kind = django_filters.ChoiceFilter(choices=EventKind.choices)
    status = django_filters.ChoiceFilter(choices=EventStatus.choices)
    field = django_filters.CharFilter(method="filter_field", label=_("Industry field code; includes its sub-fields"))
    region = django_filters.CharFilter(method="filter_region", label=_("Division code; includes everything inside it"))
    starts_after = django_filters.IsoDateTimeFilter(method="filter_starts_after", label=_("Starting at or after"))
    starts_before = django_filters.IsoDateTimeFilter(method="filter_starts_before", label=_("Starting before"))
    q = django_filters.CharFilter(method="filter_q", label=_("Search titles, summaries and agendas"))

    class Meta:
        model = Event
        fields = ["kind", "status"]

    def filter_field(self, queryset, name, value):
        code = value.strip()[:60]
        field = IndustryField.objects.filter(code=code).first()
        if field is None:
            raise serializers.ValidationError(
                {"field": [_("Unknown industry field code: %(codes)s.") % {"codes": code}]}
            )
        matching = Event.objects.filter(Q(industry_fields=field) | Q(industry_fields__parent=field)).values("pk")
        return queryset.filter(pk__in=matching)

    def filter_region(self, queryset, name, value):
        if not (value.isdigit() and len(value) == 6):
            raise serializers.ValidationError(
                {"region": [_("An administrative division code has 6 digits (GB/T 2260).")]}
            )
        prefix = value[:2] if value.endswith("0000") else value[:4] if value.endswith("00") else value
        return queryset.filter(region__code__startswith=prefix)

    def filter_starts_after(self, queryset, name, value):
        return queryset.filter(starts_at__gte=in_utc(value))

    def filter_starts_before(self, queryset, name, value):
        return queryset.filter(starts_at__lt=in_utc(value))

    def filter_q(self, queryset, name, value):
        from marketplace import search

        # Public events in the index (cancelled ones and drafts are not): matched by their words.
        return queryset.filter(pk__in=search.narrow(Event.objects.all(), value.strip()[:100]).values("pk"))


class OwnOrganizationField(serializers.PrimaryKeyRelatedField):
    """One of the caller's organizations."""

    def get_queryset(self):
        request = self.context.get("request")
        user = request.user if request is not None else None
        return Organization.objects.filter(pk__in=list(market_rules.membership_roles(user)))


class EventRegisterSerializer(serializers.Serializer):
    organization = OwnOrganizationField(
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"does_not_exist": _("Choose one of your own organizations.")},
        help_text=_("One of the caller's organizations; needed only when the caller belongs to several."),
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if "organization" not in attrs:
            own = list(market_rules.membership_roles(self.context["request"].user))
            if not own:
                raise serializers.ValidationError(
                    {"organization": [_("Join an organization to register: people register for their organization.")]}
                )
            if len(own) != 1:
                raise serializers.ValidationError(
                    {"organization": [_("You belong to several organizations: choose the one you register for.")]}
                )
            attrs["organization"] = Organization.objects.get(pk=own[0])
        return attrs


class CancelEventSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=_("Shown to everyone registered."))


# Registrations ----------------------------------------------------------------------------------


class RegistrationPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True, source="__str__")


class EventRegistrationSerializer(serializers.ModelSerializer):
    user = RegistrationPersonSerializer(read_only=True)
    organization = EventRefSerializer(read_only=True)
    status = NamedChoiceField(
        choices=RegistrationStatus.choices, enum_name="EventRegistrationStatusEnum", read_only=True
    )
    waitlist_position = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("Place on the waiting list; null unless waitlisted.")
    )

    class Meta:
        model = Registration
        fields = [
            "id",
            "event",
            "user",
            "organization",
            "status",
            "waitlist_position",
            "note",
            "confirmed_at",
            "cancelled_at",
            "checked_in_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def registrations_visible_to(user, event: Event) -> QuerySet[Registration]:
    """All registrations of the event for its organizers and bureau staff; the caller's own otherwise."""
    registrations = Registration.objects.filter(event=event)
    if not (organizes(user, event) or market_rules.is_bureau_staff(user)):
        registrations = registrations.filter(user_id=getattr(user, "pk", None))
    ahead = (
        Registration.objects.filter(
            event_id=OuterRef("event_id"), status=RegistrationStatus.WAITLISTED, id__lte=OuterRef("pk")
        )
        .order_by()
        .values("event_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return registrations.select_related("user", "organization").annotate(
        waitlist_position=Case(
            When(
                status=RegistrationStatus.WAITLISTED,
                then=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)),
            ),
            default=None,
            output_field=IntegerField(),
        )
    )


event_path_parameter = OpenApiParameter("event_pk", int, OpenApiParameter.PATH, description=_("Event id"))


@extend_schema_view(
    register=extend_schema(request=EventRegisterSerializer, responses={201: EventRegistrationSerializer}),
    publish=extend_schema(request=None, responses={200: EventSerializer}),
    cancel=extend_schema(request=CancelEventSerializer, responses={200: EventSerializer}),
)
class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Matchmaking events (产学研对接活动: matchmaking sessions, roadshows, achievement launches,
    competitions, trainings, company-visit campaigns), for everyone: organizer, co-organizers,
    industry fields, time, venue, capacity with the places left, registration window, agenda and
    status (a cancelled event stays listed with the reason). The online link is for confirmed
    registrants and the organizers. Organizers also read their drafts. Filters: `kind`,
    `status`, `field`, `region`, `starts_after`, `starts_before`, `q`; `updated_since` for
    incremental sync."""

    serializer_class = EventSerializer
    filterset_class = EventFilter
    pagination_class = UpdatedCursorPagination
    permission_classes = [IsAuthenticatedOrReadOnly]
    queryset = Event.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self) -> QuerySet[Event]:
        return events_visible_to(self.request.user)

    def _present(self, event: Event, *, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=event.pk)).data, status=code)

    @action(detail=True, methods=["post"], filter_backends=[], permission_classes=[IsAuthenticated])
    def register(self, request, pk=None):
        """Register for one's organization: confirmed while places last, then on the waiting
        list (promoted automatically when someone cancels). Once per person; 400 outside the
        registration window or for a second registration."""
        event = self.get_object()
        serializer = EventRegisterSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        registration = services.register(event=event, user=request.user, **serializer.validated_data)
        present = registrations_visible_to(request.user, event).get(pk=registration.pk)
        return Response(EventRegistrationSerializer(present).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], filter_backends=[], permission_classes=[IsAuthenticated])
    def publish(self, request, pk=None):
        """The organizer publishes a draft (no separate review): it is in the calendar at once."""
        event = self.get_object()
        services.event_publish(event=event, user=request.user)
        return self._present(event)

    @action(detail=True, methods=["post"], filter_backends=[], permission_classes=[IsAuthenticated])
    def cancel(self, request, pk=None):
        """The organizer cancels, with a reason sent to everyone registered; the event stays in
        the calendar as cancelled."""
        event = self.get_object()
        serializer = CancelEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.event_cancel(event=event, user=request.user, reason=serializer.validated_data["reason"])
        return self._present(event)


@extend_schema_view(
    list=extend_schema(parameters=[event_path_parameter]),
    retrieve=extend_schema(parameters=[event_path_parameter]),
    create=extend_schema(
        parameters=[event_path_parameter], request=EventRegisterSerializer, responses={201: EventRegistrationSerializer}
    ),
    cancel=extend_schema(parameters=[event_path_parameter], request=None, responses={200: EventRegistrationSerializer}),
)
class EventRegistrationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Registrations for one event: the caller's own (the event's organizers and bureau staff
    read all of them); anyone else's is 404, and so is an event the caller may not read. POST
    registers for the caller's organization (as …/{id}/register/); POST …/{rid}/cancel/ cancels
    (the registrant or an organizer), and the first on the waiting list gets the place."""

    serializer_class = EventRegistrationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = UpdatedCursorPagination
    queryset = Registration.objects.none()  # the schema's model; requests use get_queryset

    class Filter(SyncFilterSet):
        status = django_filters.ChoiceFilter(choices=RegistrationStatus.choices)

        class Meta:
            model = Registration
            fields = ["status"]

    filterset_class = Filter

    def get_event(self) -> Event:
        if not hasattr(self, "_event"):
            self._event = visible_event(self.request.user, self.kwargs["event_pk"])
        return self._event

    def get_queryset(self) -> QuerySet[Registration]:
        return registrations_visible_to(self.request.user, self.get_event())

    def _present(self, registration: Registration, *, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=registration.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        event = self.get_event()
        serializer = EventRegisterSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        registration = services.register(event=event, user=request.user, **serializer.validated_data)
        return self._present(registration, code=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, event_pk=None, pk=None):
        """Cancel the registration (the registrant or an organizer); a freed place goes to the
        first on the waiting list."""
        registration = self.get_object()
        registration = services.registration_cancel(registration=registration, user=request.user)
        return self._present(registration)
