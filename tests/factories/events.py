from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from events.enums import EventKind, EventStatus, RegistrationStatus
from events.models import Event, Registration
from marketplace.enums import OrganizationKind
from marketplace.models import Region
from tests.factories.marketplace import OrganizationFactory, UserFactory


def _at(days: int, hour: int = 14):
    moment = timezone.localtime() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


class EventFactory(DjangoModelFactory):
    """A published matchmaking session of a service agency in ten days, 14:00–17:30, 50 places,
    registration open now until the day before."""

    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"新能源产学研对接会第{n}场")
    kind = EventKind.MATCHMAKING
    organizer = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.SERVICE_AGENCY)
    region = factory.LazyFunction(lambda: Region.objects.get(code="370202"))
    summary = "高校院所新能源成果与企业技术需求现场对接"
    agenda = "14:00 开幕致辞\n14:20 成果路演\n16:00 一对一洽谈"
    starts_at = factory.LazyFunction(lambda: _at(10))
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + timedelta(hours=3, minutes=30))
    venue = "青岛国际创新园 A 座报告厅"
    capacity = 50
    registration_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    registration_closes_at = factory.LazyAttribute(lambda e: e.starts_at - timedelta(days=1))
    status = EventStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class RegistrationFactory(DjangoModelFactory):
    class Meta:
        model = Registration
        skip_postgeneration_save = True

    event = factory.SubFactory(EventFactory)
    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    status = RegistrationStatus.CONFIRMED
    confirmed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def member(self, create, extracted, **kwargs):
        """The person belongs to the organization they registered for."""
        if create:
            from marketplace.models import Membership

            Membership.objects.get_or_create(user=self.user, organization=self.organization)
