from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.enums import MembershipRole
from pilots.enums import RequestStatus
from pilots.models import Booking, ServiceRequest
from tests.browser.conftest import screenshot
from tests.browser.test_achievements import _log_in, _log_out
from tests.factories.marketplace import MembershipFactory, OrganizationFactory
from tests.factories.pilots import EquipmentFactory, PilotBaseFactory, PilotServiceFactory

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_enterprise_requests_a_service_and_the_operator_accepts_and_books_equipment(page):
    operator = OrganizationFactory(name="大连长兴岛中试服务有限公司", kind="pilot_operator")
    MembershipFactory(organization=operator, user__username="pilotboss", user__name="赵主任", role=MembershipRole.ADMIN)
    base = PilotBaseFactory(operator=operator, name="长兴岛精细化工中试基地")
    EquipmentFactory(base=base, name="连续流反应器", model_number="CFR-200")
    EquipmentFactory(base=base, name="喷雾干燥塔", model_number="SD-50", fee=None)
    PilotServiceFactory(base=base, name="中试放大服务", price=50000)
    enterprise = OrganizationFactory(name="青岛新材料科技有限公司", kind="enterprise")
    MembershipFactory(organization=enterprise, user__username="buyer", user__name="李经理", role=MembershipRole.ADMIN)
    today = timezone.localdate()

    # The enterprise finds the base in the directory and asks it for the scale-up service.
    _log_in(page, "buyer")
    page.goto("/pilots/")
    expect(page.locator("#bases")).to_contain_text("长兴岛精细化工中试基地")
    screenshot(page, "pilots-directory")
    page.locator("#bases").get_by_role("link", name="长兴岛精细化工中试基地").click()
    expect(page.locator("#equipment")).to_contain_text("连续流反应器")
    expect(page.locator("#services")).to_contain_text("中试放大服务")
    expect(page.locator("#contact")).to_contain_text("0532-88886666")
    screenshot(page, "pilots-base")
    page.locator("#request-service").click()
    page.locator("#id_service").select_option(label="中试放大服务")
    page.locator("#id_title").fill("锂电池电解液添加剂中试放大")
    page.locator("#id_process").fill("将实验室克级合成工艺放大到 50 公斤级，验证收率与纯度。")
    page.locator("#id_quantity").fill("3 批次")
    page.locator("#id_start_on").fill((today + timedelta(days=14)).isoformat())
    page.locator("#id_end_on").fill((today + timedelta(days=44)).isoformat())
    screenshot(page, "pilots-request-form")
    page.locator("#request-form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("锂电池电解液添加剂中试放大")
    expect(page.locator(".alert-success")).to_contain_text("长兴岛精细化工中试基地")
    expect(page.locator("#request-summary")).to_contain_text("中试放大服务")
    screenshot(page, "pilots-request-submitted")
    request = ServiceRequest.objects.get()
    assert request.organization == enterprise and request.status == RequestStatus.SUBMITTED
    _log_out(page)

    # The operator finds it among the requests received and accepts it at the list price.
    _log_in(page, "pilotboss")
    page.goto("/pilots/requests/?side=operator")
    expect(page.locator("#requests")).to_contain_text("青岛新材料科技有限公司")
    page.locator("#requests").get_by_role("link", name="锂电池电解液添加剂中试放大").click()
    expect(page.locator("#accept_amount")).to_have_value("50000.00")
    screenshot(page, "pilots-request-operator")
    page.locator("#accept-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#request-amount")).to_contain_text("50000")
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED and request.quoted_amount == Decimal("50000")

    # Then books the reactor for a day's run: the request is scheduled.
    begins = (timezone.localtime() + timedelta(days=15)).replace(hour=9, minute=0, second=0, microsecond=0)
    page.locator("#book_equipment").select_option(label="连续流反应器 CFR-200")
    page.locator("#book_starts_at").fill(begins.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#book_ends_at").fill((begins + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#book-form button[type=submit]").click()
    expect(page.locator("#bookings")).to_contain_text("连续流反应器")
    expect(page.locator("#bookings")).to_contain_text(begins.strftime("%Y-%m-%d %H:%M"))
    screenshot(page, "pilots-request-scheduled")
    request.refresh_from_db()
    assert request.status == RequestStatus.SCHEDULED
    assert Booking.objects.get().request == request

    # The calendar shows the slot; the operator sees whose request holds it.
    page.goto(f"/pilots/{base.pk}/calendar/?start={begins.date().isoformat()}")
    expect(page.locator("#busy-slots")).to_contain_text("锂电池电解液添加剂中试放大")
    screenshot(page, "pilots-calendar")
