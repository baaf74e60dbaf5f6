from datetime import date

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from brokers.enums import FilingStatus, Level
from brokers.models import BrokerProfile
from marketplace.enums import OrganizationKind
from marketplace.models import IndustryField, Region
from tests.factories.marketplace import OrganizationFactory, UserFactory


class BrokerProfileFactory(DjangoModelFactory):
    """An active junior broker of a transfer agency unless told otherwise (`status=…`);
    `fields=[codes]` sets the specialities, `served=[region codes]` the regions served."""

    class Meta:
        model = BrokerProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.TRANSFER_AGENCY)
    level = Level.JUNIOR
    certificate_number = factory.Sequence(lambda n: f"JSJJ-2025-{n:05d}")
    certificate_issuer = "中国科学技术交流中心"
    certificate_issued_on = date(2025, 6, 1)
    certificate_expires_on = date(2028, 6, 1)
    introduction = "专注新能源材料领域的成果转化服务。"
    status = FilingStatus.ACTIVE
    approved_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def fields(self, create, codes, **kwargs):
        if create and codes:
            self.specialities.set(IndustryField.objects.filter(code__in=codes))

    @factory.post_generation
    def served(self, create, codes, **kwargs):
        if create and codes:
            self.regions.set(Region.objects.filter(code__in=codes))
