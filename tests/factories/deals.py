import factory
from factory.django import DjangoModelFactory

from marketplace.enums import DealKind, DealOrigin, DealStage
from marketplace.models import Deal
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import OrganizationFactory


class DealFactory(DjangoModelFactory):
    """A deal on a published achievement between a university (seller) and an enterprise
    (buyer), at the intent stage unless told otherwise. Later stages: see `signed`."""

    class Meta:
        model = Deal

    seller = factory.SubFactory(OrganizationFactory, kind="university")
    buyer = factory.SubFactory(OrganizationFactory, kind="enterprise")
    achievement = factory.SubFactory(AchievementFactory, organization=factory.SelfAttribute("..seller"))
    title = factory.SelfAttribute("achievement.title")
    kind = DealKind.TRANSFER
    amount = 800_000
    stage = DealStage.INTENT
    origin = DealOrigin.DIRECT

    class Params:
        signed = factory.Trait(stage=DealStage.SIGNED, signed_on=factory.Faker("past_date", start_date="-30d"))


def organization_of(user):
    """The one organization a test user belongs to."""
    return user.memberships.get().organization
