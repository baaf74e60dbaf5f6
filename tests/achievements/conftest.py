import pytest

from tests.factories.achievements import AchievementFactory


@pytest.fixture
def draft(organization, org_member):
    """A complete draft of the fixture organization (a verified university)."""
    achievement = AchievementFactory(organization=organization, draft=True, created_by=org_member)
    return achievement


@pytest.fixture
def buyer(foreign_user):
    """An administrator of another verified organization (an enterprise)."""
    return foreign_user
