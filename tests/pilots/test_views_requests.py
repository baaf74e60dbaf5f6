"""The service-request pages: each side's list, a request's page, and the moves of each side
(quotation, acceptance, declining, withdrawal, bookings, start and the outcome report)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pilots import services
from pilots.enums import RequestStatus
from pilots.models import Booking, ServiceRequest
from tests.factories.pilots import BookingFactory, EquipmentFactory, ServiceRequestFactory

pytestmark = pytest.mark.django_db

ACTIONS = ["request-quote", "request-accept", "request-decline", "request-withdraw", "request-book",
           "request-start", "request-complete"]  # fmt: skip


def page_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


@pytest.fixture
def submitted(base, scale_up, enterprise, requester):
    return services.request_submit(
        user=requester,
        organization=enterprise,
        base=base,
        service=scale_up,
        title="锂电池电解液添加剂中试放大",
        process="将实验室克级合成工艺放大到 50 公斤级。",
        quantity="3 批次",
        start_on=timezone.localdate() + timedelta(days=14),
        end_on=timezone.localdate() + timedelta(days=44),
    )


@pytest.fixture
def accepted(submitted, operator_admin):
    return services.request_accept(request=submitted, user=operator_admin)


def _slot(days: int = 3, hours: int = 8) -> tuple[str, str]:
    begins = (timezone.localtime() + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
    return begins.strftime("%Y-%m-%dT%H:%M"), (begins + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


# Lists ---------------------------------------------------------------------------------------


def test_list_needs_login(client):
    response = client.get(reverse("pilots:requests"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_list_shows_each_side_its_requests(login, submitted, requester, operator_admin, stranger):
    mine = login(requester).get(reverse("pilots:requests"))
    received = login(operator_admin).get(reverse("pilots:requests"), {"side": "operator"})
    operator_as_requester = login(operator_admin).get(reverse("pilots:requests"))
    nothing = login(stranger).get(reverse("pilots:requests"), {"side": "operator"})

    assert list(mine.context["page"]) == [submitted]
    assert "锂电池电解液添加剂中试放大" in page_of(mine) and "长兴岛精细化工中试基地" in page_of(mine)
    assert list(received.context["page"]) == [submitted]
    assert "青岛新材料科技有限公司" in page_of(received)
    assert list(operator_as_requester.context["page"]) == []
    assert list(nothing.context["page"]) == []


def test_list_filters_by_status_and_open(login, base, enterprise, requester):
    ServiceRequestFactory(base=base, organization=enterprise, title="已完成项目", status=RequestStatus.COMPLETED)
    ServiceRequestFactory(base=base, organization=enterprise, title="进行中项目", status=RequestStatus.IN_PROGRESS)
    client = login(requester)

    open_page = client.get(reverse("pilots:requests"), {"status": "open"})
    completed = client.get(reverse("pilots:requests"), {"status": "completed"})
    bogus = client.get(reverse("pilots:requests"), {"status": "bogus"})

    assert [r.title for r in open_page.context["page"]] == ["进行中项目"]
    assert [r.title for r in completed.context["page"]] == ["已完成项目"]
    assert len(bogus.context["page"]) == 2


@pytest.mark.parametrize("side", ["requester", "operator"])
def test_list_queries_do_not_grow_with_rows(login, base, scale_up, enterprise, requester, operator_admin, side,
                                            django_assert_num_queries):  # fmt: skip
    client = login(requester if side == "requester" else operator_admin)
    ServiceRequestFactory(base=base, organization=enterprise, service=scale_up)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("pilots:requests"), {"side": side})
    ServiceRequestFactory(base=base, organization=enterprise, service=scale_up, quoted_amount=Decimal("800"))
    ServiceRequestFactory(base=base, organization=enterprise)

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("pilots:requests"), {"side": side})
    assert len(response.context["page"]) == 3


# A request's page ----------------------------------------------------------------------------


def test_detail_for_the_parties_and_the_bureau_only(client, login, submitted, requester, operator_admin, reviewer,
                                                    stranger, foreign_user):  # fmt: skip
    url = reverse("pilots:request", args=[submitted.pk])

    assert login(requester).get(url).status_code == 200
    assert login(operator_admin).get(url).status_code == 200
    assert login(reviewer).get(url).status_code == 200
    assert login(stranger).get(url).status_code == 404
    assert login(foreign_user).get(url).status_code == 404
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))


def test_detail_shows_the_request_history_and_the_operators_forms(login, submitted, operator_admin):
    response = login(operator_admin).get(reverse("pilots:request", args=[submitted.pk]))

    content = page_of(response)
    assert "锂电池电解液添加剂中试放大" in content and "中试放大服务" in content and "3 批次" in content
    assert "长兴岛精细化工中试基地" in content and "青岛新材料科技有限公司" in content
    assert len(response.context["history"]) == 1
    assert response.context["accept_form"]["amount"].value() == Decimal("50000")
    assert "quote_form" in response.context and "decline_form" in response.context
    assert "withdraw_form" not in response.context
    assert reverse("pilots:request-accept", args=[submitted.pk]) in content


def test_detail_shows_the_requester_only_its_own_moves(login, submitted, requester):
    response = login(requester).get(reverse("pilots:request", args=[submitted.pk]))

    assert "withdraw_form" in response.context
    assert "accept_form" not in response.context and "quote_form" not in response.context
    assert not response.context["can_accept_quote"]
    assert reverse("pilots:request-quote", args=[submitted.pk]) not in page_of(response)


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_are_404_for_outsiders_and_refuse_get(login, submitted, stranger, foreign_user, operator_admin, action):
    url = reverse(f"pilots:{action}", args=[submitted.pk])

    assert login(stranger).post(url, {"reason": "x", "amount": "1"}).status_code == 404
    assert login(foreign_user).post(url, {"reason": "x", "amount": "1"}).status_code == 404
    assert login(operator_admin).get(url).status_code == 405
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.SUBMITTED


def test_actions_need_login(client, submitted):
    response = client.post(reverse("pilots:request-quote", args=[submitted.pk]), {"amount": "1"})

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_requester_cannot_use_the_operators_actions(login, submitted, requester):
    response = login(requester).post(reverse("pilots:request-quote", args=[submitted.pk]), {"amount": "1"})

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.quoted_amount is None


# The operator's moves ------------------------------------------------------------------------


def test_operator_quotes_and_the_requester_accepts(login, submitted, operator_admin, requester):
    quoted = login(operator_admin).post(
        reverse("pilots:request-quote", args=[submitted.pk]), {"amount": "42000", "note": "含检测费"}, follow=True
    )
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.QUOTED and submitted.quoted_amount == Decimal("42000")
    assert "42000" in page_of(quoted) and "含检测费" in page_of(quoted)

    page = login(requester).get(reverse("pilots:request", args=[submitted.pk]))
    assert page.context["can_accept_quote"]
    accepted = login(requester).post(reverse("pilots:request-accept", args=[submitted.pk]), follow=True)

    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.ACCEPTED and submitted.quoted_amount == Decimal("42000")
    assert accepted.redirect_chain[-1][0] == reverse("pilots:request", args=[submitted.pk])
    assert [m.level_tag for m in accepted.context["messages"]] == ["success"]
    assert len(accepted.context["history"]) == 3


def test_quote_with_a_negative_amount_is_refused(login, submitted, operator_admin):
    response = login(operator_admin).post(reverse("pilots:request-quote", args=[submitted.pk]), {"amount": "-5"})

    assert response.status_code == 200
    assert response.context["quote_form"].errors["amount"]
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.SUBMITTED and submitted.quoted_amount is None


def test_operator_accepts_at_the_list_price(login, submitted, operator_admin):
    response = login(operator_admin).post(reverse("pilots:request-accept", args=[submitted.pk]), {"amount": ""})

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.ACCEPTED and submitted.quoted_amount == Decimal("50000")


def test_operator_declines_with_a_reason_the_requester_sees(login, submitted, operator_admin, requester):
    login(operator_admin).post(reverse("pilots:request-decline", args=[submitted.pk]), {"reason": "产能已排满"})

    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.DECLINED and submitted.status_note == "产能已排满"
    page = login(requester).get(reverse("pilots:request", args=[submitted.pk]))
    assert "产能已排满" in page_of(page)
    assert "withdraw_form" not in page.context


def test_decline_without_a_reason_is_refused(login, submitted, operator_admin):
    response = login(operator_admin).post(reverse("pilots:request-decline", args=[submitted.pk]), {"reason": ""})

    assert response.status_code == 200
    assert response.context["decline_form"].errors["reason"]
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.SUBMITTED


def test_operator_books_equipment_and_the_request_is_scheduled(login, accepted, reactor, operator_admin):
    starts, ends = _slot()

    response = login(operator_admin).post(
        reverse("pilots:request-book", args=[accepted.pk]),
        {"equipment": reactor.pk, "starts_at": starts, "ends_at": ends},
        follow=True,
    )

    booking = Booking.objects.get()
    accepted.refresh_from_db()
    assert accepted.status == RequestStatus.SCHEDULED
    assert booking.request == accepted and booking.equipment == reactor
    assert timezone.localtime(booking.starts_at).strftime("%Y-%m-%dT%H:%M") == starts
    assert "连续流反应器" in page_of(response) and starts.replace("T", " ") in page_of(response)


def test_overlapping_booking_shows_the_error_and_stores_nothing(login, accepted, reactor, operator_admin):
    starts, ends = _slot()
    login(operator_admin).post(
        reverse("pilots:request-book", args=[accepted.pk]),
        {"equipment": reactor.pk, "starts_at": starts, "ends_at": ends},
    )
    later_start, later_end = _slot(hours=12)

    response = login(operator_admin).post(
        reverse("pilots:request-book", args=[accepted.pk]),
        {"equipment": reactor.pk, "starts_at": later_start, "ends_at": later_end},
    )

    assert response.status_code == 200
    assert response.context["book_form"].errors["starts_at"]
    assert "连续流反应器" in response.context["book_form"].errors["starts_at"][0]
    assert Booking.objects.count() == 1


def test_booking_ending_before_it_starts_is_refused(login, accepted, reactor, operator_admin):
    starts, _ends = _slot()
    earlier = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    response = login(operator_admin).post(
        reverse("pilots:request-book", args=[accepted.pk]),
        {"equipment": reactor.pk, "starts_at": starts, "ends_at": earlier},
    )

    assert response.status_code == 200
    assert response.context["book_form"].errors["ends_at"]
    assert not Booking.objects.exists()
    accepted.refresh_from_db()
    assert accepted.status == RequestStatus.ACCEPTED


def test_booking_equipment_of_another_base_is_refused(login, accepted, operator_admin):
    other = EquipmentFactory(name="别家反应器")

    response = login(operator_admin).post(
        reverse("pilots:request-book", args=[accepted.pk]),
        {"equipment": other.pk, "starts_at": _slot()[0], "ends_at": _slot()[1]},
    )

    assert response.status_code == 200
    assert response.context["book_form"].errors["equipment"]
    assert not Booking.objects.exists()


def test_booking_a_request_not_accepted_is_refused_with_a_message(login, submitted, reactor, operator_admin):
    starts, ends = _slot()

    response = login(operator_admin).post(
        reverse("pilots:request-book", args=[submitted.pk]),
        {"equipment": reactor.pk, "starts_at": starts, "ends_at": ends},
    )

    assert response.status_code == 200
    assert response.context["book_form"].non_field_errors()
    assert not Booking.objects.exists()


def test_operator_starts_and_completes_with_a_report(login, accepted, reactor, operator_admin, requester):
    BookingFactory(equipment=reactor, request=accepted)
    ServiceRequest.objects.filter(pk=accepted.pk).update(status=RequestStatus.SCHEDULED)
    client = login(operator_admin)

    client.post(reverse("pilots:request-start", args=[accepted.pk]))
    short = client.post(reverse("pilots:request-complete", args=[accepted.pk]), {"outcome_report": "完成"})
    report = "三批次均已完成，平均收率 92%，纯度 99.5%，建议下一步做连续化工艺验证。"
    client.post(reverse("pilots:request-complete", args=[accepted.pk]), {"outcome_report": report})

    assert short.status_code == 200 and short.context["complete_form"].errors["outcome_report"]
    accepted.refresh_from_db()
    assert accepted.status == RequestStatus.COMPLETED and accepted.outcome_report == report
    assert report in page_of(login(requester).get(reverse("pilots:request", args=[accepted.pk])))


def test_start_of_a_request_not_scheduled_is_a_message_not_an_error(login, submitted, operator_admin):
    response = login(operator_admin).post(reverse("pilots:request-start", args=[submitted.pk]), follow=True)

    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.SUBMITTED


# The requester's moves -----------------------------------------------------------------------


def test_requester_withdraws_with_a_reason(login, accepted, reactor, requester):
    BookingFactory(equipment=reactor, request=accepted)

    login(requester).post(reverse("pilots:request-withdraw", args=[accepted.pk]), {"reason": "项目暂停"})

    accepted.refresh_from_db()
    assert accepted.status == RequestStatus.WITHDRAWN and accepted.status_note == "项目暂停"
    assert not Booking.objects.filter(is_active=True).exists()


def test_operator_cannot_withdraw(login, submitted, operator_admin):
    response = login(operator_admin).post(reverse("pilots:request-withdraw", args=[submitted.pk]), {"reason": "x"})

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.SUBMITTED


def test_withdrawing_a_completed_request_shows_the_error(login, base, enterprise, requester):
    done = ServiceRequestFactory(base=base, organization=enterprise, status=RequestStatus.COMPLETED)

    response = login(requester).post(reverse("pilots:request-withdraw", args=[done.pk]), {"reason": "不需要了"})

    assert response.status_code == 200
    assert response.context["withdraw_form"].non_field_errors()
    done.refresh_from_db()
    assert done.status == RequestStatus.COMPLETED
