import pytest
from django.utils import timezone
from playwright.sync_api import expect

from achievements.models import Inquiry
from achievements.services import inquiry_start_deal
from marketplace.enums import DealStage, MembershipRole, RegistrationStatus, StaffGroup
from marketplace.models import ContractRegistration, Deal
from tests.browser.conftest import screenshot
from tests.browser.test_achievements import _log_in, _log_out
from tests.browser.test_challenges import _admin_action
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory
from tests.files import pdf_bytes

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_deal_signed_submitted_and_registered(page, tmp_path):
    university = OrganizationFactory(name="青岛海洋大学", kind="university")
    MembershipFactory(organization=university, user__username="teacher", user__name="王老师", role=MembershipRole.ADMIN)
    enterprise = OrganizationFactory(name="青岛海水淡化装备有限公司", kind="enterprise")
    MembershipFactory(organization=enterprise, user__username="buyer", user__name="李经理", role=MembershipRole.ADMIN)
    UserFactory(username="registrar", name="赵登记", staff_groups=[StaffGroup.REGISTRAR])
    achievement = AchievementFactory(organization=university, title="反渗透膜抗污染改性技术", asking_price=1_500_000)
    inquiry = Inquiry.objects.create(
        achievement=achievement, organization=enterprise, subject="合作咨询", status="answered"
    )
    deal = inquiry_start_deal(inquiry=inquiry, user=enterprise.memberships.get().user)

    # The university finds the deal in its workspace and records the signed contract.
    _log_in(page, "teacher")
    page.goto("/workspace/deals/")
    page.get_by_role("link", name="反渗透膜抗污染改性技术").click()
    expect(page.locator("#deal-amount")).to_contain_text("150")
    page.get_by_role("button", name="开始洽谈").click()
    expect(page.locator(".alert-success")).to_contain_text("洽谈中")
    page.locator("#sign-form #id_signed_on").fill(timezone.localdate().isoformat())
    page.locator("#sign-form #id_amount_wan").fill("120")
    page.get_by_role("button", name="记录合同签订").click()
    expect(page.locator(".status-badge").first).to_contain_text("已签约")

    # The registration form is prefilled from the deal and checks each field as it is filled in.
    page.get_by_role("link", name="填写登记申请").click()
    expect(page.locator("#id_seller_name")).to_have_value("青岛海洋大学")
    expect(page.locator("#id_total_amount_wan")).to_have_value("120")
    page.locator("#id_buyer_uscc").fill("91370200ABC")
    page.locator("#id_contract_number").click()
    expect(page.locator("#group-buyer_uscc .invalid-feedback")).to_be_visible()
    page.locator("#id_buyer_uscc").fill(enterprise.uscc)
    page.locator("#id_contract_number").fill("HY-2026-007")
    expect(page.locator("#group-buyer_uscc .invalid-feedback")).to_have_count(0)
    page.locator("#id_valid_until").fill(timezone.localdate().replace(year=timezone.localdate().year + 2).isoformat())
    contract = tmp_path / "技术转让合同.pdf"
    contract.write_bytes(pdf_bytes())
    page.locator("#id_signed_contract").set_input_files(str(contract))
    screenshot(page, "deal-registration-form")
    page.get_by_role("button", name="保存并提交登记").click()
    expect(page.locator("#registration .status-badge")).to_contain_text("已提交登记")
    registration = ContractRegistration.objects.get(deal=deal)
    assert (registration.status, registration.contract_number) == (RegistrationStatus.SUBMITTED, "HY-2026-007")
    _log_out(page)

    # The registrar accepts it in the admin queue, sets the technology amount and registers it.
    _log_in(page, "registrar")
    changelist = "/admin/marketplace/contractregistration/"
    _admin_action(page, changelist, registration.pk, "accept")
    page.goto(changelist)
    page.locator(f"input[name=_selected_action][value='{registration.pk}']").check()
    page.locator("select[name=action]").select_option("register")
    page.get_by_role("button", name="执行").click()
    page.locator(f"#id_amount_{registration.pk}").fill("1100000")
    page.get_by_role("button", name="确认").click()
    expect(page.locator("ul.messagelist li.success")).to_contain_text("已登记 1 份合同")
    _log_out(page)

    registration.refresh_from_db()
    deal.refresh_from_db()
    achievement.refresh_from_db()
    assert deal.stage == DealStage.REGISTERED and achievement.status == "transferred"

    # The buyer sees the registration number and the notification.
    _log_in(page, "buyer")
    page.goto(Deal.objects.get().get_absolute_url())
    expect(page.locator("#registration-number")).to_have_text(registration.registration_number)
    screenshot(page, "deal-registered")
