"""The public pages of the featured achievements: the archive, an issue, its print page and
PDF, and the RSS and Atom feeds; drafts exist for bureau staff only."""

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from achievements.enums import FeaturedIssueStatus, Status
from achievements.models import FeaturedIssue, FeaturedItem
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"

ARCHIVE = reverse("achievements:featured")


def make_issue(number, title=None, *, achievements=(), notes=(), published=True, editor_note=""):
    issue = FeaturedIssue.objects.create(
        number=number,
        title=title or f"好成果第{number}期",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        editor_note=editor_note,
        status=FeaturedIssueStatus.PUBLISHED if published else FeaturedIssueStatus.DRAFT,
        published_at=timezone.now() - timedelta(days=30 - number) if published else None,
    )
    for position, achievement in enumerate(achievements, 1):
        note = notes[position - 1] if position <= len(notes) else ""
        FeaturedItem.objects.create(issue=issue, achievement=achievement, position=position, note=note)
    return issue


@pytest.fixture
def issue():
    university = OrganizationFactory(name="青岛海洋科技大学", kind="university")
    first = AchievementFactory(
        organization=university, title="海水淡化反渗透膜抗污染技术", trl=7, asking_price=1_500_000
    )
    second = AchievementFactory(title="深海探测用耐压电池", trl=5, asking_price=None, price_negotiable=True)
    # Saved in the reverse of the editor's order: the page follows the positions.
    issue = make_issue(12, "2026年11月好成果", editor_note="本期聚焦海洋装备。")
    FeaturedItem.objects.create(issue=issue, achievement=second, position=2, note="续航提升三成。")
    FeaturedItem.objects.create(issue=issue, achievement=first, position=1, note="已在青岛中试。")
    return issue


# Archive -----------------------------------------------------------------------------------------


def test_archive_lists_published_issues_newest_first_with_item_counts(client):
    achievements = AchievementFactory.create_batch(3)
    make_issue(1, "第一期好成果", achievements=achievements[:1])
    make_issue(2, "第二期好成果", achievements=achievements)
    make_issue(3, "编辑中的第三期", achievements=achievements[:2], published=False)

    response = client.get(ARCHIVE)

    assert response.status_code == 200
    issues = list(response.context["page"])
    assert [i.title for i in issues] == ["第二期好成果", "第一期好成果"]
    assert [i.item_count for i in issues] == [3, 1]
    content = response.content.decode()
    assert "编辑中的第三期" not in content
    assert content.index("第二期好成果") < content.index("第一期好成果")
    assert reverse("achievements:subscribe") in content
    assert '<link rel="alternate" type="application/rss+xml"' in content and 'href="/featured/rss/"' in content
    assert '<link rel="alternate" type="application/atom+xml"' in content and 'href="/featured/atom/"' in content


def test_archive_item_count_leaves_out_withdrawn_achievements(client):
    kept, withdrawn = AchievementFactory.create_batch(2)
    make_issue(1, achievements=[kept, withdrawn])
    withdrawn.status = Status.WITHDRAWN
    withdrawn.save()

    assert [i.item_count for i in client.get(ARCHIVE).context["page"]] == [1]


def test_archive_queries_do_not_grow_with_issues(client, django_assert_num_queries):
    achievements = AchievementFactory.create_batch(3)
    make_issue(1, achievements=achievements)
    # One count for the paginator, one select of the page's issues with their item counts.
    with django_assert_num_queries(2):
        assert client.get(ARCHIVE).status_code == 200
    make_issue(2, achievements=achievements[:2])
    make_issue(3, achievements=achievements[:1])
    with django_assert_num_queries(2):
        response = client.get(ARCHIVE)
    assert len(response.context["page"]) == 3


def test_archive_is_paginated(client):
    for number in range(1, 15):
        make_issue(number)

    first = client.get(ARCHIVE)
    second = client.get(ARCHIVE, {"page": 2})

    assert [i.number for i in first.context["page"]] == list(range(14, 2, -1))
    assert [i.number for i in second.context["page"]] == [2, 1]


def test_public_navigation_links_the_archive(client):
    content = client.get(reverse("home")).content.decode()

    assert f'href="{ARCHIVE}"' in content


# Issue page --------------------------------------------------------------------------------------


def test_issue_page_shows_the_items_in_the_editors_order(client, issue):
    response = client.get(issue.get_absolute_url())

    assert response.status_code == 200
    content = response.content.decode()
    first, second = (item.achievement for item in issue.items.order_by("position"))
    assert content.index("海水淡化反渗透膜抗污染技术") < content.index("深海探测用耐压电池")
    assert f'href="{first.get_absolute_url()}"' in content and f'href="{second.get_absolute_url()}"' in content
    assert "本期聚焦海洋装备。" in content
    assert "已在青岛中试。" in content and "续航提升三成。" in content
    assert "青岛海洋科技大学" in content and second.organization.name in content
    assert "TRL 7" in content and "TRL 5" in content
    assert "150 万元" in content and "面议" in content
    assert 'id="draft-banner"' not in content
    for name in ("achievements:featured-print", "achievements:featured-pdf"):
        assert reverse(name, args=[issue.number]) in content
    assert reverse("achievements:subscribe") in content


def test_issue_page_leaves_out_achievements_no_longer_public(client, issue):
    withdrawn = issue.items.get(position=2).achievement
    withdrawn.status = Status.WITHDRAWN
    withdrawn.save()

    content = client.get(issue.get_absolute_url()).content.decode()

    assert "海水淡化反渗透膜抗污染技术" in content and "深海探测用耐压电池" not in content


def test_unknown_issue_is_404(client):
    assert client.get(reverse("achievements:featured-issue", args=[99])).status_code == 404


@pytest.mark.parametrize(
    "name", ["achievements:featured-issue", "achievements:featured-print", "achievements:featured-pdf"]
)
def test_draft_issue_is_404_to_everyone_but_bureau_staff(client, login, org_member, reviewer, name):
    draft = make_issue(5, "尚未发布的一期", achievements=[AchievementFactory(title="草稿期的成果")], published=False)
    url = reverse(name, args=[draft.number])

    assert client.get(url).status_code == 404
    assert login(UserFactory()).get(url).status_code == 404
    assert login(org_member).get(url).status_code == 404
    response = login(reviewer).get(url)
    assert response.status_code == 200
    if name != "achievements:featured-pdf":
        content = response.content.decode()
        assert 'id="draft-banner"' in content and "尚未发布的一期" in content and "草稿期的成果" in content


# Print page and PDF ------------------------------------------------------------------------------


def test_print_page_is_plain_with_a_print_stylesheet_and_no_inline_code(client, issue):
    response = client.get(reverse("achievements:featured-print", args=[issue.number]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "2026年11月好成果" in content and "海水淡化反渗透膜抗污染技术" in content and "150 万元" in content
    assert 'href="/static/achievements/featured-print.css"' in content
    assert "market-navbar" not in content  # not the site's layout
    assert "style=" not in content and "<style" not in content
    assert all(re.search(r'\bsrc="', tag) for tag in re.findall(r"<script[^>]*>", content))
    assert f"{settings.SITE_URL}{issue.get_absolute_url()}" in content
    stylesheet = open(finders.find("achievements/featured-print.css"), encoding="utf-8").read()  # noqa: SIM115
    assert "@page" in stylesheet and '"Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif' in stylesheet
    assert "@media print" in stylesheet


def test_pdf_is_rendered_with_the_chinese_text(client, issue):
    response = client.get(reverse("achievements:featured-pdf", args=[issue.number]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="featured-12.pdf"'
    assert response.content.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "featured-issue.pdf").write_bytes(response.content)  # to look at (pdftoppm)
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    for expected in (
        "2026年11月好成果",
        "海水淡化反渗透膜抗污染技术",
        "深海探测用耐压电池",
        "青岛海洋科技大学",
        "150万元",
    ):
        assert expected in text
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if "/BaseFont" in font.get_object()
    }
    assert any(re.search(r"Noto-?(Sans|Serif)-?CJK", font) for font in fonts), fonts


def test_pdf_of_a_draft_is_not_cached(login, reviewer):
    draft = make_issue(6, achievements=[AchievementFactory()], published=False)

    response = login(reviewer).get(reverse("achievements:featured-pdf", args=[draft.number]))

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


# Feeds -------------------------------------------------------------------------------------------


def test_rss_feed_has_one_entry_per_published_issue(client, issue):
    make_issue(13, "编辑中的下一期", achievements=[AchievementFactory()], published=False)

    response = client.get(reverse("achievements:featured-rss"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    content = response.content.decode()
    assert content.count("<item>") == 1
    assert "2026年11月好成果" in content and "编辑中的下一期" not in content
    assert f"http://testserver{issue.get_absolute_url()}" in content
    assert "海水淡化反渗透膜抗污染技术" in content and "深海探测用耐压电池" in content
    assert "<pubDate>" in content


def test_atom_feed_has_one_entry_per_published_issue(client, issue):
    make_issue(3, "更早的一期", achievements=[AchievementFactory(title="更早期的成果")])

    response = client.get(reverse("achievements:featured-atom"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    content = response.content.decode()
    assert content.count("<entry>") == 2
    assert "2026年11月好成果" in content and "更早的一期" in content and "更早期的成果" in content
    assert "<published>" in content


@pytest.mark.parametrize("route", ["achievements:featured-rss", "achievements:featured-atom"])
def test_feeds_drop_control_characters_xml_cannot_carry(client, route):
    make_issue(5, "控制\x0b字符", achievements=[AchievementFactory(title="耐压\x0c电池\x1f")])

    response = client.get(reverse(route))

    assert response.status_code == 200
    content = response.content.decode()
    assert "控制字符" in content and "耐压电池" in content
    assert not any(char in content for char in "\x0b\x0c\x1f")


def test_feed_queries_do_not_grow_with_issues(client, django_assert_num_queries):
    achievements = AchievementFactory.create_batch(3)
    make_issue(1, achievements=achievements)
    with django_assert_num_queries(2):
        client.get(reverse("achievements:featured-rss"))
    make_issue(2, achievements=achievements)
    make_issue(3, achievements=achievements[:1])
    with django_assert_num_queries(2):
        client.get(reverse("achievements:featured-rss"))
