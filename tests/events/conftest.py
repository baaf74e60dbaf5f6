"""The actors of events: a verified service agency organizing a published matchmaking session
with its administrator, event-organizer staff, an enterprise and a university with members."""

import pytest

from marketplace.enums import MembershipRole, OrganizationKind, StaffGroup
from tests.factories.events import EventFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture
def agency(db):
    return OrganizationFactory(name="青岛技术市场服务中心", kind=OrganizationKind.SERVICE_AGENCY)


@pytest.fixture
def organizer(agency):
    return MembershipFactory(organization=agency, role=MembershipRole.ADMIN, user__username="organizer").user


@pytest.fixture
def event_staff(db):
    return UserFactory(username="eventstaff", staff_groups=[StaffGroup.EVENT_ORGANIZER])


@pytest.fixture
def event(agency):
    return EventFactory(organizer=agency, title="国重面对面·新能源专场", capacity=2)


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name="青岛储能科技有限公司", kind=OrganizationKind.ENTERPRISE)


@pytest.fixture
def university(db):
    return OrganizationFactory(name="青岛大学", kind=OrganizationKind.UNIVERSITY)


@pytest.fixture
def buyer(enterprise):
    return MembershipFactory(organization=enterprise, role=MembershipRole.ADMIN, user__username="buyer").user


@pytest.fixture
def professor(university):
    return MembershipFactory(organization=university, role=MembershipRole.ADMIN, user__username="professor").user


@pytest.fixture
def stranger(db):
    organization = OrganizationFactory(name="无关公司", kind=OrganizationKind.ENTERPRISE)
    return MembershipFactory(organization=organization, role=MembershipRole.ADMIN, user__username="stranger").user
