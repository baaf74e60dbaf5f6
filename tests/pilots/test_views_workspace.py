"""The operator's workspace pages: the bases in every filing status, the base form, equipment with
calendar blocks and bookings, services, filing documents and photos, and applying for filing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.enums import FilePurpose, MembershipRole, OrganizationKind
from marketplace.models import IndustryField, PrivateFile
from pilots import services
from pilots.enums import FilingStatus, RequestStatus
from pilots.models import Booking, Equipment, PilotBase, PilotService
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.pilots import BookingFactory, EquipmentFactory, PilotBaseFactory, ServiceRequestFactory
from tests.files import pdf_upload, png_bytes, upload

pytestmark = pytest.mark.django_db

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def base_data(**changes) -> dict:
    """The base form as the browser posts it (region as the cascading selects)."""
    data = {
        "name": "长兴岛洁净能源中试基地",
        "kind": "pilot_base",
        "level": "provincial",
        "industry_fields": [IndustryField.objects.get(code="clean-energy").pk],
        "region_1": "370000",
        "region_2": "370200",
        "region_3": "370202",
        "address": "长兴岛经济区",
        "introduction": "洁净能源与精细化工成果的中试熟化平台。",
        "processes": "煤基合成气制化学品中试、催化剂放大评价",
        "scale": "百公斤级中试线",
        "trl_min": "4",
        "trl_max": "7",
        "qualifications": "ISO 9001",
        "contact_name": "王工",
        "contact_phone": "0411-88880000",
        "contact_email": "wang@example.cn",
    }
    data.update(changes)
    return data


def local(value) -> str:
    return timezone.localtime(value).strftime(LOCAL_FORMAT)


def slot(days: int = 3, hours: int = 4):
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=days)
    return start, start + timedelta(hours=hours)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def draft(operator):
    return PilotBaseFactory(
        operator=operator, name="长兴岛储能中试基地", status=FilingStatus.DRAFT, approved_at=None, filing_number=""
    )


# My bases ------------------------------------------------------------------------------------


def test_mine_lists_bases_in_every_status_with_reasons_and_open_requests(login, operator, operator_admin, base):
    PilotBaseFactory(
        operator=operator, name="储能概念验证中心", status=FilingStatus.REJECTED, status_note="缺少安全生产许可证"
    )
    PilotBaseFactory(operator=operator, name="氢能中试基地", status=FilingStatus.DRAFT, approved_at=None)
    ServiceRequestFactory(base=base)
    ServiceRequestFactory(base=base, status=RequestStatus.QUOTED)
    ServiceRequestFactory(base=base, status=RequestStatus.COMPLETED)
    PilotBaseFactory(name="别人的中试基地")

    response = login(operator_admin).get(reverse("pilots:mine"))

    assert response.status_code == 200
    bases = {b.name: b for b in response.context["bases"]}
    assert sorted(bases) == sorted(["长兴岛精细化工中试基地", "储能概念验证中心", "氢能中试基地"])
    assert bases["长兴岛精细化工中试基地"].open_requests == 2
    assert bases["储能概念验证中心"].open_requests == 0
    content = response.content.decode()
    assert "缺少安全生产许可证" in content
    assert base.next_review_due.strftime("%Y-%m-%d") in content
    assert reverse("pilots:requests") + "?side=operator" in content
    assert reverse("pilots:create") in content


@pytest.mark.parametrize("count", [1, 3])
def test_mine_queries_do_not_grow_with_bases(login, operator, operator_admin, django_assert_num_queries, count):
    for n in range(count):
        base = PilotBaseFactory(operator=operator, name=f"中试基地{n}")
        ServiceRequestFactory(base=base)
    client = login(operator_admin)
    client.get(reverse("pilots:mine"))  # warm the caches (content types, sessions)

    with django_assert_num_queries(QUERIES_MINE):
        response = client.get(reverse("pilots:mine"))

    assert len(response.context["bases"]) == count


QUERIES_MINE = 8  # session, user, memberships, the bases; the rest is the layout (menus, unread count)


def test_mine_needs_login(client):
    response = client.get(reverse("pilots:mine"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# Creating and editing a base -----------------------------------------------------------------


def test_create_saves_a_draft_of_the_users_organization(login, operator, operator_admin):
    response = login(operator_admin).post(reverse("pilots:create"), base_data())

    created = PilotBase.objects.get(name="长兴岛洁净能源中试基地")
    assert response.status_code == 302
    assert response.url == reverse("pilots:edit", args=[created.pk])
    assert created.operator == operator
    assert created.status == FilingStatus.DRAFT
    assert created.region_id == "370202"
    assert (created.trl_min, created.trl_max) == (4, 7)
    assert list(created.industry_fields.values_list("code", flat=True)) == ["clean-energy"]


def test_create_lets_a_member_of_several_organizations_choose_the_operator(login, operator, operator_admin):
    other = OrganizationFactory(name="大连化物所中试平台", kind=OrganizationKind.PILOT_OPERATOR)
    MembershipFactory(organization=other, user=operator_admin, role=MembershipRole.MEMBER)
    client = login(operator_admin)

    page = client.get(reverse("pilots:create"))
    client.post(reverse("pilots:create"), base_data(operator=other.pk))

    assert "大连化物所中试平台" in page.content.decode()
    assert PilotBase.objects.get(name="长兴岛洁净能源中试基地").operator == other


def test_create_refuses_an_organization_the_user_is_not_in(login, operator_admin, stranger):
    other = OrganizationFactory(name="大连化物所中试平台", kind=OrganizationKind.PILOT_OPERATOR)
    MembershipFactory(organization=other, user=operator_admin, role=MembershipRole.MEMBER)
    foreign = stranger.memberships.get().organization

    response = login(operator_admin).post(reverse("pilots:create"), base_data(operator=foreign.pk))

    assert response.status_code == 200
    assert "operator" in response.context["form"].errors
    assert not PilotBase.objects.filter(name="长兴岛洁净能源中试基地").exists()


def test_create_refuses_trl_min_above_trl_max(login, operator_admin):
    response = login(operator_admin).post(reverse("pilots:create"), base_data(trl_min="7", trl_max="4"))

    assert response.status_code == 200
    assert "trl_max" in response.context["form"].errors
    assert not PilotBase.objects.filter(name="长兴岛洁净能源中试基地").exists()


def test_create_refuses_a_name_the_operator_already_uses(login, operator_admin, base):
    response = login(operator_admin).post(reverse("pilots:create"), base_data(name="长兴岛精细化工中试基地"))

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert PilotBase.objects.filter(name="长兴岛精细化工中试基地").count() == 1


def test_create_needs_an_industry_field_and_a_region(login, operator_admin):
    data = base_data(industry_fields=[], region_1="", region_2="", region_3="")

    response = login(operator_admin).post(reverse("pilots:create"), data)

    assert response.status_code == 200
    assert {"industry_fields", "region"} <= set(response.context["form"].errors)


def test_edit_saves_the_description(login, operator_admin, draft):
    data = base_data(name=draft.name, address="旅顺口区 88 号", trl_min="3", trl_max="6")

    response = login(operator_admin).post(reverse("pilots:edit", args=[draft.pk]), data)

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.address == "旅顺口区 88 号"
    assert (draft.trl_min, draft.trl_max) == (3, 6)


def test_edit_of_a_filed_base_keeps_its_filed_name(login, operator_admin, base):
    data = base_data(name="改名中试基地", level="national", scale="吨级中试线")

    login(operator_admin).post(reverse("pilots:edit", args=[base.pk]), data)

    base.refresh_from_db()
    assert base.name == "长兴岛精细化工中试基地"
    assert base.level == "municipal"
    assert base.scale == "吨级中试线"


def test_edit_refuses_trl_min_above_trl_max(login, operator_admin, draft):
    response = login(operator_admin).post(
        reverse("pilots:edit", args=[draft.pk]), base_data(name=draft.name, trl_min="8", trl_max="5")
    )

    draft.refresh_from_db()
    assert response.status_code == 200
    assert "trl_max" in response.context["form"].errors
    assert (draft.trl_min, draft.trl_max) == (4, 6)


def test_edit_shows_equipment_services_bookings_and_reviews(login, operator_admin, base, reactor, scale_up):
    starts, ends = slot()
    BookingFactory(equipment=reactor, starts_at=starts, ends_at=ends, note="年度检修")
    BookingFactory(equipment=reactor, starts_at=starts - timedelta(days=10), ends_at=ends - timedelta(days=10),
                   note="早已结束")  # fmt: skip
    base.reviews.create(year=2025, outcome="rectify", note="危化品台账需完善")

    response = login(operator_admin).get(reverse("pilots:edit", args=[base.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "连续流反应器" in content
    assert "CFR-200" in content
    assert "中试放大服务" in content
    assert "50000" in content
    assert "年度检修" in content
    assert "早已结束" not in content
    assert "危化品台账需完善" in content
    assert reverse("pilots:equipment-block", args=[reactor.pk]) in content
    assert reverse("pilots:service-edit", args=[scale_up.pk]) in content
    assert reverse("pilots:apply", args=[base.pk]) not in content  # filed already


def test_edit_shows_the_rejection_reason_and_the_apply_button(login, operator_admin, operator):
    rejected = PilotBaseFactory(operator=operator, status=FilingStatus.REJECTED, status_note="设备清单不完整")

    response = login(operator_admin).get(reverse("pilots:edit", args=[rejected.pk]))

    content = response.content.decode()
    assert "设备清单不完整" in content
    assert reverse("pilots:apply", args=[rejected.pk]) in content


def test_edit_of_a_filed_base_lists_fitting_achievements(login, operator_admin, base):
    fits = AchievementFactory(title="精细化工连续流合成新工艺", summary="连续流合成工艺，收率高。", trl=5,
                              fields=["fine-chemicals"])  # fmt: skip
    AchievementFactory(title="精细化工连续流合成成套装备", summary="连续流合成工艺的产业化装备。", trl=9,
                       fields=["fine-chemicals"])  # fmt: skip

    response = login(operator_admin).get(reverse("pilots:edit", args=[base.pk]))

    assert [lead.profile.title for lead in response.context["leads"]] == ["精细化工连续流合成新工艺"]
    assert fits.get_absolute_url() in response.content.decode()


def test_edit_of_a_draft_lists_no_achievements(login, operator_admin, draft):
    AchievementFactory(title="精细化工连续流合成新工艺", summary="连续流合成工艺，收率高。", trl=5)

    response = login(operator_admin).get(reverse("pilots:edit", args=[draft.pk]))

    assert response.context["leads"] == []


# Applying for filing and files ---------------------------------------------------------------


def test_apply_is_refused_without_documents_then_accepted_with_a_pdf(login, operator_admin, draft):
    EquipmentFactory(base=draft)
    client = login(operator_admin)

    refused = client.post(reverse("pilots:apply", args=[draft.pk]), follow=True)
    draft.refresh_from_db()
    assert draft.status == FilingStatus.DRAFT
    assert len(messages_of(refused)) == 1

    client.post(
        reverse("pilots:file-upload", args=[draft.pk]),
        {"purpose": FilePurpose.FILING_DOCUMENT, "file": pdf_upload("备案申请表.pdf")},
    )
    response = client.post(reverse("pilots:apply", args=[draft.pk]))

    draft.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("pilots:edit", args=[draft.pk])
    assert draft.status == FilingStatus.APPLIED
    assert services.base_files(draft, FilePurpose.FILING_DOCUMENT).get().original_name == "备案申请表.pdf"


def test_upload_of_a_text_file_renamed_png_as_a_photo_is_refused(login, operator_admin, base):
    fake = upload("车间.png", "这不是图片".encode() * 20, content_type="image/png")

    response = login(operator_admin).post(
        reverse("pilots:file-upload", args=[base.pk]), {"purpose": FilePurpose.PHOTO, "file": fake}, follow=True
    )

    assert response.status_code == 200
    assert len(messages_of(response)) == 1
    assert not PrivateFile.objects.exists()


def test_upload_of_a_photo_of_a_filed_base_is_public(login, operator_admin, base):
    photo = upload("车间.png", png_bytes(), content_type="image/png")

    login(operator_admin).post(
        reverse("pilots:file-upload", args=[base.pk]), {"purpose": FilePurpose.PHOTO, "file": photo}
    )

    stored = services.base_files(base, FilePurpose.PHOTO).get()
    assert stored.original_name == "车间.png"
    assert stored.is_public is True


def test_upload_with_an_unknown_purpose_is_refused(login, operator_admin, base):
    response = login(operator_admin).post(
        reverse("pilots:file-upload", args=[base.pk]), {"purpose": "signed_contract", "file": pdf_upload()}
    )

    assert response.status_code == 302
    assert not PrivateFile.objects.exists()


def test_file_delete_removes_the_file(login, operator_admin, draft):
    stored = services.base_add_file(base=draft, user=operator_admin, uploaded=pdf_upload(), purpose="filing_document")

    login(operator_admin).post(reverse("pilots:file-delete", args=[draft.pk, stored.pk]))

    assert not PrivateFile.objects.exists()


def test_file_delete_keeps_documents_the_bureau_is_reading(login, operator_admin, draft):
    stored = services.base_add_file(base=draft, user=operator_admin, uploaded=pdf_upload(), purpose="filing_document")
    PilotBase.objects.filter(pk=draft.pk).update(status=FilingStatus.APPLIED)

    response = login(operator_admin).post(reverse("pilots:file-delete", args=[draft.pk, stored.pk]), follow=True)

    assert PrivateFile.objects.filter(pk=stored.pk).exists()
    assert len(messages_of(response)) == 1


def test_file_delete_of_another_bases_file_is_404(login, operator_admin, operator, draft):
    other = PilotBaseFactory(operator=operator, name="另一个基地")
    stored = services.base_add_file(base=other, user=operator_admin, uploaded=pdf_upload(), purpose="filing_document")

    response = login(operator_admin).post(reverse("pilots:file-delete", args=[draft.pk, stored.pk]))

    assert response.status_code == 404
    assert PrivateFile.objects.filter(pk=stored.pk).exists()


# Equipment, blocks and bookings ----------------------------------------------------------------


def test_equipment_new_and_edit(login, operator_admin, base):
    client = login(operator_admin)
    data = {"name": "喷雾干燥塔", "model_number": "SD-50", "parameters": "蒸发量 50 kg/h", "is_shared": "on",
            "fee": "1200", "fee_unit": "day"}  # fmt: skip

    created = client.post(reverse("pilots:equipment-new", args=[base.pk]), data)
    equipment = Equipment.objects.get(name="喷雾干燥塔")
    client.post(reverse("pilots:equipment-edit", args=[equipment.pk]), {**data, "fee": "1500"})

    equipment.refresh_from_db()
    assert created.status_code == 302
    assert equipment.base == base
    assert str(equipment.fee) == "1500.00"
    assert equipment.fee_unit == "day"


def test_equipment_with_a_negative_fee_is_refused(login, operator_admin, base):
    data = {"name": "喷雾干燥塔", "fee": "-5", "fee_unit": "day"}

    response = login(operator_admin).post(reverse("pilots:equipment-new", args=[base.pk]), data)

    assert response.status_code == 200
    assert "fee" in response.context["form"].errors
    assert not Equipment.objects.filter(name="喷雾干燥塔").exists()


def test_equipment_delete(login, operator_admin, reactor):
    login(operator_admin).post(reverse("pilots:equipment-delete", args=[reactor.pk]))

    assert not Equipment.objects.filter(pk=reactor.pk).exists()


def test_equipment_delete_with_a_booked_request_is_refused(login, operator_admin, base, reactor, enterprise):
    starts, ends = slot()
    work = ServiceRequestFactory(base=base, organization=enterprise, status=RequestStatus.SCHEDULED)
    BookingFactory(equipment=reactor, request=work, starts_at=starts, ends_at=ends)

    response = login(operator_admin).post(reverse("pilots:equipment-delete", args=[reactor.pk]), follow=True)

    assert Equipment.objects.filter(pk=reactor.pk).exists()
    assert len(messages_of(response)) == 1


def test_block_books_the_calendar(login, operator_admin, reactor):
    starts, ends = slot()

    response = login(operator_admin).post(
        reverse("pilots:equipment-block", args=[reactor.pk]),
        {"starts_at": local(starts), "ends_at": local(ends), "note": "年度检修"},
    )

    block = Booking.objects.get(equipment=reactor)
    assert response.status_code == 302
    assert response.url == reverse("pilots:edit", args=[reactor.base_id]) + f"#equipment-{reactor.pk}"
    assert (block.starts_at, block.ends_at, block.note, block.request) == (starts, ends, "年度检修", None)


def test_block_ending_before_it_starts_is_refused(login, operator_admin, reactor):
    starts, ends = slot()

    response = login(operator_admin).post(
        reverse("pilots:equipment-block", args=[reactor.pk]),
        {"starts_at": local(ends), "ends_at": local(starts), "note": "年度检修"},
        follow=True,
    )

    assert response.status_code == 200
    assert len(messages_of(response)) == 1
    assert not Booking.objects.exists()


def test_block_overlapping_a_booking_is_refused(login, operator_admin, reactor):
    starts, ends = slot()
    BookingFactory(equipment=reactor, starts_at=starts, ends_at=ends, note="检修")

    response = login(operator_admin).post(
        reverse("pilots:equipment-block", args=[reactor.pk]),
        {"starts_at": local(starts + timedelta(hours=1)), "ends_at": local(ends + timedelta(hours=2)), "note": "自用"},
        follow=True,
    )

    assert Booking.objects.count() == 1
    [refusal] = messages_of(response)
    assert local(starts).replace("T", " ") in refusal
    assert local(ends).replace("T", " ") in refusal


def test_block_with_garbage_dates_is_refused(login, operator_admin, reactor):
    response = login(operator_admin).post(
        reverse("pilots:equipment-block", args=[reactor.pk]), {"starts_at": "tomorrow", "ends_at": "", "note": ""}
    )

    assert response.status_code == 302
    assert not Booking.objects.exists()


def test_booking_cancel_frees_the_slot(login, operator_admin, reactor):
    starts, ends = slot()
    booking = BookingFactory(equipment=reactor, starts_at=starts, ends_at=ends, note="检修")

    login(operator_admin).post(reverse("pilots:booking-cancel", args=[booking.pk]))

    booking.refresh_from_db()
    assert booking.is_active is False


def test_booking_cancel_of_completed_work_is_refused(login, operator_admin, base, reactor, enterprise):
    starts, ends = slot()
    work = ServiceRequestFactory(base=base, organization=enterprise, status=RequestStatus.COMPLETED)
    booking = BookingFactory(equipment=reactor, request=work, starts_at=starts, ends_at=ends)

    response = login(operator_admin).post(reverse("pilots:booking-cancel", args=[booking.pk]), follow=True)

    booking.refresh_from_db()
    assert booking.is_active is True
    assert len(messages_of(response)) == 1


# Services --------------------------------------------------------------------------------------


def test_service_new_edit_and_delete(login, operator_admin, base):
    client = login(operator_admin)
    data = {"name": "催化剂评价", "description": "固定床评价装置", "price": "", "price_unit": "sample"}

    client.post(reverse("pilots:service-new", args=[base.pk]), data)
    service = PilotService.objects.get(name="催化剂评价")
    assert service.price is None
    client.post(reverse("pilots:service-edit", args=[service.pk]), {**data, "price": "3000"})
    service.refresh_from_db()
    assert str(service.price) == "3000.00"
    client.post(reverse("pilots:service-delete", args=[service.pk]))

    assert not PilotService.objects.filter(pk=service.pk).exists()


# Permissions -----------------------------------------------------------------------------------


def workspace_urls(base, equipment, service, booking, file_id) -> list[tuple[str, str]]:
    return [
        ("get", reverse("pilots:edit", args=[base.pk])),
        ("post", reverse("pilots:edit", args=[base.pk])),
        ("post", reverse("pilots:apply", args=[base.pk])),
        ("post", reverse("pilots:file-upload", args=[base.pk])),
        ("post", reverse("pilots:file-delete", args=[base.pk, file_id])),
        ("get", reverse("pilots:equipment-new", args=[base.pk])),
        ("post", reverse("pilots:equipment-new", args=[base.pk])),
        ("get", reverse("pilots:equipment-edit", args=[equipment.pk])),
        ("post", reverse("pilots:equipment-edit", args=[equipment.pk])),
        ("post", reverse("pilots:equipment-delete", args=[equipment.pk])),
        ("post", reverse("pilots:equipment-block", args=[equipment.pk])),
        ("post", reverse("pilots:booking-cancel", args=[booking.pk])),
        ("get", reverse("pilots:service-new", args=[base.pk])),
        ("post", reverse("pilots:service-new", args=[base.pk])),
        ("get", reverse("pilots:service-edit", args=[service.pk])),
        ("post", reverse("pilots:service-edit", args=[service.pk])),
        ("post", reverse("pilots:service-delete", args=[service.pk])),
    ]


@pytest.fixture
def everything(operator_admin, base, reactor, scale_up):
    starts, ends = slot()
    booking = BookingFactory(equipment=reactor, starts_at=starts, ends_at=ends, note="检修")
    stored = services.base_add_file(base=base, user=operator_admin, uploaded=pdf_upload(), purpose="filing_document")
    return base, reactor, scale_up, booking, stored.pk


def test_a_stranger_gets_404_everywhere_and_changes_nothing(login, stranger, everything):
    client = login(stranger)
    base, reactor, scale_up, booking, file_id = everything
    starts, ends = slot(days=20)
    data = {
        **base_data(name="被改名"),
        "purpose": "photo",
        "starts_at": local(starts),
        "ends_at": local(ends),
        "note": "抢占",
        "price_unit": "batch",
        "fee_unit": "hour",
    }

    statuses = {url: getattr(client, method)(url, data if method == "post" else None).status_code
                for method, url in workspace_urls(*everything)}  # fmt: skip

    assert set(statuses.values()) == {404}
    base.refresh_from_db()
    assert base.name == "长兴岛精细化工中试基地"
    booking.refresh_from_db()
    assert booking.is_active is True
    assert Booking.objects.count() == 1
    assert Equipment.objects.filter(pk=reactor.pk).exists()
    assert PilotService.objects.filter(pk=scale_up.pk).exists()
    assert PrivateFile.objects.filter(pk=file_id).exists()


def test_a_stranger_sees_none_of_the_operators_bases(login, stranger, base):
    response = login(stranger).get(reverse("pilots:mine"))

    assert list(response.context["bases"]) == []
    assert "长兴岛精细化工中试基地" not in response.content.decode()


def test_anonymous_is_sent_to_log_in_everywhere(client, everything):
    for method, url in [("get", reverse("pilots:create")), *workspace_urls(*everything)]:
        response = getattr(client, method)(url)

        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_create_without_an_organization_redirects_to_the_workspace(login, db):
    response = login(UserFactory(username="loner")).get(reverse("pilots:create"))

    assert response.status_code == 302
    assert response.url == reverse("workspace:home")
