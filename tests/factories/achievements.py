import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from achievements.enums import Category, Status
from achievements.models import Achievement, AchievementTransferMode
from marketplace import search
from marketplace.models import IndustryField
from tests.factories.marketplace import OrganizationFactory


class AchievementFactory(DjangoModelFactory):
    """A published achievement unless told otherwise (status=…)."""

    class Meta:
        model = Achievement
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"一种高性能锂离子电池正极材料的制备方法{n}")
    summary = "本成果提出一种高镍三元正极材料的包覆改性方法，显著提升循环寿命与热稳定性。"
    category = Category.INDUSTRIAL
    organization = factory.SubFactory(OrganizationFactory, kind="university")
    trl = 5
    asking_price = 1_000_000
    status = Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.SelfAttribute("published_at")
    contact_name = "王老师"
    contact_phone = "13912345678"
    contact_email = "wang@example.edu.cn"

    @factory.post_generation
    def fields(self, create, codes, **kwargs):
        if create:
            self.industry_fields.set(IndustryField.objects.filter(code__in=codes or ["new-energy-batteries"]))

    @factory.post_generation
    def modes(self, create, modes, **kwargs):
        if create:
            AchievementTransferMode.objects.bulk_create(
                [AchievementTransferMode(achievement=self, mode=mode) for mode in (modes or ["assignment"])]
            )

    @factory.post_generation
    def indexed(self, create, extracted, **kwargs):
        """Published rows get their search document, as the services write it."""
        if create:
            search.update(self)

    class Params:
        draft = factory.Trait(status=Status.DRAFT, published_at=None, confirmed_at=None)
        submitted = factory.Trait(status=Status.SUBMITTED, published_at=None, confirmed_at=None)
