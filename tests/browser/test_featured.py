import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from achievements.enums import FeaturedIssueStatus, SubscriptionStatus
from achievements.models import FeaturedIssue, FeaturedItem, Subscription
from achievements.services_digest import unsubscribe_token
from marketplace.models import IndustryField, OutgoingMail
from tests.browser.conftest import screenshot
from tests.browser.test_achievements import _log_in
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import OrganizationFactory, UserFactory

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _published_issue() -> FeaturedIssue:
    university = OrganizationFactory(name="青岛海洋科技大学", kind="university")
    institute = OrganizationFactory(name="山东省海洋仪器研究所", kind="institute")
    membrane = AchievementFactory(
        organization=university, title="海水淡化反渗透膜抗污染改性技术", trl=7, asking_price=1_500_000
    )
    sensor = AchievementFactory(
        organization=institute, title="深海原位多参数水质传感器", trl=6, asking_price=None, price_negotiable=True
    )
    today = timezone.localdate()
    issue = FeaturedIssue.objects.create(
        number=12,
        title="2026年11月好成果：海洋装备专辑",
        period_start=today.replace(day=1),
        period_end=today,
        editor_note="本期聚焦海洋装备与海水利用，两项成果均已完成中试，欢迎企业洽谈。",
        status=FeaturedIssueStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    FeaturedItem.objects.create(issue=issue, achievement=membrane, position=1, note="通量衰减降低四成，已在青岛中试。")
    FeaturedItem.objects.create(issue=issue, achievement=sensor, position=2, note="可在 6000 米水深连续工作 90 天。")
    return issue


def test_visitor_subscribes_confirms_and_reads_an_issue(page):
    issue = _published_issue()

    # The archive links the issue and the subscription form.
    page.goto("/featured/")
    expect(page.locator("#issues")).to_contain_text("2026年11月好成果：海洋装备专辑")
    screenshot(page, "featured-archive")
    page.locator("#subscribe-link").click()
    page.locator("#id_email").fill("reader@example.cn")
    page.locator("input[name=frequency][value=monthly]").check()
    page.get_by_label("氢能").check()
    screenshot(page, "featured-subscribe")
    page.locator("#subscribe-form button[type=submit]").click()
    expect(page.locator("#subscribe-sent")).to_be_visible()
    subscription = Subscription.objects.get(email="reader@example.cn")
    assert subscription.status == SubscriptionStatus.PENDING and subscription.frequency == "monthly"

    # The confirmation link of the queued mail activates the subscription.
    body = OutgoingMail.objects.get(to="reader@example.cn").body_text
    path = re.search(r"https?://[^/\s]+(/featured/confirm/\S+/)", body).group(1)
    page.goto(path)
    page.locator("#subscription-confirm-form button[type=submit]").click()
    expect(page.locator("#subscription-confirmed")).to_contain_text("reader@example.cn")
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE

    # The issue page, its print page and the PDF.
    page.goto(issue.get_absolute_url())
    items = page.locator("#featured-items .featured-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("海水淡化反渗透膜抗污染改性技术")
    expect(items.first).to_contain_text("150 万元")
    expect(items.nth(1)).to_contain_text("面议")
    expect(page.locator("#editor-note")).to_contain_text("本期聚焦海洋装备")
    screenshot(page, "featured-issue")

    page.locator("#print-link").click()
    expect(page.locator("h1")).to_have_text("2026年11月好成果：海洋装备专辑")
    expect(page.locator(".item")).to_have_count(2)
    # The print stylesheet applies (a static file: the CSP allows no inline style).
    assert page.locator("body").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(255, 255, 255)"
    screenshot(page, "featured-print")
    page.emulate_media(media="print")
    expect(page.locator(".print-toolbar")).to_be_hidden()
    page.emulate_media(media="screen")

    pdf = page.request.get(f"/featured/{issue.number}.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")


def test_subscriber_changes_the_subscription_in_the_workspace_and_unsubscribes_by_link(page):
    user = UserFactory(username="reader", name="刘读者", email="liu@example.cn")
    subscription = Subscription.objects.create(
        email="liu@example.cn", frequency="weekly", status=SubscriptionStatus.ACTIVE, confirmed_at=timezone.now()
    )
    subscription.industry_fields.set([IndustryField.objects.get(code="hydrogen")])

    _log_in(page, "reader")
    page.goto("/workspace/favourites/")
    page.locator(".workspace-nav a[href='/workspace/subscriptions/']").click()
    card = page.locator(f"#subscription-{subscription.pk}")
    expect(card).to_contain_text("liu@example.cn")
    expect(card).to_contain_text("氢能")
    card.locator("summary").click()
    card.locator(f"input[name=s{subscription.pk}-frequency][value=monthly]").check()
    card.get_by_label("光伏").check()
    card.locator(".subscription-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"#subscription-{subscription.pk}")).to_contain_text("光伏")
    screenshot(page, "featured-subscriptions-workspace")
    subscription.refresh_from_db()
    assert subscription.frequency == "monthly" and subscription.user == user

    # The digest's link: a page asking first, then one click.
    page.goto(f"/featured/unsubscribe/{unsubscribe_token(subscription)}/")
    expect(page.locator("#unsubscribe-form")).to_contain_text("liu@example.cn")
    screenshot(page, "featured-unsubscribe")
    page.locator("#unsubscribe-form button[type=submit]").click()
    expect(page.locator("#unsubscribed")).to_be_visible()
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.UNSUBSCRIBED
