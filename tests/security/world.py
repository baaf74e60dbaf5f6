"""The actors of the permission matrix (design.md, "Who may do what"), built once per test on first use."""

from __future__ import annotations

import base64

from django.test import Client

from marketplace.enums import MembershipRole, OrganizationKind, StaffGroup
from marketplace.scopes import SCOPES
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.marketplace import ExpertProfileFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.security.matrix import thing


@thing
def home(w):
    """The organization whose records the owner and member actors work on (a verified enterprise)."""
    return OrganizationFactory(name="矩阵测试科技有限公司", kind=OrganizationKind.ENTERPRISE)


@thing
def foreign_org(w):
    return OrganizationFactory(name="矩阵外部材料有限公司", kind=OrganizationKind.ENTERPRISE)


@thing
def actor_owner(w):
    return MembershipFactory(organization=w.home, role=MembershipRole.ADMIN, user__username="m_owner").user


@thing
def actor_member(w):
    return MembershipFactory(organization=w.home, role=MembershipRole.MEMBER, user__username="m_member").user


@thing
def actor_foreign(w):
    return MembershipFactory(organization=w.foreign_org, role=MembershipRole.ADMIN, user__username="m_foreign").user


@thing
def broker_profile(w):
    return BrokerProfileFactory(user__username="m_broker", fields=["new-energy-batteries"])


@thing
def actor_broker(w):
    return w.broker_profile.user


@thing
def expert_profile(w):
    return ExpertProfileFactory(user__username="m_expert")


@thing
def actor_expert(w):
    return w.expert_profile.user


def _staff(username: str, group: StaffGroup):
    return UserFactory(username=username, staff_groups=[group])


@thing
def actor_reviewer(w):
    return _staff("m_reviewer", StaffGroup.REVIEWER)


@thing
def actor_registrar(w):
    return _staff("m_registrar", StaffGroup.REGISTRAR)


@thing
def actor_statistician(w):
    return _staff("m_statistician", StaffGroup.STATISTICIAN)


@thing
def actor_organizer(w):
    return _staff("m_organizer", StaffGroup.EVENT_ORGANIZER)


@thing
def actor_administrator(w):
    return _staff("m_administrator", StaffGroup.ADMINISTRATOR)


def _token(credentials, scope: str) -> str:
    basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode()).decode()
    response = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": scope},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@thing
def partner_credentials(w):
    from marketplace.services.partners import partner_application_create, partner_organization

    return partner_application_create(
        organization=partner_organization(name="矩阵省级科技大市场"), name="矩阵同步", scopes=" ".join(SCOPES)
    )


@thing
def token_partner(w):
    return _token(w.partner_credentials, " ".join(SCOPES))


@thing
def token_partner_noscope(w):
    """A valid token of another partner whose scopes were all withdrawn after it was issued."""
    from oauth2_provider.models import AccessToken

    from marketplace.services.partners import partner_application_create, partner_organization

    credentials = partner_application_create(
        organization=partner_organization(name="矩阵无权限平台"), name="矩阵无权限同步", scopes="webhooks"
    )
    token = _token(credentials, "webhooks")
    AccessToken.objects.filter(application__client_id=credentials.client_id).update(scope="")
    return token
