"""The public pilot-base pages: the directory with its filters and capability search, a base's
page, the booking calendar of its shared equipment, and the request form."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace import search
from marketplace.enums import FilePurpose, MembershipRole
from marketplace.models import Region
from pilots import services
from pilots.enums import BaseKind, BaseLevel, FilingStatus, RequestStatus
from pilots.models import ServiceRequest
from tests.factories.marketplace import MembershipFactory, OrganizationFactory
from tests.factories.pilots import BookingFactory, EquipmentFactory, PilotBaseFactory, ServiceRequestFactory
from tests.files import png_bytes, upload

pytestmark = pytest.mark.django_db


def page_of(response) -> str:
    return response.content.decode()


def names_listed(response) -> set[str]:
    return {base.name for base in response.context["page"]}


def request_data(**overrides) -> dict:
    today = timezone.localdate()
    data = {
        "title": "电解液添加剂百公斤级放大",
        "process": "将克级合成工艺放大到百公斤级，验证收率。",
        "quantity": "3 批次",
        "start_on": (today + timedelta(days=10)).isoformat(),
        "end_on": (today + timedelta(days=40)).isoformat(),
    }
    data.update(overrides)
    return data


# The directory -------------------------------------------------------------------------------


def test_directory_lists_filed_bases_only_with_a_count(client, base):
    PilotBaseFactory(name="待审中试基地", status=FilingStatus.APPLIED, approved_at=None)
    PilotBaseFactory(name="撤销中试基地", status=FilingStatus.REVOKED)

    response = client.get(reverse("pilots:list"))

    assert response.status_code == 200
    assert names_listed(response) == {"长兴岛精细化工中试基地"}
    assert response.context["page"].paginator.count == 1
    content = page_of(response)
    assert "长兴岛精细化工中试基地" in content and "大连长兴岛中试服务有限公司" in content
    assert "待审中试基地" not in content and "撤销中试基地" not in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": BaseKind.POC_CENTRE}, {"概念验证中心"}),
        ({"level": BaseLevel.PROVINCIAL}, {"概念验证中心"}),
        ({"field": "fine-chemicals"}, {"长兴岛精细化工中试基地"}),
        ({"field": "robotics"}, {"概念验证中心"}),
        ({"field": "high-end-equipment"}, {"概念验证中心"}),  # the parent field includes its sub-fields
        ({"region": "370000"}, {"长兴岛精细化工中试基地"}),  # the province includes the district
        ({"region": "210200"}, {"概念验证中心"}),
        ({"trl": "2"}, {"概念验证中心"}),
        ({"trl": "5"}, {"长兴岛精细化工中试基地", "概念验证中心"}),
        ({"kind": "bogus", "level": "bogus", "trl": "x", "region": "abc"}, {"长兴岛精细化工中试基地", "概念验证中心"}),
    ],
)
def test_directory_filters(client, base, query, expected):
    PilotBaseFactory(
        name="概念验证中心",
        kind=BaseKind.POC_CENTRE,
        level=BaseLevel.PROVINCIAL,
        region=Region.objects.get(code="210202"),
        trl_min=2,
        trl_max=5,
        fields=["robotics"],
    )

    response = client.get(reverse("pilots:list"), query)

    assert response.status_code == 200
    assert names_listed(response) == expected


def test_directory_capability_search_finds_equipment_and_services(client, base):
    EquipmentFactory(base=base, name="喷雾干燥塔", model_number="SD-50")
    search.update(base)  # equipment saved outside the service is indexed by hand
    PilotBaseFactory(name="生物发酵中试基地", processes="微生物发酵、酶工程", introduction="发酵放大平台")

    response = client.get(reverse("pilots:list"), {"q": "喷雾干燥"})

    assert response.status_code == 200
    assert names_listed(response) == {"长兴岛精细化工中试基地"}


def test_directory_paginates(client):
    for n in range(23):
        PilotBaseFactory(name=f"分页基地{n:02d}")

    first = client.get(reverse("pilots:list"))
    second = client.get(reverse("pilots:list"), {"page": 2})

    assert len(first.context["page"]) == 20 and len(second.context["page"]) == 3
    assert first.context["page"].paginator.count == 23


def test_directory_queries_do_not_grow_with_rows(client, django_assert_num_queries):
    PilotBaseFactory()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("pilots:list"))
    PilotBaseFactory(fields=["robotics"])
    PilotBaseFactory()

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("pilots:list"))
    assert len(response.context["page"]) == 3


# A base's page -------------------------------------------------------------------------------


def test_detail_shows_the_base_equipment_and_services(client, base, reactor, scale_up):
    EquipmentFactory(base=base, name="内部实验台", is_shared=False)
    EquipmentFactory(base=base, name="在线色谱仪", fee=None)

    response = client.get(reverse("pilots:detail", args=[base.pk]))

    content = page_of(response)
    assert response.status_code == 200
    assert base.filing_number in content
    assert "连续流反应器" in content and "CFR-200" in content and "通量 200 L/h" in content
    assert "800" in content  # the reactor's hourly fee
    assert "在线色谱仪" in content
    assert "内部实验台" not in content  # not shared
    assert "中试放大服务" in content and "50000" in content
    assert "精细化工连续流合成" in content and "百公斤级中试线" in content and "TRL 4–6" in content
    assert "ISO 9001" in content and "青岛市市南区香港中路 1 号" in content
    assert reverse("pilots:calendar", args=[base.pk]) in content


def test_detail_hides_phone_and_email_from_visitors(client, login, base, stranger):
    anonymous = page_of(client.get(reverse("pilots:detail", args=[base.pk])))
    logged_in = page_of(login(stranger).get(reverse("pilots:detail", args=[base.pk])))

    assert "李工" in anonymous
    assert "0532-88886666" not in anonymous and "pilot@example.cn" not in anonymous
    assert reverse("login") in anonymous
    assert "0532-88886666" in logged_in and "pilot@example.cn" in logged_in
    assert reverse("pilots:request-new", args=[base.pk]) in logged_in


def test_detail_shows_public_photos(client, base, operator_admin):
    photo = services.base_add_file(
        base=base,
        user=operator_admin,
        uploaded=upload("line.png", png_bytes(), "image/png"),
        purpose=FilePurpose.PHOTO,
    )

    content = page_of(client.get(reverse("pilots:detail", args=[base.pk])))

    assert photo.is_public
    assert reverse("private-file", args=[photo.pk]) in content


@pytest.mark.parametrize("status", [FilingStatus.DRAFT, FilingStatus.APPLIED, FilingStatus.REVOKED])
def test_unfiled_base_is_404_for_the_public_but_shown_to_its_operator_and_the_bureau(
    client, login, operator, operator_admin, reviewer, stranger, status
):
    hidden = PilotBaseFactory(operator=operator, name="未备案基地", status=status)
    url = reverse("pilots:detail", args=[hidden.pk])

    assert client.get(url).status_code == 404
    assert login(stranger).get(url).status_code == 404
    assert client.get(reverse("pilots:calendar", args=[hidden.pk])).status_code == 404
    assert login(operator_admin).get(url).status_code == 200
    assert login(reviewer).get(url).status_code == 200


def test_detail_of_a_missing_base_is_404(client):
    assert client.get(reverse("pilots:detail", args=[99999])).status_code == 404


# The calendar --------------------------------------------------------------------------------


def test_calendar_shows_busy_slots_without_who_booked_them(client, login, base, reactor, operator_admin):
    secret = ServiceRequestFactory(base=base, title="保密的客户项目", status=RequestStatus.SCHEDULED)
    booking = BookingFactory(equipment=reactor, request=secret)
    url = reverse("pilots:calendar", args=[base.pk])

    public = client.get(url)
    operator_page = login(operator_admin).get(url)

    start = timezone.localtime(booking.starts_at).strftime("%Y-%m-%d %H:%M")
    assert public.status_code == 200
    assert "连续流反应器" in page_of(public) and start in page_of(public)
    assert "保密的客户项目" not in page_of(public)
    assert "保密的客户项目" in page_of(operator_page)


def test_calendar_pages_by_four_weeks_and_ignores_a_bad_start(client, base, reactor):
    url = reverse("pilots:calendar", args=[base.pk])
    later = timezone.localdate() + timedelta(days=56)

    moved = client.get(url, {"start": later.isoformat()})
    bad = client.get(url, {"start": "2026-13-45"})

    assert moved.status_code == 200 and moved.context["start"] == later
    assert moved.context["next"] == later + timedelta(days=28)
    assert bad.status_code == 200 and bad.context["start"] == timezone.localdate()


def test_calendar_leaves_out_bookings_outside_the_four_weeks(client, base, reactor):
    far = timezone.now() + timedelta(days=60)
    BookingFactory(equipment=reactor, starts_at=far, ends_at=far + timedelta(hours=4))

    response = client.get(reverse("pilots:calendar", args=[base.pk]))

    assert response.context["rows"][0]["slots"] == []


# The request form ----------------------------------------------------------------------------


def test_request_form_needs_login(client, base):
    url = reverse("pilots:request-new", args=[base.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_request_submitted_redirects_to_the_request(login, base, scale_up, requester, enterprise):
    client = login(requester)

    response = client.post(
        reverse("pilots:request-new", args=[base.pk]), request_data(service=scale_up.pk), follow=True
    )

    created = ServiceRequest.objects.get()
    assert response.redirect_chain[-1][0] == reverse("pilots:request", args=[created.pk])
    assert created.organization == enterprise and created.service == scale_up and created.requested_by == requester
    assert created.status == RequestStatus.SUBMITTED
    assert "电解液添加剂百公斤级放大" in page_of(response)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_request_period_ending_before_start_is_refused(login, base, requester):
    today = timezone.localdate()

    response = login(requester).post(
        reverse("pilots:request-new", args=[base.pk]),
        request_data(start_on=(today + timedelta(days=20)).isoformat(), end_on=(today + timedelta(days=5)).isoformat()),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["end_on"]
    assert not ServiceRequest.objects.exists()


def test_request_by_the_operator_itself_gets_the_service_error(login, base, operator_admin):
    response = login(operator_admin).post(reverse("pilots:request-new", args=[base.pk]), request_data())

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not ServiceRequest.objects.exists()


def test_request_to_an_unfiled_base_is_404(login, operator, requester):
    draft = PilotBaseFactory(operator=operator, status=FilingStatus.DRAFT, approved_at=None)

    response = login(requester).post(reverse("pilots:request-new", args=[draft.pk]), request_data())

    assert response.status_code == 404
    assert not ServiceRequest.objects.exists()


def test_request_for_one_of_several_organizations(login, base, requester):
    second = OrganizationFactory(name="烟台第二科技有限公司", kind="enterprise")
    MembershipFactory(organization=second, user=requester, role=MembershipRole.MEMBER)
    client = login(requester)

    form_page = client.get(reverse("pilots:request-new", args=[base.pk]))
    client.post(reverse("pilots:request-new", args=[base.pk]), request_data(organization=second.pk))

    assert "organization" in form_page.context["form"].fields
    assert ServiceRequest.objects.get().organization == second


def test_request_cannot_link_another_organizations_achievement(login, base, requester, foreign_organization):
    from tests.factories.achievements import AchievementFactory

    foreign = AchievementFactory(organization=foreign_organization)

    response = login(requester).post(
        reverse("pilots:request-new", args=[base.pk]), request_data(achievement=foreign.pk)
    )

    assert response.status_code == 200
    assert response.context["form"].errors["achievement"]
    assert not ServiceRequest.objects.exists()


def test_request_form_for_a_user_without_organization(login, base):
    from tests.factories.marketplace import UserFactory

    response = login(UserFactory(username="loner")).get(reverse("pilots:request-new", args=[base.pk]))

    assert response.status_code == 200
    assert response.context["no_organization"]


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "2020-02-30"])
def test_calendar_starts_today_for_a_date_out_of_range(client, base, reactor, start):
    response = client.get(reverse("pilots:calendar", args=[base.pk]), {"start": start})
    assert response.status_code == 200
    assert response.context["start"] == timezone.localdate()
