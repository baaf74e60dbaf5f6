"""The two sides of a deal, shared by the deal tests."""

import pytest

from marketplace.enums import MembershipRole
from tests.factories.deals import DealFactory, organization_of
from tests.factories.marketplace import MembershipFactory


@pytest.fixture
def seller_admin(db):
    return MembershipFactory(organization__kind="university", role=MembershipRole.ADMIN).user


@pytest.fixture
def buyer_admin(db):
    return MembershipFactory(organization__kind="enterprise", role=MembershipRole.ADMIN).user


@pytest.fixture
def deal(seller_admin, buyer_admin):
    """A deal at the intent stage between the seller's university and the buyer's enterprise."""
    return DealFactory(
        seller=organization_of(seller_admin),
        buyer=organization_of(buyer_admin),
        title="海水淡化膜技术转让",
        created_by=buyer_admin,
    )
