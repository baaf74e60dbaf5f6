"""The actors of design.md against the shared permissions."""

import pytest
from django.contrib.auth.models import AnonymousUser

from marketplace.enums import StaffGroup
from tests.factories.marketplace import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_organization_permissions_by_actor(
    organization, org_admin, org_member, foreign_user, reviewer, registrar, bureau_admin
):
    pending = OrganizationFactory(pending=True)
    anonymous = AnonymousUser()

    assert anonymous.has_perm("marketplace.view_organization", organization)
    assert not anonymous.has_perm("marketplace.view_organization", pending)
    assert not foreign_user.has_perm("marketplace.view_organization", pending)
    assert reviewer.has_perm("marketplace.view_organization", pending)

    assert org_admin.has_perm("marketplace.change_organization", organization)
    assert not org_member.has_perm("marketplace.change_organization", organization)
    assert not foreign_user.has_perm("marketplace.change_organization", organization)

    assert reviewer.has_perm("marketplace.review_organization", pending)
    assert bureau_admin.has_perm("marketplace.review_organization", pending)
    assert not registrar.has_perm("marketplace.review_organization", pending)
    assert not org_admin.has_perm("marketplace.review_organization", organization)


def test_only_members_of_verified_organizations_submit_for_publication(organization, org_member, foreign_user):
    unverified = OrganizationFactory(unverified=True)
    member_of_unverified = UserFactory()
    unverified.memberships.create(user=member_of_unverified)

    assert org_member.has_perm("marketplace.submit_for_publication", organization)
    assert not foreign_user.has_perm("marketplace.submit_for_publication", organization)
    assert not member_of_unverified.has_perm("marketplace.submit_for_publication", unverified)


def test_staff_groups_need_is_staff_to_count_as_bureau_staff():
    from marketplace.rules import is_bureau_staff

    grouped_but_not_staff = UserFactory(staff_groups=[StaffGroup.STATISTICIAN])
    grouped_but_not_staff.is_staff = False
    grouped_but_not_staff.save()

    assert is_bureau_staff(UserFactory(staff_groups=[StaffGroup.EVENT_ORGANIZER]))
    assert not is_bureau_staff(grouped_but_not_staff)
    assert not is_bureau_staff(AnonymousUser())


def test_evidence_is_for_members_and_reviewers(organization, org_member, foreign_user, reviewer, registrar):
    permission = "marketplace.view_evidence_organization"

    assert org_member.has_perm(permission, organization)
    assert reviewer.has_perm(permission, organization)
    assert not foreign_user.has_perm(permission, organization)
    assert not registrar.has_perm(permission, organization)
