from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from achievements.enums import InquiryStatus, Status
from achievements.models import Achievement, Inquiry
from achievements.services import achievement_attach, achievement_set_tracked, inquiry_create, inquiry_reply
from marketplace.models import IndustryField
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory
from tests.files import forged_pdf_upload, pdf_upload

pytestmark = pytest.mark.django_db

LIBRARY = reverse("achievements:list")


def test_library_lists_public_achievements_only(client, organization):
    AchievementFactory(organization=organization, title="公开的膜技术")
    AchievementFactory(organization=organization, title="已转化的电池技术", status=Status.TRANSFERRED)
    AchievementFactory(organization=organization, title="草稿中的秘密", draft=True)
    AchievementFactory(organization=organization, title="待审核的秘密", submitted=True)

    content = client.get(LIBRARY).content.decode()

    assert "公开的膜技术" in content and "已转化的电池技术" in content
    assert "草稿中的秘密" not in content and "待审核的秘密" not in content


def test_library_filters_and_sorting(client):
    hydrogen = OrganizationFactory(kind="institute", region_id="370212")
    changzhou = OrganizationFactory(kind="university", region_id="320412")
    AchievementFactory(
        organization=hydrogen,
        title="质子交换膜",
        trl=7,
        asking_price=5_000_000,
        fields=["hydrogen"],
        modes=["equity"],
        category="major_original",
    )
    AchievementFactory(
        organization=changzhou,
        title="染料中间体",
        trl=3,
        asking_price=None,
        price_negotiable=True,
        fields=["coatings-dyes"],
        keywords=["染料"],
    )

    def titles(**params):
        response = client.get(LIBRARY, params)
        return [a.title for a in response.context["page"]]

    assert titles(field="new-energy") == ["质子交换膜"]
    assert titles(category="major_original") == ["质子交换膜"]
    assert titles(trl_min=5) == ["质子交换膜"]
    assert titles(trl_max=4) == ["染料中间体"]
    assert titles(mode="equity") == ["质子交换膜"]
    assert titles(price_min=100, price_max=600) == ["质子交换膜"]
    assert titles(region="320000") == ["染料中间体"]
    assert titles(organization=changzhou.pk) == ["染料中间体"]
    assert titles(q="染料") == ["染料中间体"]
    assert titles(sort="trl_high") == ["质子交换膜", "染料中间体"]
    assert titles(trl_min="x", price_min="-5", sort="bogus") == ["染料中间体", "质子交换膜"]


def test_library_query_count_does_not_grow_with_rows(client, django_assert_num_queries):
    AchievementFactory()
    with CaptureQueriesContext(connection) as one:
        client.get(LIBRARY)
    AchievementFactory.create_batch(2, modes=["assignment", "equity"], fields=["hydrogen", "robotics"])
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(LIBRARY)


def test_detail_shows_what_a_buyer_needs_with_the_contact_masked(client, organization):
    achievement = AchievementFactory(organization=organization, technical_indicators="脱盐率≥99.5%", trl=6)

    content = client.get(achievement.get_absolute_url()).content.decode()

    assert achievement.title in content and "脱盐率≥99.5%" in content
    assert "139****5678" in content and "13912345678" not in content
    assert "w***@example.edu.cn" in content and "王*" in content
    assert 'aria-current="true">TRL 6' in content
    assert Achievement.objects.get(pk=achievement.pk).view_count == 1


def test_drafts_and_their_files_are_404_to_outsiders(client, login, organization, org_member, foreign_user, reviewer):
    draft = AchievementFactory(organization=organization, draft=True)
    stored = achievement_attach(achievement=draft, user=org_member, uploaded=pdf_upload())
    file_url = reverse("private-file", args=[stored.pk])

    for viewer in (client, login(foreign_user)):
        assert viewer.get(draft.get_absolute_url()).status_code == 404
        assert viewer.get(file_url).status_code == 404
    assert login(org_member).get(draft.get_absolute_url()).status_code == 200
    assert login(reviewer).get(draft.get_absolute_url()).status_code == 200
    assert login(org_member).get(file_url).status_code == 200


def test_published_files_are_public(client, organization, org_member):
    achievement = AchievementFactory(organization=organization)
    stored = achievement_attach(achievement=achievement, user=org_member, uploaded=pdf_upload("检测报告.pdf"))

    assert "检测报告.pdf" in client.get(achievement.get_absolute_url()).content.decode()
    assert client.get(reverse("private-file", args=[stored.pk])).status_code == 200


def test_inquiry_from_the_detail_page_reveals_the_contact(login, organization, buyer):
    achievement = AchievementFactory(organization=organization)
    client = login(buyer)
    assert "发送询价" in client.get(achievement.get_absolute_url()).content.decode()

    response = client.post(
        reverse("achievements:inquire", args=[achievement.pk]), {"subject": "", "body": "能否提供样品？"}, follow=True
    )

    inquiry = Inquiry.objects.get()
    assert response.redirect_chain[-1][0] == inquiry.get_absolute_url()
    assert "能否提供样品？" in response.content.decode()
    assert "13912345678" in client.get(achievement.get_absolute_url()).content.decode()


def test_inquiry_by_the_owner_or_anonymous_is_refused(client, login, organization, org_member):
    achievement = AchievementFactory(organization=organization)

    assert client.post(reverse("achievements:inquire", args=[achievement.pk]), {"body": "x"}).url.startswith(
        reverse("login")
    )
    login(org_member).post(reverse("achievements:inquire", args=[achievement.pk]), {"body": "x"})
    assert not Inquiry.objects.exists()


def test_inquiry_pages_for_the_two_parties_only(login, organization, org_admin, buyer):
    achievement = AchievementFactory(organization=organization)
    inquiry = inquiry_create(achievement=achievement, user=buyer, subject="样品", body="能否提供样品？")
    outsider = login(MembershipFactory(organization=OrganizationFactory()).user)

    assert outsider.get(inquiry.get_absolute_url()).status_code == 404
    owner = login(org_admin)
    assert "样品" in owner.get(reverse("achievements:inquiries")).content.decode()
    assert "样品" in login(buyer).get(reverse("achievements:inquiries") + "?box=sent").content.decode()

    owner.post(inquiry.get_absolute_url(), {"body": "可以寄送样品。"})
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ANSWERED
    assert "可以寄送样品。" in login(buyer).get(inquiry.get_absolute_url()).content.decode()
    assert outsider.post(inquiry.get_absolute_url(), {"body": "插话"}).status_code == 404


def test_buyer_declines_and_the_institution_sees_the_reason(login, organization, org_admin, buyer):
    inquiry = inquiry_create(
        achievement=AchievementFactory(organization=organization), user=buyer, subject="s", body="b"
    )

    login(buyer).post(
        reverse("achievements:inquiry-decline", args=[inquiry.pk]), {"reason": "ip_unclear", "note": "专利未授权"}
    )

    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.DECLINED
    page = login(org_admin).get(reverse("achievements:inquiries")).content.decode()
    assert "知识产权不清晰" in page
    assert login(org_admin).post(
        reverse("achievements:inquiry-decline", args=[inquiry.pk]), {"reason": "price"}
    ).status_code in (302, 404)


def test_start_deal_after_an_answer(login, organization, org_admin, buyer):
    inquiry = inquiry_create(
        achievement=AchievementFactory(organization=organization), user=buyer, subject="s", body="b"
    )
    inquiry_reply(inquiry=inquiry, user=org_admin, body="欢迎")

    login(org_admin).post(reverse("achievements:inquiry-start-deal", args=[inquiry.pk]))

    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.DEAL_STARTED


def _form_data(**overrides):
    data = {
        "title": "一种耐氯反渗透膜",
        "summary": "耐氯性能提升三倍。",
        "category": "industrial",
        "trl": "6",
        "industry_fields": [IndustryField.objects.get(code="water-treatment").pk],
        "keywords": "反渗透，海水淡化",
        "transfer_modes": ["assignment", "license_non_exclusive"],
        "asking_price_wan": "120.5",
        "description": "<p>说明</p>",
        "contact_name": "王老师",
        "contact_phone": "13912345678",
        "contact_email": "wang@qdu.edu.cn",
        "completers-TOTAL_FORMS": "2", "completers-INITIAL_FORMS": "0", "completers-MIN_NUM_FORMS": "0", "completers-MAX_NUM_FORMS": "30",
        "completers-0-name": "王一", "completers-0-affiliation": "青岛大学", "completers-1-name": "",
        "ip_rights-TOTAL_FORMS": "1", "ip_rights-INITIAL_FORMS": "0", "ip_rights-MIN_NUM_FORMS": "0", "ip_rights-MAX_NUM_FORMS": "50",
        "ip_rights-0-kind": "invention_patent", "ip_rights-0-title": "一种反渗透膜", "ip_rights-0-number": "CN105123456B", "ip_rights-0-status": "granted",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_create_a_draft_in_the_workspace_with_price_in_wan(login, org_member):
    client = login(org_member)
    assert "新建成果" in client.get(reverse("achievements:create")).content.decode()

    response = client.post(
        reverse("achievements:create"), {**_form_data(), "files": [pdf_upload("说明书.pdf")]}, follow=True
    )

    achievement = Achievement.objects.get()
    assert response.redirect_chain[-1][0] == reverse("achievements:workspace-detail", args=[achievement.pk])
    assert achievement.asking_price == 1_205_000
    assert achievement.status == Status.DRAFT
    assert list(achievement.completers.values_list("name", flat=True)) == ["王一"]
    assert achievement.ip_rights.get().number == "CN105123456B"
    assert "说明书.pdf" in response.content.decode()


def test_create_with_bad_input_shows_chinese_errors_and_saves_nothing(login, org_member):
    response = login(org_member).post(
        reverse("achievements:create"),
        _form_data(trl="12", asking_price_wan="-3", **{"ip_rights-0-number": "201510123456.9"}),
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "校验位" in content
    assert not Achievement.objects.exists()


def test_create_with_a_forged_attachment_saves_nothing(login, org_member):
    response = login(org_member).post(reverse("achievements:create"), {**_form_data(), "files": [forged_pdf_upload()]})

    assert "按文件内容判断" in response.content.decode()
    assert not Achievement.objects.exists()


def test_edit_submit_and_history_in_the_workspace(login, organization, org_member, draft):
    client = login(org_member)
    response = client.post(reverse("achievements:edit", args=[draft.pk]), _form_data(title="改过的标题"), follow=True)
    assert "改过的标题" in response.content.decode()

    response = client.post(reverse("achievements:submit", args=[draft.pk]), follow=True)

    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    assert "待科技局审核" in response.content.decode()


def test_foreign_users_get_404_on_every_workspace_action(login, draft, foreign_user):
    client = login(foreign_user)
    for name in ("workspace-detail", "edit"):
        assert client.get(reverse(f"achievements:{name}", args=[draft.pk])).status_code == 404
    for name in (
        "submit",
        "withdraw",
        "mark-transferred",
        "confirm",
        "track",
        "delete",
        "attach",
        "ledger-add",
        "problem-add",
        "approve-internally",
        "return",
    ):
        assert client.post(reverse(f"achievements:{name}", args=[draft.pk]), {"reason": "x"}).status_code == 404, name
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_workspace_lists_statuses_reasons_and_the_internal_queue(login, organization, org_admin):
    organization.requires_internal_approval = True
    organization.save()
    AchievementFactory(
        organization=organization, title="被驳回的成果", status=Status.REJECTED, review_note="请补充专利号"
    )
    AchievementFactory(organization=organization, title="待本单位审核", status=Status.INTERNAL_REVIEW)

    content = login(org_admin).get(reverse("achievements:workspace-list")).content.decode()

    assert "请补充专利号" in content and "待本单位审核" in content
    assert "已驳回" in content


def test_withdraw_transfer_confirm_and_delete(login, organization, org_member, draft):
    client = login(org_member)
    published = AchievementFactory(organization=organization)

    client.post(reverse("achievements:confirm", args=[published.pk]))
    client.post(reverse("achievements:mark-transferred", args=[published.pk]))
    published.refresh_from_db()
    assert published.status == Status.TRANSFERRED

    other = AchievementFactory(organization=organization)
    client.post(reverse("achievements:withdraw", args=[other.pk]), {"reason": "暂停转化"})
    other.refresh_from_db()
    assert other.status == Status.WITHDRAWN

    client.post(reverse("achievements:delete", args=[draft.pk]))
    assert not Achievement.objects.filter(pk=draft.pk).exists()


def test_internal_approval_pages(login, organization, org_admin, org_member, draft):
    organization.requires_internal_approval = True
    organization.save()
    login(org_member).post(reverse("achievements:submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Status.INTERNAL_REVIEW

    admin_client = login(org_admin)
    admin_client.post(reverse("achievements:return", args=[draft.pk]), {"reason": "补充附件"})
    draft.refresh_from_db()
    assert (draft.status, draft.review_note) == (Status.DRAFT, "补充附件")

    login(org_member).post(reverse("achievements:submit", args=[draft.pk]))
    admin_client.post(reverse("achievements:approve-internally", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_tracking_ledger_and_problems_pages(login, organization, org_member):
    achievement = AchievementFactory(organization=organization)
    client = login(org_member)
    client.post(reverse("achievements:track", args=[achievement.pk]), {"tracked": "1"})
    month = timezone.localdate().strftime("%Y-%m")

    client.post(reverse("achievements:ledger-add", args=[achievement.pk]), {"month": month, "progress": "完成工艺定型"})
    client.post(
        reverse("achievements:problem-add", args=[achievement.pk]), {"obstacle": "缺少中试资金", "department": "科技处"}
    )
    problem = achievement.problems.get()
    client.post(
        reverse("achievements:problem-update", args=[problem.pk]), {"status": "resolved", "resolution": "获得基金支持"}
    )

    content = client.get(reverse("achievements:workspace-detail", args=[achievement.pk])).content.decode()
    assert "完成工艺定型" in content and "缺少中试资金" in content and "获得基金支持" in content


def test_monthly_report_page_and_excel(login, organization, org_admin, buyer):
    from io import BytesIO

    from openpyxl import load_workbook

    achievement = AchievementFactory(organization=organization, title="本月发布的成果")
    achievement_set_tracked(achievement=achievement, user=org_admin, tracked=True)
    inquiry_create(achievement=achievement, user=buyer, subject="月报里的询价", body="b")
    month = timezone.localdate().strftime("%Y-%m")
    client = login(org_admin)

    page = client.get(reverse("achievements:report"), {"month": month}).content.decode()
    assert "本月发布的成果" in page and "月报里的询价" in page

    response = client.get(reverse("achievements:report-xlsx"), {"month": month})
    workbook = load_workbook(BytesIO(response.content))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    published_sheet = workbook.worksheets[2]
    assert published_sheet.cell(row=2, column=1).value == "本月发布的成果"


def test_stale_listing_is_marked_in_public(client, organization, settings):
    achievement = AchievementFactory(organization=organization)
    Achievement.objects.filter(pk=achievement.pk).update(
        confirmed_at=timezone.now() - timedelta(days=settings.FRESHNESS_DAYS + 1)
    )

    assert "可能已过时" in client.get(achievement.get_absolute_url()).content.decode()


def test_admin_imports_a_spreadsheet_for_an_organization(login, reviewer, organization, org_admin, registrar):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = (
        "title,summary,category,trl,industry_fields,transfer_modes,asking_price_wan,external_ref\n"
        "海水提铀吸附材料,一种偕胺肟基吸附材料。,industrial,4,marine-chemicals,assignment,80,QD-001\n"
        "坏行,缺少成熟度,industrial,12,marine-chemicals,assignment,80,QD-002\n"
    ).encode()
    url = reverse("admin:achievements_achievement_import")
    client = login(reviewer)
    assert "从 Excel 导入" in client.get(reverse("admin:achievements_achievement_changelist")).content.decode()

    response = client.post(
        url,
        {
            "file": SimpleUploadedFile("成果.csv", csv, "text/csv"),
            "organization": organization.pk,
            "status": "published",
        },
    )

    content = response.content.decode()
    assert "1 项已导入" in content
    assert "技术成熟度：值 12 不是有效选项。" in content
    imported = Achievement.objects.get(external_ref="QD-001")
    assert (imported.status, imported.organization) == (Status.PUBLISHED, organization)
    assert login(registrar).get(url).status_code == 403
