import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from achievements import services
from achievements.enums import InquiryStatus, Status
from achievements.models import Achievement, Completer, Inquiry, IPRight
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory
from tests.files import pdf_upload

pytestmark = pytest.mark.django_db

LIST = "/api/v1/achievements/"
NOT_FOUND = {"error": {"code": "not_found", "message": "未找到。", "fields": {}}}


def detail_url(achievement, verb=""):
    return f"{LIST}{achievement.pk}/{verb + '/' if verb else ''}"


def titles(response):
    assert response.status_code == 200, response.json()
    return sorted(row["title"] for row in response.json()["results"])


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def error(response):
    return response.status_code, response.json()["error"]


def valid_body(**overrides):
    body = {
        "title": "海水淡化膜组件",
        "summary": "一种耐污染的反渗透膜组件。",
        "category": "industrial",
        "trl": 6,
        "asking_price": "500000.00",
        "transfer_modes": ["license_exclusive", "assignment"],
        "industry_fields": ["water-treatment"],
        "keywords": ["反渗透", "海水淡化"],
    }
    return {**body, **overrides}


@pytest.fixture
def published(organization):
    return AchievementFactory(title="公开成果", organization=organization)


@pytest.fixture
def draft(organization):
    return AchievementFactory(title="本单位草稿", organization=organization, draft=True)


@pytest.fixture
def foreign_draft(foreign_organization):
    return AchievementFactory(title="外单位草稿", organization=foreign_organization, draft=True)


@pytest.fixture
def lifecycle_mix(organization, foreign_organization):
    AchievementFactory(title="已发布", organization=foreign_organization)
    AchievementFactory(title="已转化", organization=foreign_organization, status=Status.TRANSFERRED)
    AchievementFactory(title="外单位待审", organization=foreign_organization, submitted=True)
    AchievementFactory(title="外单位已撤回", organization=foreign_organization, status=Status.WITHDRAWN)
    AchievementFactory(title="本单位草稿", organization=organization, draft=True)
    AchievementFactory(title="本单位已驳回", organization=organization, status=Status.REJECTED, published_at=None)


# Visibility ------------------------------------------------------------------------------


def test_achievements_list_anonymous_sees_published_and_transferred_only(client, lifecycle_mix):
    assert titles(client.get(LIST)) == ["已发布", "已转化"]


def test_achievements_list_owner_member_also_sees_own_organizations_other_statuses(login, org_member, lifecycle_mix):
    assert titles(login(org_member).get(LIST)) == ["已发布", "已转化", "本单位已驳回", "本单位草稿"]


def test_achievements_list_other_organization_sees_public_only(login, lifecycle_mix):
    outsider = MembershipFactory(organization=OrganizationFactory()).user

    assert titles(login(outsider).get(LIST)) == ["已发布", "已转化"]


def test_achievements_list_staff_sees_every_status(login, reviewer, lifecycle_mix):
    assert titles(login(reviewer).get(LIST)) == [
        "外单位已撤回",
        "外单位待审",
        "已发布",
        "已转化",
        "本单位已驳回",
        "本单位草稿",
    ]


def test_achievement_detail_shows_every_field_to_the_public(client, published):
    published.keywords = ["正极材料", "锂电池"]
    published.description = "<p>详细<strong>说明</strong></p><script>alert(1)</script>"
    published.innovation_points = "包覆改性"
    published.external_ref = "QD-2025-001"
    published.save()
    Completer.objects.create(achievement=published, rank=1, name="李明", affiliation="材料学院", title="教授")
    IPRight.objects.create(
        achievement=published, kind="invention_patent", title="一种正极材料", number="201510123456.1"
    )

    body = client.get(detail_url(published)).json()

    assert set(body) == {
        "id", "title", "summary", "description", "category", "organization", "industry_fields", "keywords", "trl",
        "trl_label", "transfer_modes", "asking_price", "price_negotiable", "innovation_points",
        "technical_indicators", "application_scenarios", "completers", "ip_rights", "status", "review_note",
        "published_at", "confirmed_at", "is_stale", "external_ref", "source", "updated_at", "attachments", "contact",
    }  # fmt: skip
    assert body == {
        **body,
        "id": published.pk,
        "title": "公开成果",
        "description": "<p>详细<strong>说明</strong></p>",
        "category": "industrial",
        "organization": {"id": published.organization_id, "name": "青岛测试大学"},
        "industry_fields": ["new-energy-batteries"],
        "keywords": ["正极材料", "锂电池"],
        "trl": 5,
        "trl_label": "TRL 5 · 部件或模块通过相关环境验证",
        "transfer_modes": ["assignment"],
        "asking_price": "1000000.00",
        "price_negotiable": False,
        "innovation_points": "包覆改性",
        "completers": [{"rank": 1, "name": "李明", "affiliation": "材料学院", "title": "教授"}],
        "ip_rights": [
            {"kind": "invention_patent", "title": "一种正极材料", "number": "201510123456.1", "status": "granted"}
        ],
        "status": "published",
        "review_note": None,
        "is_stale": False,
        "external_ref": "QD-2025-001",
        "source": "platform",
        "attachments": [],
    }


def test_achievement_detail_of_a_draft_is_404_to_anonymous_and_other_organizations(client, login, foreign_user, draft):
    assert client.get(detail_url(draft)).json() == NOT_FOUND
    response = login(foreign_user).get(detail_url(draft))
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_achievement_detail_of_a_draft_is_shown_to_owner_members_and_staff(login, org_member, reviewer, draft):
    assert login(org_member).get(detail_url(draft)).json()["status"] == "draft"
    assert login(reviewer).get(detail_url(draft)).json()["status"] == "draft"


def test_achievement_review_note_is_shown_to_the_owner_and_staff_only(
    client, login, org_member, foreign_user, reviewer, published
):
    Achievement.objects.filter(pk=published.pk).update(review_note="请补充专利证书")

    def note(c):
        return c.get(detail_url(published)).json()["review_note"]

    assert (note(client), note(login(foreign_user))) == (None, None)
    assert (note(login(org_member)), note(login(reviewer))) == ("请补充专利证书", "请补充专利证书")


def test_achievement_attachments_are_listed_with_a_download_url(client, org_member, published):
    stored = services.achievement_attach(achievement=published, user=org_member, uploaded=pdf_upload("检测报告.pdf"))

    attachments = client.get(detail_url(published)).json()["attachments"]

    assert attachments == [
        {
            "id": str(stored.pk),
            "name": "检测报告.pdf",
            "kind": "pdf",
            "size": stored.size,
            "url": f"http://testserver/files/{stored.pk}/",
        }
    ]
    assert client.get(attachments[0]["url"]).status_code == 200


# Filters and ordering --------------------------------------------------------------------


def test_achievements_filter_by_text_in_title_summary_and_keywords(client):
    AchievementFactory(title="海水淡化膜", summary="耐污染反渗透膜", keywords=["RO"])
    AchievementFactory(title="锂电池隔膜")

    assert titles(client.get(LIST, {"q": "淡化"})) == ["海水淡化膜"]
    assert titles(client.get(LIST, {"q": "反渗透"})) == ["海水淡化膜"]
    assert titles(client.get(LIST, {"q": "ro"})) == ["海水淡化膜"]
    assert titles(client.get(LIST, {"q": "隔膜 锂电池"})) == ["锂电池隔膜"]


def test_achievements_filter_by_industry_field_includes_sub_fields(client):
    AchievementFactory(title="氢能", fields=["hydrogen"])
    AchievementFactory(title="电池", fields=["new-energy-batteries"])
    AchievementFactory(title="机器人", fields=["robotics"])

    assert titles(client.get(LIST, {"industry_field": "new-energy"})) == ["氢能", "电池"]
    assert titles(client.get(LIST, {"industry_field": "hydrogen"})) == ["氢能"]


def test_achievements_filter_by_category(client):
    AchievementFactory(title="重大", category="major_original")
    AchievementFactory(title="产业", category="industrial")

    assert titles(client.get(LIST, {"category": "major_original"})) == ["重大"]


def test_achievements_filter_by_readiness_range(client):
    for level in (2, 5, 8):
        AchievementFactory(title=f"TRL{level}", trl=level)

    assert titles(client.get(LIST, {"trl_min": 5})) == ["TRL5", "TRL8"]
    assert titles(client.get(LIST, {"trl_max": 5})) == ["TRL2", "TRL5"]
    assert titles(client.get(LIST, {"trl_min": 3, "trl_max": 7})) == ["TRL5"]


def test_achievements_filter_by_transfer_mode(client):
    AchievementFactory(title="许可", modes=["license_exclusive", "equity"])
    AchievementFactory(title="转让", modes=["assignment"])

    assert titles(client.get(LIST, {"transfer_mode": "equity"})) == ["许可"]


def test_achievements_filter_by_price_in_yuan(client):
    AchievementFactory(title="五万", asking_price=50_000)
    AchievementFactory(title="一百万", asking_price=1_000_000)
    AchievementFactory(title="面议", asking_price=None, price_negotiable=True)

    assert titles(client.get(LIST, {"price_min": "100000"})) == ["一百万"]
    assert titles(client.get(LIST, {"price_max": "50000.00"})) == ["五万"]
    assert titles(client.get(LIST, {"price_min": "50000", "price_max": "1000000"})) == ["一百万", "五万"]


def test_achievements_filter_by_organization(client, organization):
    AchievementFactory(title="本单位", organization=organization)
    AchievementFactory(title="其他")

    assert titles(client.get(LIST, {"organization": organization.pk})) == ["本单位"]


def test_achievements_filter_by_region_includes_divisions_inside_it(client):
    AchievementFactory(title="市南", organization=OrganizationFactory(region_id="370202"))
    AchievementFactory(title="江门", organization=OrganizationFactory(region_id="440703"))

    assert titles(client.get(LIST, {"region": "370200"})) == ["市南"]
    assert titles(client.get(LIST, {"region": "440000"})) == ["江门"]


def test_achievements_filter_by_status_for_members_and_outsiders(client, login, org_member, published, draft):
    assert titles(login(org_member).get(LIST, {"status": "draft"})) == ["本单位草稿"]
    assert titles(client.get(LIST, {"status": "draft"})) == []
    assert titles(client.get(LIST, {"status": "published"})) == ["公开成果"]


def test_achievements_updated_since_returns_recent_changes_only(client):
    old = AchievementFactory(title="旧成果")
    Achievement.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timezone.timedelta(days=10))
    AchievementFactory(title="新成果")
    since = (timezone.now() - timezone.timedelta(days=1)).isoformat()

    assert titles(client.get(LIST, {"updated_since": since})) == ["新成果"]


def test_achievements_bad_filters_get_400_with_field_errors(client):
    region = client.get(LIST, {"region": "37"})
    assert error(region) == (
        400,
        {
            "code": "invalid",
            "message": "部分字段填写有误。",
            "fields": {"region": ["行政区划代码应为 6 位数字（GB/T 2260）。"]},
        },
    )
    for name, value in {"trl_min": "10", "category": "x", "price_min": "-1", "ordering": "cheapest"}.items():
        response = client.get(LIST, {name: value})
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == [name]


def test_achievements_ordering_sorts_the_whole_list(client):
    cheap = AchievementFactory(title="便宜", asking_price=10_000, trl=3, view_count=50)
    dear = AchievementFactory(title="昂贵", asking_price=2_000_000, trl=9, view_count=5)
    AchievementFactory(title="居中", asking_price=300_000, trl=6, view_count=500)
    Achievement.objects.filter(pk=cheap.pk).update(published_at=timezone.now() - timezone.timedelta(days=3))
    Achievement.objects.filter(pk=dear.pk).update(published_at=timezone.now() - timezone.timedelta(days=2))

    def order(ordering):
        return [row["title"] for row in client.get(LIST, {"ordering": ordering}).json()["results"]]

    assert order("price_low") == ["便宜", "居中", "昂贵"]
    assert order("price_high") == ["昂贵", "居中", "便宜"]
    assert order("trl_high") == ["昂贵", "居中", "便宜"]
    assert order("popular") == ["居中", "便宜", "昂贵"]
    assert order("newest") == ["居中", "昂贵", "便宜"]


def test_achievements_ordering_pages_by_number(client):
    for price in (1, 2, 3, 4, 5):
        AchievementFactory(title=f"价格{price}", asking_price=price * 10_000)

    first = client.get(LIST, {"ordering": "price_low", "page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    assert [row["title"] for row in first["results"]] == ["价格1", "价格2"]
    assert [row["title"] for row in second["results"]] == ["价格3", "价格4"]
    assert [row["title"] for row in third["results"]] == ["价格5"]
    assert set(first) == {"next", "previous", "results"}
    assert "page=2" in first["next"] and first["previous"] is None
    assert third["next"] is None and "page=2" in third["previous"]
    assert client.get(second["previous"]).json()["results"] == first["results"]


def test_achievements_ordered_pages_are_capped(client):
    AchievementFactory()

    beyond = client.get(LIST, {"ordering": "newest", "page": 51})
    garbage = client.get(LIST, {"ordering": "newest", "page": "zero"})

    assert beyond.status_code == 400 and list(beyond.json()["error"]["fields"]) == ["page"]
    assert garbage.status_code == 400 and list(garbage.json()["error"]["fields"]) == ["page"]
    assert client.get(LIST, {"ordering": "newest", "page": 50}).json()["results"] == []


def test_achievements_default_pages_are_cursor_pages_by_last_change(client):
    rows = AchievementFactory.create_batch(5)
    for offset, achievement in enumerate(rows):
        Achievement.objects.filter(pk=achievement.pk).update(
            updated_at=timezone.now() - timezone.timedelta(hours=offset)
        )

    first = client.get(LIST, {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert "cursor=" in first["next"]
    assert [row["id"] for row in first["results"] + second["results"]] == [a.pk for a in rows[:4]]


# Create ----------------------------------------------------------------------------------


def test_achievement_create_by_a_member_makes_a_draft_of_their_organization(login, org_member, organization):
    body = valid_body(
        description="<p>膜组件</p><img src=x onerror=alert(1)>",
        completers=[{"name": "张三", "affiliation": "化工学院", "title": "教授"}, {"name": "李四"}],
        ip_rights=[{"kind": "invention_patent", "title": "反渗透膜", "number": "201510123456.1"}],
        contact={"name": "赵老师", "phone": "13800001111", "email": "zhao@example.edu.cn"},
        external_ref="TTO-7",
        # Server-owned: ignored.
        status="published",
        source="partner",
        review_note="已审核",
        view_count=999,
        published_at="2020-01-01T00:00:00Z",
        created_by=1,
    )

    response = post(login(org_member), LIST, body)

    assert response.status_code == 201, response.json()
    created = response.json()
    achievement = Achievement.objects.get(pk=created["id"])
    assert (achievement.status, achievement.source, achievement.review_note, achievement.view_count) == (
        "draft",
        "platform",
        "",
        0,
    )
    assert (achievement.organization, achievement.created_by, achievement.published_at) == (
        organization,
        org_member,
        None,
    )
    assert created == {
        **created,
        "status": "draft",
        "source": "platform",
        "organization": {"id": organization.pk, "name": "青岛测试大学"},
        "description": "<p>膜组件</p>",
        "asking_price": "500000.00",
        "transfer_modes": ["assignment", "license_exclusive"],
        "industry_fields": ["water-treatment"],
        "keywords": ["反渗透", "海水淡化"],
        "completers": [
            {"rank": 1, "name": "张三", "affiliation": "化工学院", "title": "教授"},
            {"rank": 2, "name": "李四", "affiliation": "", "title": ""},
        ],
        "ip_rights": [
            {"kind": "invention_patent", "title": "反渗透膜", "number": "201510123456.1", "status": "granted"}
        ],
        "contact": {"name": "赵老师", "phone": "13800001111", "email": "zhao@example.edu.cn", "masked": False},
        "external_ref": "TTO-7",
        "published_at": None,
    }


def test_achievement_create_for_another_organization_is_refused(login, org_member, foreign_organization):
    response = post(login(org_member), LIST, valid_body(organization=foreign_organization.pk))

    status_code, body = error(response)
    assert status_code == 400
    assert list(body["fields"]) == ["organization"]
    assert Achievement.objects.count() == 0


def test_achievement_create_chooses_among_the_callers_organizations(login, org_member):
    second = OrganizationFactory(name="第二单位")
    MembershipFactory(user=org_member, organization=second)
    client = login(org_member)

    ambiguous = post(client, LIST, valid_body())
    chosen = post(client, LIST, valid_body(organization=second.pk))

    assert ambiguous.status_code == 400 and list(ambiguous.json()["error"]["fields"]) == ["organization"]
    assert chosen.status_code == 201
    assert chosen.json()["organization"] == {"id": second.pk, "name": "第二单位"}


def test_achievement_create_needs_a_membership(client, login):
    loner = UserFactory()

    assert error(post(client, LIST, valid_body()))[0] == 403
    status_code, body = error(post(login(loner), LIST, valid_body()))
    assert (status_code, body["code"]) == (403, "permission_denied")
    assert Achievement.objects.count() == 0


def test_achievement_create_reports_service_validation_as_field_errors(login, org_member):
    client = login(org_member)

    no_price = post(client, LIST, valid_body(asking_price=None))
    bad_patent = post(client, LIST, valid_body(ip_rights=[{"kind": "invention_patent", "title": "x", "number": "1"}]))

    assert error(no_price) == (
        400,
        {
            "code": "invalid",
            "message": "部分字段填写有误。",
            "fields": {"asking_price": ["请填写意向价格，或勾选价格面议。"]},
        },
    )
    assert bad_patent.status_code == 400 and list(bad_patent.json()["error"]["fields"]) == ["ip_rights[0]"]
    assert Achievement.objects.count() == 0


def test_achievement_create_negotiable_price_without_amount(login, org_member):
    response = post(login(org_member), LIST, valid_body(asking_price=None, price_negotiable=True))

    assert response.status_code == 201
    assert (response.json()["asking_price"], response.json()["price_negotiable"]) == (None, True)


# Update and delete ---------------------------------------------------------------------------


def test_achievement_patch_by_an_owner_member_changes_the_draft(login, org_member, draft):
    response = login(org_member).patch(
        detail_url(draft),
        {"title": "新标题", "transfer_modes": ["equity"], "status": "published", "organization": 999},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert (draft.title, draft.status) == ("新标题", "draft")
    assert response.json()["transfer_modes"] == ["equity"]
    assert response.json()["organization"]["id"] == draft.organization_id


def test_achievement_put_replaces_the_edited_fields(login, org_member, draft):
    response = login(org_member).put(
        detail_url(draft), valid_body(title="整体替换", price_negotiable=True), content_type="application/json"
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        **response.json(),
        "title": "整体替换",
        "trl": 6,
        "price_negotiable": True,
        "industry_fields": ["water-treatment"],
    }


def test_achievement_material_change_of_a_published_one_goes_back_to_review(login, org_member, published):
    response = login(org_member).patch(detail_url(published), {"trl": 7}, content_type="application/json")

    assert response.json()["status"] == "submitted"


def test_achievement_update_by_another_organization_is_404(login, foreign_user, published, draft):
    client = login(foreign_user)

    assert client.patch(detail_url(published), {"title": "x"}, content_type="application/json").json() == NOT_FOUND
    assert client.put(detail_url(draft), valid_body(), content_type="application/json").json() == NOT_FOUND
    published.refresh_from_db()
    assert published.title == "公开成果"


def test_achievement_update_of_one_under_review_is_403(login, org_member, organization):
    submitted = AchievementFactory(organization=organization, submitted=True)

    response = login(org_member).patch(detail_url(submitted), {"title": ""}, content_type="application/json")

    assert error(response)[0] == 403


def test_achievement_delete_of_a_draft_by_an_owner_member(login, org_member, draft):
    response = login(org_member).delete(detail_url(draft))

    assert response.status_code == 204
    assert not Achievement.objects.filter(pk=draft.pk).exists()


def test_achievement_delete_of_a_published_one_is_refused(login, org_member, published):
    response = login(org_member).delete(detail_url(published))

    assert error(response) == (
        400,
        {
            "code": "invalid",
            "message": "只能删除草稿，已提交的成果请撤回。",
            "fields": {"non_field_errors": ["只能删除草稿，已提交的成果请撤回。"]},
        },
    )


def test_achievement_delete_by_another_organization_is_404(login, foreign_user, draft):
    assert login(foreign_user).delete(detail_url(draft)).json() == NOT_FOUND
    assert Achievement.objects.filter(pk=draft.pk).exists()


# Transitions -------------------------------------------------------------------------------


def transition_error(current, target):
    return (
        400,
        {
            "code": "invalid",
            "message": "部分字段填写有误。",
            "fields": {"status": [f"状态不能从“{current}”变更为“{target}”。"]},
        },
    )


def test_achievement_submit_by_an_owner_member_goes_to_the_bureau(login, org_member, draft):
    response = post(login(org_member), detail_url(draft, "submit"))

    assert response.status_code == 200
    assert response.json()["status"] == "submitted"


def test_achievement_submit_goes_to_internal_review_when_the_institution_asks(login, org_member, organization, draft):
    organization.requires_internal_approval = True
    organization.save()

    assert post(login(org_member), detail_url(draft, "submit")).json()["status"] == "internal_review"


def test_achievement_submit_of_one_under_review_is_403(login, org_member, organization):
    submitted = AchievementFactory(organization=organization, submitted=True)

    assert error(post(login(org_member), detail_url(submitted, "submit")))[0] == 403


def test_achievement_approve_internally_by_the_institutions_admin(login, org_admin, org_member, organization):
    waiting = AchievementFactory(organization=organization, status=Status.INTERNAL_REVIEW, published_at=None)

    assert error(post(login(org_member), detail_url(waiting, "approve-internally")))[0] == 403
    response = post(login(org_admin), detail_url(waiting, "approve-internally"))

    assert response.json()["status"] == "submitted"


def test_achievement_approve_internally_of_a_submitted_one_is_refused(login, org_admin, organization):
    submitted = AchievementFactory(organization=organization, submitted=True)

    response = post(login(org_admin), detail_url(submitted, "approve-internally"))

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "只有待本单位审核的成果才能由本单位审核通过。"


def test_achievement_approve_internally_of_a_draft_is_refused(login, org_admin, draft):
    response = post(login(org_admin), detail_url(draft, "approve-internally"))

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "只有待本单位审核的成果才能由本单位审核通过。"
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_achievement_return_by_the_institutions_admin_needs_a_reason(login, org_admin, organization):
    waiting = AchievementFactory(organization=organization, status=Status.INTERNAL_REVIEW, published_at=None)
    client = login(org_admin)

    missing = post(client, detail_url(waiting, "return"))
    returned = post(client, detail_url(waiting, "return"), {"reason": "请补充技术指标"})

    assert missing.status_code == 400 and list(missing.json()["error"]["fields"]) == ["reason"]
    assert returned.status_code == 200
    assert (returned.json()["status"], returned.json()["review_note"]) == ("draft", "请补充技术指标")


def test_achievement_return_of_a_draft_is_refused(login, org_admin, draft):
    response = post(login(org_admin), detail_url(draft, "return"), {"reason": "x"})

    assert error(response)[0] == 400
    assert response.json()["error"]["message"] == "只有待本单位审核的成果才能退回。"


def test_achievement_publish_by_a_reviewer(login, reviewer, organization):
    submitted = AchievementFactory(organization=organization, submitted=True)

    response = post(login(reviewer), detail_url(submitted, "publish"))

    assert response.status_code == 200
    assert response.json()["status"] == "published"
    assert response.json()["published_at"] is not None


def test_achievement_publish_of_a_draft_is_refused_with_the_lifecycle_message(login, reviewer, draft):
    response = post(login(reviewer), detail_url(draft, "publish"))

    assert error(response) == transition_error("草稿", "已发布")


def test_achievement_publish_needs_a_reviewer(login, org_member, registrar, foreign_user, organization):
    submitted = AchievementFactory(organization=organization, submitted=True)

    assert error(post(login(org_member), detail_url(submitted, "publish")))[0] == 403
    assert error(post(login(registrar), detail_url(submitted, "publish")))[0] == 403
    assert post(login(foreign_user), detail_url(submitted, "publish")).json() == NOT_FOUND


def test_achievement_reject_by_a_reviewer_needs_a_reason_the_owner_sees(login, reviewer, org_member, organization):
    submitted = AchievementFactory(organization=organization, submitted=True)
    client = login(reviewer)

    missing = post(client, detail_url(submitted, "reject"), {"reason": "  "})
    rejected = post(client, detail_url(submitted, "reject"), {"reason": "专利号有误"})

    assert missing.status_code == 400 and list(missing.json()["error"]["fields"]) == ["reason"]
    assert rejected.json()["status"] == "rejected"
    assert login(org_member).get(detail_url(submitted)).json()["review_note"] == "专利号有误"


def test_achievement_reject_of_a_published_one_is_refused(login, reviewer, published):
    response = post(login(reviewer), detail_url(published, "reject"), {"reason": "x"})

    assert error(response) == transition_error("已发布", "已驳回")


def test_achievement_withdraw_by_an_owner_member(login, org_member, published):
    response = post(login(org_member), detail_url(published, "withdraw"), {"reason": "已与企业签约"})

    assert response.json()["status"] == "withdrawn"


def test_achievement_withdraw_of_a_draft_is_refused(login, org_member, draft):
    assert error(post(login(org_member), detail_url(draft, "withdraw"))) == transition_error("草稿", "已撤回")


def test_achievement_withdraw_by_others_is_403_when_visible_and_404_when_not(
    client, login, foreign_user, published, draft
):
    outsider = login(foreign_user)

    assert error(post(outsider, detail_url(published, "withdraw"))) == (
        403,
        {"code": "permission_denied", "message": "您没有执行该操作的权限。", "fields": {}},
    )
    assert post(outsider, detail_url(draft, "withdraw")).json() == NOT_FOUND
    assert error(post(client, detail_url(published, "withdraw")))[1]["code"] == "not_authenticated"
    published.refresh_from_db()
    assert published.status == "published"


def test_achievement_mark_transferred_by_an_owner_member(login, org_member, published, draft):
    client = login(org_member)

    assert post(client, detail_url(published, "mark-transferred")).json()["status"] == "transferred"
    assert error(post(client, detail_url(draft, "mark-transferred"))) == transition_error("草稿", "已转化")


def test_achievement_confirm_by_an_owner_member_restarts_the_freshness_clock(login, org_member, published, draft):
    Achievement.objects.filter(pk=published.pk).update(confirmed_at=timezone.now() - timezone.timedelta(days=400))
    client = login(org_member)

    confirmed = post(client, detail_url(published, "confirm"))
    refused = post(client, detail_url(draft, "confirm"))

    published.refresh_from_db()
    assert confirmed.json()["is_stale"] is False
    assert published.confirmed_at > timezone.now() - timezone.timedelta(minutes=1)
    assert error(refused)[1]["message"] == "只有已发布的成果需要确认。"


# Contacts --------------------------------------------------------------------------------


MASKED = {"name": "王**", "phone": "139****5678", "email": "w***@example.edu.cn", "masked": True}
CLEAR = {"name": "王老师", "phone": "13912345678", "email": "wang@example.edu.cn", "masked": False}


def test_achievement_contact_is_masked_until_the_callers_organization_asks(client, login, foreign_user, published):
    outsider = login(foreign_user)
    assert client.get(detail_url(published)).json()["contact"] == MASKED
    assert outsider.get(detail_url(published)).json()["contact"] == MASKED
    assert outsider.get(LIST).json()["results"][0]["contact"] == MASKED

    response = post(outsider, "/api/v1/inquiries/", {"achievement": published.pk, "body": "请问能否独占许可？"})

    assert response.status_code == 201
    assert outsider.get(detail_url(published)).json()["contact"] == CLEAR
    assert outsider.get(LIST).json()["results"][0]["contact"] == CLEAR
    assert client.get(detail_url(published)).json()["contact"] == MASKED


def test_achievement_contact_is_clear_to_the_owner_and_staff(login, org_member, reviewer, published):
    assert login(org_member).get(detail_url(published)).json()["contact"] == CLEAR
    assert login(reviewer).get(LIST).json()["results"][0]["contact"] == CLEAR


# Inquiries -------------------------------------------------------------------------------

INQUIRIES = "/api/v1/inquiries/"


@pytest.fixture
def inquiry(foreign_user, published):
    return services.inquiry_create(achievement=published, user=foreign_user, subject="合作意向", body="请问价格？")


def test_inquiry_create_by_another_verified_organization(login, foreign_user, foreign_organization, published):
    response = post(
        login(foreign_user), INQUIRIES, {"achievement": published.pk, "subject": "许可咨询", "body": "能否普通许可？"}
    )

    assert response.status_code == 201, response.json()
    assert response.json() == {
        **response.json(),
        "achievement": {
            "id": published.pk,
            "title": "公开成果",
            "organization": {"id": published.organization_id, "name": "青岛测试大学"},
        },
        "organization": {"id": foreign_organization.pk, "name": "外部企业有限公司"},
        "user": {"id": foreign_user.pk, "name": foreign_user.name},
        "subject": "许可咨询",
        "status": "open",
        "decline_reason": None,
        "message_count": 1,
    }


def test_inquiry_create_about_an_invisible_or_own_achievement_is_refused(
    login, org_member, foreign_user, draft, published
):
    hidden = post(login(foreign_user), INQUIRIES, {"achievement": draft.pk, "body": "x"})
    own = post(login(org_member), INQUIRIES, {"achievement": published.pk, "body": "x"})

    assert hidden.status_code == 400 and list(hidden.json()["error"]["fields"]) == ["achievement"]
    assert error(own)[0] == 403
    assert Inquiry.objects.count() == 0


def test_inquiry_create_for_another_organization_is_refused(login, foreign_user, organization, published):
    response = post(
        login(foreign_user), INQUIRIES, {"achievement": published.pk, "body": "x", "organization": organization.pk}
    )

    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["organization"]


def test_inquiries_are_visible_to_their_two_parties_only(client, login, org_member, foreign_user, reviewer, inquiry):
    third = MembershipFactory(organization=OrganizationFactory()).user

    def listed(c):
        return [row["id"] for row in c.get(INQUIRIES).json()["results"]]

    assert listed(login(foreign_user)) == [inquiry.pk]
    assert listed(login(org_member)) == [inquiry.pk]
    assert listed(login(reviewer)) == [inquiry.pk]
    assert listed(login(third)) == []
    assert login(org_member).get(f"{INQUIRIES}{inquiry.pk}/").json()["message_count"] == 1
    assert login(third).get(f"{INQUIRIES}{inquiry.pk}/").json() == NOT_FOUND
    assert error(client.get(INQUIRIES)) == (
        403,
        {"code": "not_authenticated", "message": "身份认证信息未提供。", "fields": {}},
    )


def test_inquiry_messages_are_read_and_posted_by_the_parties(login, org_member, foreign_user, inquiry):
    owner = login(org_member)

    reply = post(owner, f"{INQUIRIES}{inquiry.pk}/messages/", {"body": "可以，价格面议。"})
    messages = login(foreign_user).get(f"{INQUIRIES}{inquiry.pk}/messages/").json()

    assert reply.status_code == 201
    assert reply.json() == {
        **reply.json(),
        "author": {"id": org_member.pk, "name": org_member.name},
        "organization": {"id": inquiry.achievement.organization_id, "name": "青岛测试大学"},
        "body": "可以，价格面议。",
    }
    assert [row["body"] for row in messages["results"]] == ["请问价格？", "可以，价格面议。"]
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ANSWERED


def test_inquiry_messages_of_others_are_404_and_staff_cannot_post(login, reviewer, inquiry):
    third = login(MembershipFactory(organization=OrganizationFactory()).user)

    assert third.get(f"{INQUIRIES}{inquiry.pk}/messages/").json() == NOT_FOUND
    assert post(third, f"{INQUIRIES}{inquiry.pk}/messages/", {"body": "x"}).json() == NOT_FOUND
    assert login(reviewer).get(f"{INQUIRIES}{inquiry.pk}/messages/").status_code == 200
    assert error(post(login(reviewer), f"{INQUIRIES}{inquiry.pk}/messages/", {"body": "x"}))[0] == 403


def test_inquiry_message_to_a_closed_inquiry_is_refused(login, foreign_user, inquiry):
    services.inquiry_decline(inquiry=inquiry, user=foreign_user, reason="price")

    response = post(login(foreign_user), f"{INQUIRIES}{inquiry.pk}/messages/", {"body": "再问一下"})

    assert error(response)[1]["message"] == "该询价已结束。"


def test_inquiry_decline_by_the_asking_side_with_a_reason(login, org_member, foreign_user, inquiry):
    url = f"{INQUIRIES}{inquiry.pk}/decline/"

    owner_side = post(login(org_member), url, {"reason": "price"})
    no_reason = post(login(foreign_user), url, {"note": "太贵"})
    declined = post(login(foreign_user), url, {"reason": "price", "note": "超出预算"})

    assert error(owner_side)[0] == 403
    assert no_reason.status_code == 400 and list(no_reason.json()["error"]["fields"]) == ["reason"]
    assert declined.status_code == 200
    assert declined.json() == {
        **declined.json(),
        "status": "declined",
        "decline_reason": "price",
        "decline_note": "超出预算",
    }


def test_inquiry_start_deal_after_an_answer(login, org_member, foreign_user, inquiry):
    url = f"{INQUIRIES}{inquiry.pk}/start-deal/"
    too_early = post(login(foreign_user), url)
    services.inquiry_reply(inquiry=inquiry, user=org_member, body="欢迎洽谈")

    started = post(login(foreign_user), url)

    assert error(too_early) == transition_error("待回复", "已进入洽谈")
    assert started.json()["status"] == "deal_started"


def test_inquiry_start_deal_by_a_third_party_is_404(login, inquiry):
    third = login(MembershipFactory(organization=OrganizationFactory()).user)

    assert post(third, f"{INQUIRIES}{inquiry.pk}/start-deal/").json() == NOT_FOUND


# Query counts ------------------------------------------------------------------------------


def full_achievement(**kwargs):
    achievement = AchievementFactory(modes=["assignment", "equity"], fields=["hydrogen", "robotics"], **kwargs)
    Completer.objects.create(achievement=achievement, rank=1, name="张三")
    IPRight.objects.create(achievement=achievement, kind="know_how", title="工艺")
    return achievement


def assert_constant_queries(client, url, add_rows, django_assert_num_queries, params=None):
    client.get(url, params or {})  # warm the per-process caches (content types)
    with CaptureQueriesContext(connection) as one:
        response = client.get(url, params or {})
    assert len(response.json()["results"]) == 1
    add_rows()
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url, params or {})
    assert len(response.json()["results"]) == 3


def test_achievements_list_query_count_does_not_grow_with_rows(
    client, org_member, organization, django_assert_num_queries
):
    def add_row():
        achievement = full_achievement(organization=organization)
        services.achievement_attach(achievement=achievement, user=org_member, uploaded=pdf_upload())

    add_row()

    def add_rows():
        add_row()
        add_row()

    assert_constant_queries(client, LIST, add_rows, django_assert_num_queries)


def test_achievements_list_query_count_for_a_member_with_inquiries(login, foreign_user, django_assert_num_queries):
    first = full_achievement()
    services.inquiry_create(achievement=first, user=foreign_user, subject="", body="问")

    def add_rows():
        for _ in range(2):
            services.inquiry_create(achievement=full_achievement(), user=foreign_user, subject="", body="问")

    assert_constant_queries(
        login(foreign_user), LIST, add_rows, django_assert_num_queries, params={"ordering": "price_low"}
    )


def test_inquiries_list_query_count_does_not_grow_with_rows(login, foreign_user, django_assert_num_queries):
    services.inquiry_create(achievement=AchievementFactory(), user=foreign_user, subject="", body="问")

    def add_rows():
        for _ in range(2):
            services.inquiry_create(achievement=AchievementFactory(), user=foreign_user, subject="", body="问")

    assert_constant_queries(login(foreign_user), INQUIRIES, add_rows, django_assert_num_queries)


def test_inquiry_messages_list_query_count_does_not_grow_with_rows(
    login, org_member, foreign_user, inquiry, django_assert_num_queries
):
    def add_rows():
        services.inquiry_reply(inquiry=inquiry, user=org_member, body="答")
        services.inquiry_reply(inquiry=inquiry, user=foreign_user, body="再问")

    assert_constant_queries(
        login(foreign_user), f"{INQUIRIES}{inquiry.pk}/messages/", add_rows, django_assert_num_queries
    )


# Schema ------------------------------------------------------------------------------------


def test_openapi_schema_documents_every_achievement_and_inquiry_endpoint(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operations = {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if path.startswith(("/api/v1/achievements/", "/api/v1/inquiries/"))
    }
    verbs = ["submit", "approve-internally", "return", "publish", "reject", "withdraw", "mark-transferred", "confirm"]
    assert operations == {
        ("get", "/api/v1/achievements/"),
        ("post", "/api/v1/achievements/"),
        ("get", "/api/v1/achievements/{id}/"),
        ("put", "/api/v1/achievements/{id}/"),
        ("patch", "/api/v1/achievements/{id}/"),
        ("delete", "/api/v1/achievements/{id}/"),
        *{("post", f"/api/v1/achievements/{{id}}/{verb}/") for verb in verbs},
        ("get", "/api/v1/inquiries/"),
        ("post", "/api/v1/inquiries/"),
        ("get", "/api/v1/inquiries/{id}/"),
        ("post", "/api/v1/inquiries/{id}/decline/"),
        ("post", "/api/v1/inquiries/{id}/start-deal/"),
        ("get", "/api/v1/inquiries/{inquiry_pk}/messages/"),
        ("post", "/api/v1/inquiries/{inquiry_pk}/messages/"),
        ("get", "/api/v1/achievements/{achievement_pk}/matches/"),
        ("post", "/api/v1/achievements/{achievement_pk}/matches/{id}/feedback/"),
        # Partner systems write by their own reference.
        ("get", "/api/v1/achievements/by-ref/{external_ref}/"),
        ("put", "/api/v1/achievements/by-ref/{external_ref}/"),
        ("delete", "/api/v1/achievements/by-ref/{external_ref}/"),
    }
    listing = schema["paths"]["/api/v1/achievements/"]["get"]
    assert {
        "q", "industry_field", "category", "trl_min", "trl_max", "transfer_mode", "price_min", "price_max",
        "organization", "region", "status", "updated_since", "ordering", "cursor", "page",
    } <= {parameter["name"] for parameter in listing["parameters"]}  # fmt: skip
