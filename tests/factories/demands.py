import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from demands.enums import DemandType, ResponseDeclineReason, ResponseStatus, Source, Status, Visibility
from demands.models import Demand, DemandCooperationMode, DemandResponse
from marketplace import search
from marketplace.models import IndustryField
from tests.factories.marketplace import OrganizationFactory


def _days_from_today(days: int):
    return timezone.localdate() + timezone.timedelta(days=days)


class DemandFactory(DjangoModelFactory):
    """A published public demand of an enterprise, open for 90 more days, in one industry field
    (`fields=[codes]`) with one cooperation mode (`modes=[…]`), unless told otherwise.

    Other statuses and visibilities are traits: `draft=True`, `submitted=True`, `rejected=True`,
    `negotiating=True`, `solved=True`, `closed=True`, `expired=True`; `anonymous=True`,
    `confidential=True`; `recorded=True` for a draft bureau staff wrote down for the enterprise.
    `invited=[organizations]` and `brokers=[users]` fill the two visibility lists.
    """

    class Meta:
        model = Demand
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory, kind="enterprise")
    title = factory.Sequence(lambda n: f"高镍正极材料循环寿命提升{n}")
    summary = "寻求提升高镍三元正极材料循环寿命的技术方案。"
    problem = "现有正极材料在 45℃ 下循环 500 次后容量保持率低于 80%，已尝试常规包覆，效果有限。"
    desired_outcome = "形成可量产的改性工艺。"
    technical_indicators = "45℃ 循环 1000 次容量保持率 ≥ 90%。"
    keywords = factory.LazyFunction(lambda: ["正极材料", "循环寿命"])
    demand_type = DemandType.PROBLEM_SOLVING
    min_trl = 4
    budget_min = 500_000
    budget_max = 2_000_000
    deadline = factory.LazyFunction(lambda: _days_from_today(90))
    region = factory.SelfAttribute("organization.region")
    visibility = Visibility.PUBLIC
    contact_name = "刘经理"
    contact_phone = "13812345678"
    contact_email = "liu@example.com"
    status = Status.PUBLISHED
    source = Source.ENTERPRISE
    submitted_at = factory.LazyFunction(timezone.now)
    published_at = factory.SelfAttribute("submitted_at")
    confirmed_at = factory.SelfAttribute("submitted_at")

    @factory.post_generation
    def fields(self, create, codes, **kwargs):
        if create:
            self.industry_fields.set(IndustryField.objects.filter(code__in=codes or ["new-energy-batteries"]))

    @factory.post_generation
    def modes(self, create, modes, **kwargs):
        if create:
            DemandCooperationMode.objects.bulk_create(
                [DemandCooperationMode(demand=self, mode=mode) for mode in (modes or ["commissioned_development"])]
            )

    @factory.post_generation
    def invited(self, create, organizations, **kwargs):
        if create and organizations:
            self.invited_organizations.set(organizations)

    @factory.post_generation
    def brokers(self, create, users, **kwargs):
        if create and users:
            self.assigned_brokers.set(users)

    @factory.post_generation
    def indexed(self, create, extracted, **kwargs):
        """Published rows get their search document, as the services write it."""
        if create:
            search.update(self)

    class Params:
        unpublished = factory.Trait(published_at=None, confirmed_at=None)
        draft = factory.Trait(status=Status.DRAFT, unpublished=True, submitted_at=None)
        submitted = factory.Trait(status=Status.SUBMITTED, unpublished=True)
        rejected = factory.Trait(status=Status.REJECTED, unpublished=True, review_note="请补充技术指标。")
        negotiating = factory.Trait(status=Status.NEGOTIATING)
        solved = factory.Trait(status=Status.SOLVED)
        closed = factory.Trait(status=Status.CLOSED)
        expired = factory.Trait(status=Status.EXPIRED, deadline=factory.LazyFunction(lambda: _days_from_today(-1)))
        recorded = factory.Trait(status=Status.DRAFT, unpublished=True, submitted_at=None, source=Source.STAFF)
        anonymous = factory.Trait(visibility=Visibility.ANONYMOUS)
        confidential = factory.Trait(visibility=Visibility.CONFIDENTIAL)


class DemandResponseFactory(DjangoModelFactory):
    """A submitted response of a university to a published demand, unless told otherwise
    (`shortlisted=True`, `declined=True`, `deal_started=True`, `withdrawn=True`)."""

    class Meta:
        model = DemandResponse

    demand = factory.SubFactory(DemandFactory)
    organization = factory.SubFactory(OrganizationFactory, kind="university")
    approach = "采用表面包覆与体相掺杂协同改性，抑制界面副反应。"
    team = "材料学院电化学储能课题组，教授 2 名、博士 5 名。"
    price_idea = 800_000
    status = ResponseStatus.SUBMITTED

    class Params:
        shortlisted = factory.Trait(status=ResponseStatus.SHORTLISTED)
        declined = factory.Trait(
            status=ResponseStatus.DECLINED,
            decline_reason=ResponseDeclineReason.TOO_EXPENSIVE,
            decline_note="超出预算。",
        )
        deal_started = factory.Trait(status=ResponseStatus.DEAL_STARTED)
        withdrawn = factory.Trait(status=ResponseStatus.WITHDRAWN)
