from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from demands.enums import BidStatus, ChallengeStatus, ObjectionStatus, PledgeStatus, PoolStatus
from demands.models import Bid, Challenge, Milestone, Objection, Pledge, PooledProcurement
from marketplace.models import IndustryField, PrivateFile
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import OrganizationFactory, UserFactory
from tests.files import pdf_bytes


def _from_now(**delta):
    return timezone.now() + timedelta(**delta)


class ChallengeFactory(DjangoModelFactory):
    """A challenge on a published demand of an enterprise, its bidding window open (opened a
    day ago, closing in 14 days), with a bounty of 200 万元, in the demand's industry field
    (`fields=[codes]` to change) and two milestones of 80 and 120 万元 (`milestones=[(title,
    tranche), …]` to change, `milestones=[]` for none).

    Other statuses are traits: `draft=True`, `announced=True` (published, the window opens in
    a week), `reviewing=True`, `shortlisted=True`, `notice=True` (notice ends in 7 days),
    `in_progress=True`, `accepted=True`, `failed=True`; `window_closed=True` keeps the status
    at bidding with a window that closed an hour ago (Celery beat has not run yet).
    """

    class Meta:
        model = Challenge
        skip_postgeneration_save = True

    demand = factory.SubFactory(DemandFactory)
    organization = factory.SelfAttribute("demand.organization")
    title = factory.Sequence(lambda n: f"固态电池电解质界面稳定性攻关{n}")
    description = "攻克硫化物固态电解质与高镍正极的界面副反应，实现 0.5C 循环 1000 次容量保持率 ≥ 85%。"
    bounty = Decimal("2000000.00")
    opens_at = factory.LazyFunction(lambda: _from_now(days=-1))
    closes_at = factory.LazyFunction(lambda: _from_now(days=14))
    eligibility = "国内注册的高校、科研院所或企业，具备固态电池中试条件。"
    deliverables = "改性电解质材料配方、工艺包及第三方检测报告。"
    review_criteria = "技术路线可行性、团队能力、经费合理性。"
    status = ChallengeStatus.BIDDING
    published_at = factory.LazyFunction(lambda: _from_now(days=-2))

    @factory.post_generation
    def fields(self, create, codes, **kwargs):
        if create:
            self.industry_fields.set(IndustryField.objects.filter(code__in=codes or ["new-energy-batteries"]))

    @factory.post_generation
    def milestones(self, create, rows, **kwargs):
        if not create:
            return
        rows = [("材料配方定型", Decimal("800000")), ("中试验证", Decimal("1200000"))] if rows is None else rows
        Milestone.objects.bulk_create(
            [
                Milestone(
                    challenge=self,
                    position=i,
                    title=title,
                    tranche=tranche,
                    due_date=timezone.localdate() + timedelta(days=90 * (i + 1)),
                )
                for i, (title, tranche) in enumerate(rows)
            ]
        )

    class Params:
        draft = factory.Trait(status=ChallengeStatus.DRAFT, published_at=None)
        announced = factory.Trait(
            status=ChallengeStatus.PUBLISHED,
            opens_at=factory.LazyFunction(lambda: _from_now(days=7)),
            closes_at=factory.LazyFunction(lambda: _from_now(days=37)),
        )
        window_closed = factory.Trait(
            opens_at=factory.LazyFunction(lambda: _from_now(days=-30)),
            closes_at=factory.LazyFunction(lambda: _from_now(hours=-1)),
        )
        reviewing = factory.Trait(status=ChallengeStatus.REVIEWING, window_closed=True)
        shortlisted = factory.Trait(status=ChallengeStatus.SHORTLISTED, window_closed=True)
        notice = factory.Trait(
            status=ChallengeStatus.NOTICE,
            window_closed=True,
            notice_ends_at=factory.LazyFunction(lambda: _from_now(days=7)),
        )
        in_progress = factory.Trait(
            status=ChallengeStatus.IN_PROGRESS,
            window_closed=True,
            notice_ends_at=factory.LazyFunction(lambda: _from_now(days=-1)),
        )
        accepted = factory.Trait(status=ChallengeStatus.ACCEPTED, window_closed=True)
        failed = factory.Trait(status=ChallengeStatus.FAILED, window_closed=True)


class BidFactory(DjangoModelFactory):
    """A submitted bid of a university for an open challenge, budget 180 万元, unless told
    otherwise (`withdrawn=True`, `shortlisted=True`, `awarded=True`, `not_selected=True`)."""

    class Meta:
        model = Bid

    challenge = factory.SubFactory(ChallengeFactory)
    organization = factory.SubFactory(OrganizationFactory, kind="university")
    proposal = "采用卤化物包覆层隔离硫化物电解质与正极，抑制界面副反应。"
    team = "材料学院固态电池课题组：教授 2 名、博士后 3 名。"
    plan = "第 1–6 个月配方筛选；第 7–12 个月中试验证。"
    budget = Decimal("1800000.00")
    status = BidStatus.SUBMITTED

    class Params:
        withdrawn = factory.Trait(status=BidStatus.WITHDRAWN)
        shortlisted = factory.Trait(status=BidStatus.SHORTLISTED)
        awarded = factory.Trait(status=BidStatus.AWARDED)
        not_selected = factory.Trait(status=BidStatus.NOT_SELECTED)


class ObjectionFactory(DjangoModelFactory):
    class Meta:
        model = Objection

    challenge = factory.SubFactory(ChallengeFactory, notice=True)
    user = factory.SubFactory(UserFactory)
    text = "中标单位的团队成员与发榜企业存在关联关系。"
    status = ObjectionStatus.OPEN


class PooledProcurementFactory(DjangoModelFactory):
    """A pool of an enterprise collecting pledges: threshold 300 万元, nothing pledged yet,
    deadline in 30 days. `lapsed=True` and `funded=True` are traits (a funded pool has no
    challenge unless the test makes one)."""

    class Meta:
        model = PooledProcurement
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory, kind="enterprise")
    title = factory.Sequence(lambda n: f"纺织印染废水深度处理共性技术{n}")
    description = "多家印染企业共同面临高盐废水深度处理难题，拟联合采购研发服务。"
    threshold = Decimal("3000000.00")
    pledged_total = Decimal("0.00")
    deadline = factory.LazyFunction(lambda: _from_now(days=30))
    status = PoolStatus.OPEN

    @factory.post_generation
    def fields(self, create, codes, **kwargs):
        if create:
            self.industry_fields.set(IndustryField.objects.filter(code__in=codes or ["water-treatment"]))

    class Params:
        lapsed = factory.Trait(status=PoolStatus.LAPSED, deadline=factory.LazyFunction(lambda: _from_now(days=-1)))
        funded = factory.Trait(status=PoolStatus.FUNDED, funded_at=factory.LazyFunction(timezone.now))


class AgreementFileFactory(DjangoModelFactory):
    """A stored one-page PDF, as the pledge service keeps a signed agreement."""

    class Meta:
        model = PrivateFile

    file = factory.django.FileField(filename="upload", data=factory.LazyFunction(pdf_bytes))
    original_name = "预采购协议.pdf"
    kind = "pdf"
    size = factory.LazyAttribute(lambda f: f.file.size)
    sha256 = "0" * 64
    organization = None
    uploaded_by = None


class PledgeFactory(DjangoModelFactory):
    """An active pledge of 100 万元. It does not add to the pool's pledged_total (the service
    does): set the pool's total in the test when it matters."""

    class Meta:
        model = Pledge

    pool = factory.SubFactory(PooledProcurementFactory)
    organization = factory.SubFactory(OrganizationFactory, kind="enterprise")
    amount = Decimal("1000000.00")
    agreement = factory.SubFactory(AgreementFileFactory, organization=factory.SelfAttribute("..organization"))
    status = PledgeStatus.ACTIVE
