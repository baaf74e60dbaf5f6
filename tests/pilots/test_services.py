"""Pilot-base services: filing (备案) transitions and the yearly re-evaluation, service requests
between requester and operator, bookings that never overlap (also racing on PostgreSQL),
facility subsidies, and the base in search and matching."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marketplace import search
from marketplace.enums import FilePurpose
from marketplace.models import IndustryField, Notification, Region, SearchDocument, TransitionLog
from pilots import selectors, services
from pilots.enums import FilingStatus, RequestStatus, ReviewOutcome
from pilots.models import Booking, FacilitySubsidy, PilotBase, ServiceRequest
from tests.concurrency import postgresql_only, run_together
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.factories.pilots import EquipmentFactory, PilotBaseFactory, ServiceRequestFactory
from tests.files import pdf_upload, png_bytes, upload

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def slot(days: int = 3, hour: int = 9, hours: int = 4):
    start = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=days)
    return start, start + timedelta(hours=hours)


def submit(requester, enterprise, base, **fields):
    values = {
        "title": "电解液添加剂中试放大",
        "process": "将克级合成工艺放大到 50 公斤级，验证收率与纯度。",
        "quantity": "3 批次",
        "start_on": TODAY() + timedelta(days=7),
        "end_on": TODAY() + timedelta(days=30),
    }
    values.update(fields)
    return services.request_submit(user=requester, organization=enterprise, base=base, **values)


# Filing ------------------------------------------------------------------------------------


def draft_base(operator_admin, operator, **fields):
    values = {
        "name": "长兴岛洁净能源中试基地",
        "kind": "pilot_base",
        "level": "provincial",
        "region": Region.objects.get(code="370202"),
        "address": "长兴岛经济区",
        "introduction": "洁净能源与精细化工成果的中试熟化平台。",
        "processes": "煤基合成气制化学品中试、催化剂放大评价",
        "trl_min": 4,
        "trl_max": 7,
        "contact_name": "王工",
        "contact_phone": "0411-88880000",
    }
    values.update(fields)
    return services.base_create(
        user=operator_admin,
        operator=operator,
        industry_fields=IndustryField.objects.filter(code="clean-energy"),
        **values,
    )


def test_filing_goes_through_review_to_the_public_directory(operator, operator_admin, reviewer):
    base = draft_base(operator_admin, operator)
    assert base.status == FilingStatus.DRAFT
    assert not SearchDocument.objects.filter(kind="pilot_base", object_id=base.pk).exists()

    with pytest.raises(ValidationError, match="备案材料"):
        services.base_apply(base=base, user=operator_admin)
    services.base_add_file(
        base=base, user=operator_admin, uploaded=pdf_upload("备案申请表.pdf"), purpose=FilePurpose.FILING_DOCUMENT
    )
    with pytest.raises(ValidationError, match="一台设备或一项服务"):
        services.base_apply(base=base, user=operator_admin)
    services.equipment_save(base=base, user=operator_admin, name="固定床反应器", parameters="500 mL", fee=Decimal(300))
    photo = services.base_add_file(
        base=base, user=operator_admin, uploaded=upload("全景.png", png_bytes(), "image/png"), purpose=FilePurpose.PHOTO
    )
    assert not photo.is_public  # not until the base is filed

    services.base_apply(base=base, user=operator_admin)
    assert base.status == FilingStatus.APPLIED
    assert Notification.objects.filter(user=reviewer, kind="pilots.applied").exists()

    services.base_approve(base=base, reviewer=reviewer, level="municipal")
    base.refresh_from_db()
    assert base.status == FilingStatus.APPROVED
    assert base.level == "municipal"  # the level the bureau confirmed, not the one applied for
    assert base.filing_number == f"ZS-{TODAY():%Y}-{base.pk:04d}"
    assert base.next_review_due.year == TODAY().year + 1
    photo.refresh_from_db()
    assert photo.is_public
    assert list(selectors.directory()) == [base]
    assert SearchDocument.objects.get(kind="pilot_base", object_id=base.pk).title == "长兴岛洁净能源中试基地"
    assert list(
        TransitionLog.objects.filter(object_id=base.pk, field="status")
        .order_by("pk")
        .values_list("from_status", "to_status")
    ) == [("", "draft"), ("draft", "applied"), ("applied", "approved")]


def test_rejection_needs_a_reason_and_the_operator_applies_again(base, operator_admin, reviewer):
    PilotBase.objects.filter(pk=base.pk).update(status=FilingStatus.APPLIED)
    base.refresh_from_db()
    with pytest.raises(ValidationError):
        services.base_reject(base=base, reviewer=reviewer, reason=" ")
    services.base_reject(base=base, reviewer=reviewer, reason="缺少安全生产许可证")
    base.refresh_from_db()
    assert (base.status, base.status_note) == (FilingStatus.REJECTED, "缺少安全生产许可证")
    with pytest.raises(ValidationError):  # rejected is not filed
        services.base_approve(base=base, reviewer=reviewer)
    services.base_add_file(base=base, user=operator_admin, uploaded=pdf_upload(), purpose=FilePurpose.FILING_DOCUMENT)
    EquipmentFactory(base=base)
    services.base_apply(base=base, user=operator_admin)
    assert base.status == FilingStatus.APPLIED and base.status_note == ""


def test_only_reviewers_decide_and_only_operators_edit(base, operator_admin, requester, stranger):
    with pytest.raises(PermissionDenied):
        services.base_revoke(base=base, reviewer=operator_admin, reason="自行撤销")
    with pytest.raises(PermissionDenied):
        services.base_update(base=base, user=stranger, address="别处")
    with pytest.raises(PermissionDenied):
        services.equipment_save(base=base, user=requester, name="偷偷加的设备")


def test_a_filed_base_keeps_the_name_and_level_the_bureau_filed(base, operator_admin):
    services.base_update(base=base, user=operator_admin, name="改名", level="national", address="新地址 8 号")
    base.refresh_from_db()
    assert (base.name, base.level, base.address) == ("长兴岛精细化工中试基地", "municipal", "新地址 8 号")


def test_revocation_takes_the_base_off_the_directory_and_search(base, reviewer, enterprise, requester):
    services.base_revoke(base=base, reviewer=reviewer, reason="连续两年无服务记录")
    assert list(selectors.directory()) == []
    assert not SearchDocument.objects.filter(kind="pilot_base", object_id=base.pk).exists()
    with pytest.raises(ValidationError) as error:
        submit(requester, enterprise, base)
    assert "base" in error.value.message_dict


def test_yearly_re_evaluation(base, reviewer):
    base.next_review_due = TODAY() - timedelta(days=3)
    base.save()
    assert list(PilotBase.objects.review_due()) == [base]
    with pytest.raises(ValidationError):  # anything but a pass needs a reason
        services.base_review(base=base, reviewer=reviewer, year=2026, outcome=ReviewOutcome.RECTIFY)
    services.base_review(base=base, reviewer=reviewer, year=2026, outcome=ReviewOutcome.RECTIFY, note="补充检测资质")
    base.refresh_from_db()
    assert base.status == FilingStatus.APPROVED and base.next_review_due > TODAY()
    with pytest.raises(ValidationError):  # once a year
        services.base_review(base=base, reviewer=reviewer, year=2026, outcome=ReviewOutcome.PASSED)
    services.base_review(base=base, reviewer=reviewer, year=2027, outcome=ReviewOutcome.FAILED, note="设备长期停用")
    base.refresh_from_db()
    assert base.status == FilingStatus.REVOKED
    assert "设备长期停用" in base.status_note


# Service requests ----------------------------------------------------------------------------


def test_the_operator_accepts_at_the_list_price_and_schedules(
    base, reactor, scale_up, enterprise, requester, operator_admin
):
    request = submit(requester, enterprise, base, service=scale_up)
    assert Notification.objects.filter(user=operator_admin, kind="pilots.requested").exists()
    with pytest.raises(PermissionDenied):  # the requester cannot accept its own request
        services.request_accept(request=request, user=requester)
    services.request_accept(request=request, user=operator_admin)
    assert (request.status, request.quoted_amount) == (RequestStatus.ACCEPTED, Decimal("50000"))
    assert Notification.objects.filter(user=requester, kind="pilots.accepted").exists()

    start, end = slot()
    services.request_book(request=request, user=operator_admin, slots=[(reactor, start, end)])
    request.refresh_from_db()
    assert request.status == RequestStatus.SCHEDULED
    services.request_start(request=request, user=operator_admin)
    with pytest.raises(ValidationError):
        services.request_complete(request=request, user=operator_admin, report="完成")
    services.request_complete(
        request=request, user=operator_admin, report="三批次放大完成，平均收率 92%，纯度 99.5%，工艺包已交付。"
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED and request.completed_at is not None
    assert request.bookings.filter(is_active=True).count() == 1  # completed work keeps its bookings


def test_a_quotation_is_accepted_by_the_requester(base, enterprise, requester, operator_admin):
    request = submit(requester, enterprise, base)
    with pytest.raises(ValidationError):  # no list price: the operator names the amount
        services.request_accept(request=request, user=operator_admin)
    services.request_quote(request=request, user=operator_admin, amount="80000", note="含检测费")
    services.request_quote(request=request, user=operator_admin, amount="76000", note="优惠后")  # re-quote
    request.refresh_from_db()
    assert (request.status, request.quoted_amount, request.quote_note) == (
        RequestStatus.QUOTED,
        Decimal("76000"),
        "优惠后",
    )
    with pytest.raises(PermissionDenied):  # now it is the requester's to accept
        services.request_accept(request=request, user=operator_admin)
    services.request_accept(request=request, user=requester)
    assert request.status == RequestStatus.ACCEPTED
    assert Notification.objects.filter(user=operator_admin, kind="pilots.accepted").exists()


def test_withdrawal_releases_the_bookings(base, reactor, enterprise, requester, operator_admin):
    request = submit(requester, enterprise, base)
    services.request_accept(request=request, user=operator_admin, amount=1000)
    start, end = slot()
    services.request_book(request=request, user=operator_admin, slots=[(reactor, start, end)])
    with pytest.raises(ValidationError):
        services.request_withdraw(request=request, user=requester, reason="")
    services.request_withdraw(request=request, user=requester, reason="项目延期")
    assert not Booking.objects.filter(is_active=True).exists()
    # the slot is free again
    other = ServiceRequestFactory(base=base, organization=enterprise, status=RequestStatus.ACCEPTED)
    services.request_book(request=other, user=operator_admin, slots=[(reactor, start, end)])


def test_bad_requests(base, scale_up, enterprise, requester, operator, operator_admin):
    with pytest.raises(ValidationError) as error:
        submit(requester, enterprise, base, end_on=TODAY() + timedelta(days=1), start_on=TODAY() + timedelta(days=5))
    assert "end_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        submit(requester, enterprise, base, start_on=TODAY() - timedelta(days=1))
    assert "start_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:  # someone else's achievement
        submit(requester, enterprise, base, achievement=AchievementFactory())
    assert "achievement" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        submit(requester, enterprise, base, demand=DemandFactory())
    assert "demand" in error.value.message_dict
    with pytest.raises(ValidationError) as error:  # the operator does not request from itself
        submit(operator_admin, operator, base)
    assert "base" in error.value.message_dict
    with pytest.raises(PermissionDenied):  # only for one's own organization
        submit(operator_admin, enterprise, base)
    assert not ServiceRequest.objects.exists()


def test_the_parties_only(base, enterprise, requester, operator_admin, stranger):
    request = submit(requester, enterprise, base)
    assert requester.has_perm("pilots.view_servicerequest", request)
    assert operator_admin.has_perm("pilots.view_servicerequest", request)
    assert not stranger.has_perm("pilots.view_servicerequest", request)
    for action in (
        lambda: services.request_quote(request=request, user=stranger, amount=1),
        lambda: services.request_decline(request=request, user=stranger, reason="x"),
        lambda: services.request_withdraw(request=request, user=stranger, reason="x"),
        lambda: services.request_withdraw(request=request, user=operator_admin, reason="x"),
        lambda: services.request_decline(request=request, user=requester, reason="x"),
    ):
        with pytest.raises(PermissionDenied):
            action()
    assert selectors.requests_for(requester, side="requester").get() == request
    assert selectors.requests_for(operator_admin, side="operator").get() == request
    assert not selectors.requests_for(stranger, side="operator").exists()
    assert not selectors.requests_for(operator_admin, side="requester").exists()


def test_steps_cannot_be_skipped(base, enterprise, requester, operator_admin):
    request = submit(requester, enterprise, base)
    with pytest.raises(ValidationError):
        services.request_start(request=request, user=operator_admin)
    with pytest.raises(ValidationError):
        services.request_complete(request=request, user=operator_admin, report="x" * 30)
    services.request_decline(request=request, user=operator_admin, reason="产能已满")
    with pytest.raises(ValidationError):
        services.request_accept(request=request, user=operator_admin, amount=1)


# Bookings ------------------------------------------------------------------------------------


def test_overlapping_bookings_are_refused(base, reactor, enterprise, operator_admin):
    request = ServiceRequestFactory(base=base, organization=enterprise, status=RequestStatus.ACCEPTED)
    start, end = slot(hours=8)
    services.request_book(request=request, user=operator_admin, slots=[(reactor, start, end)])
    for clash_start, clash_end in [
        (start, end),
        (start - timedelta(hours=1), start + timedelta(hours=1)),
        (end - timedelta(minutes=30), end + timedelta(hours=2)),
        (start + timedelta(hours=1), end - timedelta(hours=1)),
    ]:
        with pytest.raises(ValidationError) as error:
            services.request_book(request=request, user=operator_admin, slots=[(reactor, clash_start, clash_end)])
        assert error.value.message_dict["starts_at"][0].startswith(str(reactor))
    # touching ends is not an overlap; another piece of equipment is free
    services.request_book(request=request, user=operator_admin, slots=[(reactor, end, end + timedelta(hours=2))])
    other = EquipmentFactory(base=base, name="精馏塔")
    services.request_book(request=request, user=operator_admin, slots=[(other, start, end)])
    # a maintenance block follows the same rule
    with pytest.raises(ValidationError):
        services.equipment_block(equipment=reactor, user=operator_admin, starts_at=start, ends_at=end, note="检修")
    assert Booking.objects.filter(is_active=True).count() == 3


def test_all_slots_or_none(base, reactor, enterprise, operator_admin):
    request = ServiceRequestFactory(base=base, organization=enterprise, status=RequestStatus.ACCEPTED)
    start, end = slot()
    services.equipment_block(equipment=reactor, user=operator_admin, starts_at=start, ends_at=end, note="年度检修")
    other = EquipmentFactory(base=base, name="喷雾干燥机")
    with pytest.raises(ValidationError):
        services.request_book(request=request, user=operator_admin, slots=[(other, start, end), (reactor, start, end)])
    assert Booking.objects.filter(request=request).count() == 0
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED


def test_bad_booking_periods(base, reactor, enterprise, operator_admin):
    request = ServiceRequestFactory(base=base, organization=enterprise, status=RequestStatus.ACCEPTED)
    start, end = slot()
    cases = [
        (end, start),  # ends before it starts
        (start, start),
        (start - timedelta(days=10), end - timedelta(days=10)),  # in the past
        (start, start + timedelta(days=100)),  # too long
    ]
    for starts_at, ends_at in cases:
        with pytest.raises(ValidationError):
            services.request_book(request=request, user=operator_admin, slots=[(reactor, starts_at, ends_at)])
    foreign = EquipmentFactory()  # of another base
    with pytest.raises(ValidationError):
        services.request_book(request=request, user=operator_admin, slots=[(foreign, start, end)])
    assert not Booking.objects.exists()


def test_a_submitted_request_is_not_scheduled(base, reactor, enterprise, requester, operator_admin):
    request = submit(requester, enterprise, base)
    start, end = slot()
    with pytest.raises(ValidationError):
        services.request_book(request=request, user=operator_admin, slots=[(reactor, start, end)])


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_slot_book_it_once():
    base = PilotBaseFactory()
    reactor = EquipmentFactory(base=base)
    from marketplace.enums import MembershipRole
    from tests.factories.marketplace import MembershipFactory

    operator_admin = MembershipFactory(organization=base.operator, role=MembershipRole.ADMIN).user
    requests = ServiceRequestFactory.create_batch(6, base=base, status=RequestStatus.ACCEPTED)
    start, end = slot()
    # Six requests race for overlapping slots of the same reactor.
    results = run_together(
        [
            lambda request=request, n=n: services.request_book(
                request=request,
                user=operator_admin,
                slots=[(reactor, start + timedelta(minutes=10 * n), end + timedelta(minutes=10 * n))],
            )
            for n, request in enumerate(requests)
        ]
    )
    booked = [result for result in results if isinstance(result, list)]
    refused = [result for result in results if isinstance(result, ValidationError)]
    assert (len(booked), len(refused)) == (1, 5)
    assert Booking.objects.filter(equipment=reactor, is_active=True).count() == 1


@postgresql_only
def test_the_database_refuses_an_overlap_the_service_did_not_check(base, reactor):
    from django.db import IntegrityError, transaction

    start, end = slot()
    Booking.objects.create(equipment=reactor, starts_at=start, ends_at=end)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(equipment=reactor, starts_at=start + timedelta(hours=1), ends_at=end)


# Subsidies -----------------------------------------------------------------------------------


def test_facility_subsidy_cap(base, settings):
    subsidy = FacilitySubsidy(
        base=base, facility="连续流中试线", year=2026, investment=Decimal("12000000"), subsidy=Decimal("5000001")
    )
    with pytest.raises(ValidationError) as error:
        services.subsidy_check(subsidy)
    assert "5,000,000" in error.value.message_dict["subsidy"][0]
    subsidy.subsidy = Decimal("5000000")
    services.subsidy_check(subsidy)
    subsidy.investment = Decimal("4000000")
    with pytest.raises(ValidationError):
        services.subsidy_check(subsidy)
    settings.PILOTS = {"SUBSIDY_CAP": 3_000_000}
    subsidy.investment = Decimal("9000000")
    with pytest.raises(ValidationError):
        services.subsidy_check(subsidy)


# Search and suggestions ----------------------------------------------------------------------


def test_capability_search_finds_bases_by_process_and_equipment(base, reactor):
    search.update(base)  # with its reactor
    PilotBaseFactory(
        name="海洋生物概念验证中心",
        introduction="海洋生物成果的概念验证。",
        processes="海洋生物活性物质提取、发酵放大",
        fields=["marine-biology"],
    )
    assert list(selectors.directory(q="连续流")) == [base]
    assert [b.name for b in selectors.directory(q="发酵")] == ["海洋生物概念验证中心"]
    assert list(selectors.directory(q="CFR-200")) == [base]  # an equipment model
    assert list(selectors.directory(trl=8)) == []
    assert list(selectors.directory(region="370200")) and not list(selectors.directory(region="210200"))
    results = search.search("中试 放大", search.SearchFilters(kind="pilot_base"))
    assert base.name in [hit.document.title for hit in results.hits]


def test_achievements_ready_for_a_pilot_are_shown_fitting_bases(base, reactor):
    PilotBaseFactory(
        name="生物医药概念验证中心",
        introduction="生物医药成果的概念验证。",
        processes="抗体药物细胞培养、制剂小试",
        fields=["biomedicine"],
    )
    narrow = PilotBaseFactory(name="只做小试的平台", trl_min=3, trl_max=4, processes="精细化工连续流合成")
    achievement = AchievementFactory(title="精细化工连续流合成新工艺", summary="连续流合成工艺，收率高。", trl=5)
    suggested = [s.base for s in selectors.suggestions_for_achievement(achievement)]
    assert suggested[0] == base
    assert narrow not in suggested  # serves up to TRL 4 only
    assert all(s.base.name != "生物医药概念验证中心" for s in selectors.suggestions_for_achievement(achievement))
    achievement.trl = 8
    assert selectors.suggestions_for_achievement(achievement) == []


# Steps decide on what is stored, not on the page the user saw ------------------------------------


def test_a_booking_for_a_request_withdrawn_meanwhile_is_refused(base, reactor, enterprise, requester, operator_admin):
    request = submit(requester, enterprise, base)
    services.request_accept(request=request, user=operator_admin, amount=1000)
    stale = ServiceRequest.objects.get(pk=request.pk)  # the operator's page
    services.request_withdraw(request=request, user=requester, reason="项目取消")
    start, end = slot()
    with pytest.raises(ValidationError):
        services.request_book(request=stale, user=operator_admin, slots=[(reactor, start, end)])
    assert not Booking.objects.exists()


def test_an_operator_cannot_accept_a_request_quoted_meanwhile(base, enterprise, requester, operator_admin):
    request = submit(requester, enterprise, base)
    stale = ServiceRequest.objects.get(pk=request.pk)  # still "submitted" on this page
    services.request_quote(request=request, user=operator_admin, amount="80000")
    with pytest.raises(PermissionDenied):  # a quotation is the requester's to accept
        services.request_accept(request=stale, user=operator_admin, amount="1")
    request.refresh_from_db()
    assert (request.status, request.quoted_amount) == (RequestStatus.QUOTED, Decimal("80000"))


def test_an_edit_does_not_undo_the_bureau_decision_taken_meanwhile(base, operator_admin, reviewer):
    PilotBase.objects.filter(pk=base.pk).update(status=FilingStatus.APPLIED, filing_number="")
    stale = PilotBase.objects.get(pk=base.pk)  # the operator's edit form
    services.base_approve(base=PilotBase.objects.get(pk=base.pk), reviewer=reviewer, filing_number="ZS-2026-0099")
    services.base_update(base=stale, user=operator_admin, address="新地址 9 号")
    base.refresh_from_db()
    assert (base.status, base.filing_number, base.address) == (FilingStatus.APPROVED, "ZS-2026-0099", "新地址 9 号")


def test_the_subsidy_cap_is_per_facility_in_all(base):
    FacilitySubsidy.objects.create(
        base=base, facility="连续流中试线", year=2025, investment=Decimal("9000000"), subsidy=Decimal("4000000")
    )
    second = FacilitySubsidy(
        base=base, facility="连续流中试线", year=2026, investment=Decimal("3000000"), subsidy=Decimal("1500000")
    )
    with pytest.raises(ValidationError) as error:
        services.subsidy_check(second)
    assert "4,000,000" in error.value.message_dict["subsidy"][0]
    second.subsidy = Decimal("1000000")
    services.subsidy_check(second)
    services.subsidy_check(
        FacilitySubsidy(
            base=base, facility="喷雾干燥线", year=2026, investment=Decimal("5000000"), subsidy=Decimal("2000000")
        )
    )


def test_equipment_with_completed_work_is_kept(base, reactor, enterprise, operator_admin):
    request = ServiceRequestFactory(base=base, organization=enterprise, status=RequestStatus.COMPLETED)
    start, end = slot()
    Booking.objects.create(
        equipment=reactor, request=request, starts_at=start - timedelta(days=30), ends_at=end - timedelta(days=30)
    )
    with pytest.raises(ValidationError):
        services.equipment_delete(equipment=reactor, user=operator_admin)
    assert Booking.objects.filter(equipment=reactor).exists()


def test_only_shared_equipment_is_booked_for_requests(base, enterprise, operator_admin):
    own = EquipmentFactory(base=base, name="内部分析仪", is_shared=False)
    request = ServiceRequestFactory(base=base, organization=enterprise, status=RequestStatus.ACCEPTED)
    start, end = slot()
    with pytest.raises(ValidationError):
        services.request_book(request=request, user=operator_admin, slots=[(own, start, end)])
