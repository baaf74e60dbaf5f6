"""The actors of the pilot-base pages: an operator with its administrator and a filed base with
equipment and a priced service; an enterprise with its administrator; a stranger organization."""

import pytest

from marketplace.enums import MembershipRole, OrganizationKind
from tests.factories.marketplace import MembershipFactory, OrganizationFactory
from tests.factories.pilots import EquipmentFactory, PilotBaseFactory, PilotServiceFactory


@pytest.fixture
def operator(db):
    return OrganizationFactory(name="大连长兴岛中试服务有限公司", kind=OrganizationKind.PILOT_OPERATOR)


@pytest.fixture
def operator_admin(operator):
    return MembershipFactory(organization=operator, role=MembershipRole.ADMIN, user__username="pilotboss").user


@pytest.fixture
def base(operator):
    return PilotBaseFactory(operator=operator, name="长兴岛精细化工中试基地")


@pytest.fixture
def reactor(base):
    return EquipmentFactory(base=base, name="连续流反应器", model_number="CFR-200")


@pytest.fixture
def scale_up(base):
    return PilotServiceFactory(base=base, name="中试放大服务", price=50000)


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name="青岛新材料科技有限公司", kind=OrganizationKind.ENTERPRISE)


@pytest.fixture
def requester(enterprise):
    return MembershipFactory(organization=enterprise, role=MembershipRole.ADMIN, user__username="buyer").user


@pytest.fixture
def stranger(db):
    organization = OrganizationFactory(name="无关公司", kind=OrganizationKind.ENTERPRISE)
    return MembershipFactory(organization=organization, role=MembershipRole.ADMIN, user__username="stranger").user
