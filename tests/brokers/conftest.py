"""The actors of the broker pages: a transfer agency with its administrator and an active
broker, an enterprise with its administrator and a published demand."""

import pytest

from marketplace.enums import MembershipRole
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory


@pytest.fixture
def agency(db):
    return OrganizationFactory(name="青岛市技术转移中心", kind="transfer_agency")


@pytest.fixture
def agency_admin(agency):
    return MembershipFactory(organization=agency, role=MembershipRole.ADMIN, user__username="agencyboss").user


@pytest.fixture
def broker(agency):
    return BrokerProfileFactory(
        agency=agency,
        user__username="wangjj",
        user__name="王经纪",
        fields=["new-energy-batteries"],
        served=["370200"],
    )


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name="青岛储能科技有限公司", kind="enterprise")


@pytest.fixture
def boss(enterprise):
    return MembershipFactory(organization=enterprise, role=MembershipRole.ADMIN, user__username="boss").user


@pytest.fixture
def demand(enterprise):
    return DemandFactory(organization=enterprise, title="储能电池热失控预警")
