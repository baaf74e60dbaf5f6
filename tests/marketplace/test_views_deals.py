"""The deal workspace, the registration form, the registrar's admin queue and the private
contract file: what each actor sees and may do."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from achievements.models import Inquiry
from marketplace.enums import DealStage, PartyRole, RegistrationStatus
from marketplace.models import ContractRegistration, Deal, Match
from marketplace.services import deals as services
from tests.factories.achievements import AchievementFactory
from tests.factories.deals import DealFactory, organization_of
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import UserFactory
from tests.files import pdf_upload

pytestmark = pytest.mark.django_db


def _form_data(deal, **overrides):
    """The registration form as a party submits it (amounts in 万元)."""
    data = {
        "title": deal.title,
        "contract_number": "QD-2026-018",
        "category": "transfer",
        "subtype": "technical_secret",
        "industry_field": deal.achievement.industry_fields.first().pk,
        "signed_on": (timezone.localdate() - timedelta(days=5)).isoformat(),
        "valid_from": (timezone.localdate() - timedelta(days=5)).isoformat(),
        "valid_until": (timezone.localdate() + timedelta(days=360)).isoformat(),
        "total_amount_wan": "80",
    }
    for role, organization in (("seller", deal.seller), ("buyer", deal.buyer)):
        region = organization.region
        data.update(
            {
                f"{role}_name": organization.name,
                f"{role}_uscc": organization.uscc,
                f"{role}_region_1": region.code[:2] + "0000",
                f"{role}_region_2": region.code[:4] + "00",
                f"{role}_region_3": region.code,
                f"{role}_legal_entity_kind": "enterprise",
            }
        )
    data.update(overrides)
    return data


def _signed(deal, user):
    return services.deal_sign(
        deal=deal, user=user, signed_on=timezone.localdate() - timedelta(days=5), amount=Decimal(800000)
    )


# The list --------------------------------------------------------------------------------------


def test_list_shows_the_users_deals_only(login, deal, seller_admin, foreign_user):
    other = DealFactory(title="别家的交易")
    page = login(seller_admin).get(reverse("deals:list")).content.decode()
    assert deal.title in page and other.title not in page
    assert "海水淡化膜技术转让" not in login(foreign_user).get(reverse("deals:list")).content.decode()


def test_list_shows_deals_a_broker_is_named_on(login, deal):
    broker = UserFactory()
    deal.brokers.add(broker)
    assert deal.title in login(broker).get(reverse("deals:list")).content.decode()


def test_list_query_count_does_not_grow_with_rows(login, seller_admin, django_assert_num_queries):
    client = login(seller_admin)
    DealFactory(seller=organization_of(seller_admin))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("deals:list"))
    for _ in range(2):
        deal = DealFactory(seller=organization_of(seller_admin), signed=True)
        ContractRegistration.objects.create(
            deal=deal, organization=deal.seller, title="x", category="transfer", subtype="technical_secret"
        )
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(reverse("deals:list")).status_code == 200


def test_list_filters_by_stage(login, seller_admin):
    DealFactory(seller=organization_of(seller_admin), title="已签约的交易", signed=True)
    DealFactory(seller=organization_of(seller_admin), title="刚起步的交易")
    page = login(seller_admin).get(reverse("deals:list"), {"stage": "signed"}).content.decode()
    assert "已签约的交易" in page and "刚起步的交易" not in page


# The deal page ------------------------------------------------------------------------------


def test_deal_page_is_404_to_other_organizations(client, login, deal, foreign_user):
    url = deal.get_absolute_url()
    assert client.get(url).status_code == 302  # to the log-in page
    assert login(foreign_user).get(url).status_code == 404
    for name in ("terms", "move", "payment", "registration", "registration-submit"):
        assert login(foreign_user).post(reverse(f"deals:{name}", args=[deal.pk])).status_code == 404


def test_brokers_and_staff_read_but_do_not_act(login, deal, reviewer):
    broker = UserFactory()
    deal.brokers.add(broker)
    for user in (broker, reviewer):
        page = login(user).get(deal.get_absolute_url()).content.decode()
        assert deal.seller.name in page
        assert 'id="deal-actions"' not in page
        response = login(user).post(reverse("deals:move", args=[deal.pk]), {"stage": "negotiating"})
        assert response.status_code == 404
    deal.refresh_from_db()
    assert deal.stage == DealStage.INTENT


def test_party_signs_with_date_and_amount(login, deal, buyer_admin):
    client = login(buyer_admin)
    page = client.get(deal.get_absolute_url()).content.decode()
    assert "记录合同签订" in page and "开始洽谈" in page

    bad = client.post(
        reverse("deals:move", args=[deal.pk]),
        {"stage": "signed", "signed_on": (timezone.localdate() + timedelta(days=3)).isoformat(), "amount_wan": "0"},
    )
    assert bad.status_code == 400
    assert "签订日期不能晚于今天" in bad.content.decode()
    deal.refresh_from_db()
    assert deal.stage == DealStage.INTENT

    good = client.post(
        reverse("deals:move", args=[deal.pk]),
        {"stage": "signed", "signed_on": timezone.localdate().isoformat(), "amount_wan": "75.5"},
        follow=True,
    )
    deal.refresh_from_db()
    assert (deal.stage, deal.amount) == (DealStage.SIGNED, Decimal("755000.00"))
    assert "交易进入：已签约" in good.content.decode()


def test_failing_from_the_page_needs_a_reason(login, deal, seller_admin):
    client = login(seller_admin)
    assert client.post(reverse("deals:move", args=[deal.pk]), {"stage": "failed", "reason": ""}).status_code == 400
    client.post(reverse("deals:move", args=[deal.pk]), {"stage": "failed", "reason": "买方预算取消"})
    deal.refresh_from_db()
    assert (deal.stage, deal.failure_reason) == (DealStage.FAILED, "买方预算取消")
    assert "买方预算取消" in client.get(deal.get_absolute_url()).content.decode()


def test_parties_cannot_jump_to_registered_from_the_page(login, deal, seller_admin):
    _signed(deal, seller_admin)
    login(seller_admin).post(reverse("deals:move", args=[deal.pk]), {"stage": "registered"})
    deal.refresh_from_db()
    assert deal.stage == DealStage.SIGNED


def test_terms_and_payments_from_the_page(login, deal, seller_admin):
    client = login(seller_admin)
    client.post(
        reverse("deals:terms", args=[deal.pk]), {"title": "改名后的交易", "kind": "license", "amount_wan": "90"}
    )
    deal.refresh_from_db()
    assert (deal.title, deal.kind, deal.amount) == ("改名后的交易", "license", Decimal("900000.00"))
    _signed(deal, seller_admin)
    too_much = client.post(
        reverse("deals:payment", args=[deal.pk]), {"amount_wan": "81", "received_on": timezone.localdate().isoformat()}
    )
    assert too_much.status_code == 400
    assert "到账合计将超过成交金额" in too_much.content.decode()
    client.post(
        reverse("deals:payment", args=[deal.pk]),
        {"amount_wan": "30", "received_on": timezone.localdate().isoformat(), "note": "首付款"},
    )
    page = client.get(deal.get_absolute_url()).content.decode()
    assert "首付款" in page and "未到账 50" in page


# Registration -----------------------------------------------------------------------------


def test_registration_form_is_prefilled_from_the_deal(login, deal, seller_admin):
    _signed(deal, seller_admin)
    page = login(seller_admin).get(reverse("deals:registration", args=[deal.pk])).content.decode()
    assert f'value="{deal.seller.uscc}"' in page and f'value="{deal.buyer.uscc}"' in page
    assert 'value="80"' in page  # 800,000 元 in 万元
    assert "技术合同认定登记" in page


def test_registration_form_checks_a_field_as_it_is_filled_in(login, deal, seller_admin):
    _signed(deal, seller_admin)
    data = _form_data(deal, buyer_uscc="91370200123", _validate="buyer_uscc")
    fragment = login(seller_admin).post(reverse("deals:registration", args=[deal.pk]), data, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "统一社会信用代码" in fragment.content.decode()
    assert "invalid-feedback" in fragment.content.decode()
    assert not ContractRegistration.objects.exists()


def test_registration_of_an_unsigned_deal_is_refused(login, deal, seller_admin):
    response = login(seller_admin).post(reverse("deals:registration", args=[deal.pk]), _form_data(deal))
    assert response.status_code == 400
    assert "只有已签订的合同才能申请登记" in response.content.decode()
    assert not ContractRegistration.objects.exists()


def test_registration_submitted_from_the_form_with_the_pdf(login, deal, seller_admin, registrar):
    _signed(deal, seller_admin)
    data = _form_data(deal, signed_contract=pdf_upload("技术转让合同.pdf"), submit="1")
    response = login(seller_admin).post(reverse("deals:registration", args=[deal.pk]), data)
    assert response.status_code == 302
    registration = ContractRegistration.objects.get(deal=deal)
    assert (registration.status, registration.total_amount) == (RegistrationStatus.SUBMITTED, Decimal("800000.00"))
    assert registration.parties.get(role=PartyRole.BUYER).uscc == deal.buyer.uscc
    assert registration.signed_contract.original_name == "技术转让合同.pdf"
    # The form cannot be opened again while the registrar has it.
    again = login(seller_admin).get(reverse("deals:registration", args=[deal.pk]))
    assert again.status_code == 302


def test_registrar_fields_posted_by_a_party_are_ignored(login, deal, seller_admin):
    _signed(deal, seller_admin)
    data = _form_data(deal, technology_amount="1", registration_number="FAKE", status="registered")
    login(seller_admin).post(reverse("deals:registration", args=[deal.pk]), data)
    registration = ContractRegistration.objects.get(deal=deal)
    assert (registration.technology_amount, registration.registration_number, registration.status) == (
        None,
        None,
        RegistrationStatus.DRAFT,
    )


def test_signed_contract_file_is_private_to_the_parties_and_staff(
    login, client, deal, seller_admin, buyer_admin, foreign_user, registrar
):
    _signed(deal, seller_admin)
    login(seller_admin).post(
        reverse("deals:registration", args=[deal.pk]), _form_data(deal, signed_contract=pdf_upload("合同.pdf"))
    )
    url = ContractRegistration.objects.get(deal=deal).signed_contract.get_absolute_url()
    assert login(buyer_admin).get(url).status_code == 200
    assert login(registrar).get(url).status_code == 200
    assert login(foreign_user).get(url).status_code == 404
    assert client.get(url).status_code in (302, 404)


def test_registrar_queue_accepts_registers_and_returns(login, deal, seller_admin, registrar):
    from django.test import Client

    client = Client()
    client.force_login(seller_admin)
    _signed(deal, seller_admin)
    client.post(
        reverse("deals:registration", args=[deal.pk]), _form_data(deal, signed_contract=pdf_upload(), submit="1")
    )
    registration = ContractRegistration.objects.get(deal=deal)
    admin = login(registrar)
    changelist = reverse("admin:marketplace_contractregistration_changelist")
    assert deal.title in admin.get(changelist).content.decode()

    admin.post(changelist, {"action": "accept", "_selected_action": [registration.pk]})
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACCEPTED

    page = admin.post(changelist, {"action": "register", "_selected_action": [registration.pk]})
    assert "800,000.00" in page.content.decode()
    admin.post(
        changelist,
        {
            "action": "register",
            "_selected_action": [registration.pk],
            "apply": "1",
            f"amount_{registration.pk}": "900000",
        },
    )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACCEPTED  # above the contract amount: refused
    admin.post(
        changelist,
        {
            "action": "register",
            "_selected_action": [registration.pk],
            "apply": "1",
            f"amount_{registration.pk}": "780000",
        },
    )
    registration.refresh_from_db()
    deal.refresh_from_db()
    assert registration.status == RegistrationStatus.REGISTERED
    assert registration.technology_amount == Decimal("780000.00")
    assert deal.stage == DealStage.REGISTERED
    page = client.get(deal.get_absolute_url()).content.decode()
    assert registration.registration_number in page


def test_registrar_returns_with_reasons_the_party_sees(login, deal, seller_admin, registrar):
    _signed(deal, seller_admin)
    login(seller_admin).post(
        reverse("deals:registration", args=[deal.pk]), _form_data(deal, signed_contract=pdf_upload(), submit="1")
    )
    registration = ContractRegistration.objects.get(deal=deal)
    changelist = reverse("admin:marketplace_contractregistration_changelist")
    login(registrar).post(
        changelist,
        {
            "action": "return_to_parties",
            "_selected_action": [registration.pk],
            "apply": "1",
            "reason": "缺少合同附件页",
        },
    )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.RETURNED
    page = login(seller_admin).get(deal.get_absolute_url()).content.decode()
    assert "缺少合同附件页" in page and "修改登记申请" in page


def test_parties_and_reviewers_cannot_use_the_registrar_actions(login, deal, seller_admin, reviewer):
    _signed(deal, seller_admin)
    login(seller_admin).post(
        reverse("deals:registration", args=[deal.pk]), _form_data(deal, signed_contract=pdf_upload(), submit="1")
    )
    registration = ContractRegistration.objects.get(deal=deal)
    changelist = reverse("admin:marketplace_contractregistration_changelist")
    assert login(seller_admin).get(changelist).status_code == 302  # not staff: to the admin log-in
    login(reviewer).post(changelist, {"action": "accept", "_selected_action": [registration.pk]})
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.SUBMITTED


def test_deal_admin_is_readable_by_staff(login, deal, reviewer):
    page = login(reviewer).get(reverse("admin:marketplace_deal_change", args=[deal.pk])).content.decode()
    assert deal.title in page


# Starting deals from the pages --------------------------------------------------------------


def test_start_deal_from_an_inquiry_leads_to_the_deal(login, seller_admin, buyer_admin):
    achievement = AchievementFactory(organization=organization_of(seller_admin))
    inquiry = Inquiry.objects.create(
        achievement=achievement,
        organization=organization_of(buyer_admin),
        user=buyer_admin,
        subject="问",
        status="answered",
    )
    response = login(buyer_admin).post(reverse("achievements:inquiry-start-deal", args=[inquiry.pk]))
    deal = Deal.objects.get(inquiry=inquiry)
    assert response.url == deal.get_absolute_url()
    assert "查看交易" in login(seller_admin).get(inquiry.get_absolute_url()).content.decode()


def test_start_deal_from_a_match(login, seller_admin, buyer_admin, foreign_user):
    achievement = AchievementFactory(organization=organization_of(seller_admin))
    demand = DemandFactory(organization=organization_of(buyer_admin))
    match = Match.objects.create(
        demand=demand, achievement=achievement, score=0.7, computed_at=timezone.now(), demand_rank=1, achievement_rank=1
    )
    assert "发起交易" in login(buyer_admin).get(reverse("matching:demand", args=[demand.pk])).content.decode()

    assert login(foreign_user).post(reverse("deals:from-match", args=[match.pk])).status_code == 404
    response = login(buyer_admin).post(reverse("deals:from-match", args=[match.pk]))
    deal = Deal.objects.get(match=match)
    assert response.url == deal.get_absolute_url()
    # A second start leads to the deal already under way.
    again = login(seller_admin).post(reverse("deals:from-match", args=[match.pk]))
    assert again.url == deal.get_absolute_url()
    assert Deal.objects.count() == 1


def test_achievement_page_shows_its_registered_licenses(client):
    achievement = AchievementFactory(license_count=2)
    assert "已许可 2 次（已登记合同）" in client.get(achievement.get_absolute_url()).content.decode()
