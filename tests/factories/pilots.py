from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from marketplace import search
from marketplace.enums import OrganizationKind
from marketplace.models import IndustryField, Region
from pilots.enums import BaseKind, BaseLevel, FeeUnit, FilingStatus, RequestStatus
from pilots.models import Booking, Equipment, PilotBase, PilotService, ServiceRequest
from tests.factories.marketplace import OrganizationFactory


class PilotBaseFactory(DjangoModelFactory):
    """A filed municipal pilot base of a pilot operator unless told otherwise (`status=…`);
    `fields=[codes]` sets the industry fields (fine chemicals by default). Filed bases are indexed."""

    class Meta:
        model = PilotBase
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"精细化工中试基地{n}号")
    operator = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.PILOT_OPERATOR)
    kind = BaseKind.PILOT_BASE
    level = BaseLevel.MUNICIPAL
    region = factory.LazyFunction(lambda: Region.objects.get(code="370202"))
    address = "青岛市市南区香港中路 1 号"
    introduction = "面向精细化工与新材料成果的中试放大平台，配备连续流反应与分离纯化装置。"
    processes = "精细化工连续流合成、催化剂评价、中试放大、分离纯化、小批量试产"
    scale = "百公斤级中试线"
    trl_min = 4
    trl_max = 6
    qualifications = "ISO 9001, 安全生产许可证"
    contact_name = "李工"
    contact_phone = "0532-88886666"
    contact_email = "pilot@example.cn"
    status = FilingStatus.APPROVED
    approved_at = factory.LazyFunction(timezone.now)
    filing_number = factory.Sequence(lambda n: f"ZS-2026-{n:04d}")
    next_review_due = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))

    @factory.post_generation
    def fields(self, create, codes, **kwargs):
        if create:
            self.industry_fields.set(IndustryField.objects.filter(code__in=codes or ["fine-chemicals"]))
            search.update(self)


class EquipmentFactory(DjangoModelFactory):
    class Meta:
        model = Equipment

    base = factory.SubFactory(PilotBaseFactory)
    name = factory.Sequence(lambda n: f"连续流反应器{n}")
    model_number = "CFR-200"
    parameters = "通量 200 L/h，耐压 10 MPa"
    is_shared = True
    fee = 800
    fee_unit = FeeUnit.HOUR


class PilotServiceFactory(DjangoModelFactory):
    class Meta:
        model = PilotService

    base = factory.SubFactory(PilotBaseFactory)
    name = "中试放大服务"
    description = "从克级到百公斤级的工艺放大与优化"
    price = 50000
    price_unit = FeeUnit.BATCH


class ServiceRequestFactory(DjangoModelFactory):
    class Meta:
        model = ServiceRequest

    base = factory.SubFactory(PilotBaseFactory)
    organization = factory.SubFactory(OrganizationFactory)
    title = "锂电池电解液添加剂中试放大"
    process = "将实验室克级合成工艺放大到 50 公斤级，验证收率与纯度。"
    quantity = "3 批次"
    start_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    end_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=44))
    status = RequestStatus.SUBMITTED


class BookingFactory(DjangoModelFactory):
    class Meta:
        model = Booking

    equipment = factory.SubFactory(EquipmentFactory)
    starts_at = factory.LazyFunction(
        lambda: timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    )
    ends_at = factory.LazyAttribute(lambda b: b.starts_at + timedelta(hours=8))
