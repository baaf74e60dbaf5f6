"""Featured issues (candidates, composing, publishing) and the digest: subscriptions, planning,
sending, failures and the recovery of what dead workers left."""

import dataclasses
import email
import email.policy
import email.utils
import re
import smtplib
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from achievements.enums import DeliveryStatus, FeaturedIssueStatus, SubscriptionStatus
from achievements.models import DigestDelivery, FeaturedIssue, Inquiry, Subscription
from achievements.services_digest import (
    CONFIRM_SALT,
    LINK_MARK,
    SENDING_GROUP,
    DigestPeriod,
    RawDigest,
    _cached,
    _content_version,
    _fold_html,
    build_message,
    confirmation_target,
    confirmation_token,
    delivery_mark_sent,
    delivery_resend,
    digest_claim,
    digest_content,
    digest_plan,
    digest_send_all,
    digest_send_claimed,
    digest_sweep,
    subscription_confirm,
    subscription_request,
    subscription_unsubscribe,
    unsubscribe_target,
    unsubscribe_token,
)
from achievements.services_featured import issue_candidates, issue_create, issue_publish, issue_set_items
from marketplace.enums import StaffGroup
from marketplace.models import IndustryField, Match, OutgoingMail
from tests.digest.smtp_sink import SmtpSink
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 23)  # a Monday


def _at(day: date, hour: int = 10):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def editor():
    return UserFactory(username="editor", staff_groups=[StaffGroup.REVIEWER])


def _field(code):
    return IndustryField.objects.get(code=code)


def _active(email, *codes, frequency="weekly"):
    subscription = Subscription.objects.create(email=email, frequency=frequency, status=SubscriptionStatus.ACTIVE)
    subscription.industry_fields.set(IndustryField.objects.filter(code__in=codes))
    return subscription


# Candidates and issues ---------------------------------------------------------------------------


def test_candidates_are_ranked_by_evaluation_inquiries_matches_and_views():
    AchievementFactory(title="安静的成果", published_at=_at(DAY - timedelta(days=3)), view_count=1)
    asked = AchievementFactory(title="被咨询的成果", published_at=_at(DAY - timedelta(days=2)), view_count=10)
    buyer = OrganizationFactory()
    for number in range(5):
        Inquiry.objects.create(achievement=asked, organization=buyer, subject=f"问{number}")
    matched = AchievementFactory(title="被匹配的成果", published_at=_at(DAY - timedelta(days=4)))
    for _ in range(2):
        Match.objects.create(
            demand=DemandFactory(), achievement=matched, score=0.7, computed_at=timezone.now(), demand_rank=1
        )
    AchievementFactory(title="上个月的成果", published_at=_at(DAY - timedelta(days=40)))

    candidates = issue_candidates(period_start=DAY - timedelta(days=7), period_end=DAY)

    assert [c.achievement.title for c in candidates] == ["被咨询的成果", "被匹配的成果", "安静的成果"]
    assert candidates[0].inquiries == 5 and candidates[0].signals["inquiries"] == 1.0
    assert candidates[1].matches == 2 and candidates[1].signals["matches"] == pytest.approx(0.4)
    assert candidates[2].signals["views"] == pytest.approx(0.1)


def test_issue_create_numbers_issues_and_proposes_candidates(editor):
    AchievementFactory(title="本期成果", published_at=_at(DAY - timedelta(days=1)))
    first = issue_create(user=editor, period_start=DAY - timedelta(days=7), period_end=DAY)
    second = issue_create(user=editor, period_start=DAY, period_end=DAY + timedelta(days=7), title="青岛好成果 第2期")
    assert (first.number, second.number) == (1, 2)
    assert first.title == "好成果 第 1 期"
    assert [item.achievement.title for item in first.items.all()] == ["本期成果"]
    assert not second.items.exists()


def test_only_staff_compose_and_a_published_issue_is_frozen(editor):
    with pytest.raises(PermissionDenied):
        issue_create(user=UserFactory(), period_start=DAY, period_end=DAY)
    with pytest.raises(ValidationError):
        issue_create(user=editor, period_start=DAY, period_end=DAY - timedelta(days=1))
    issue = issue_create(user=editor, period_start=DAY - timedelta(days=7), period_end=DAY)
    with pytest.raises(ValidationError):
        issue_publish(issue=issue, user=editor)  # no items
    first, second = AchievementFactory(), AchievementFactory()
    draft = AchievementFactory(draft=True)
    with pytest.raises(ValidationError):
        issue_set_items(issue=issue, user=editor, items=[(draft.pk, "")])
    issue_set_items(issue=issue, user=editor, items=[(second.pk, "推荐"), (first.pk, "")])
    assert [(i.achievement, i.position, i.note) for i in issue.items.all()] == [(second, 1, "推荐"), (first, 2, "")]
    issue_publish(issue=issue, user=editor)
    issue.refresh_from_db()
    assert issue.status == FeaturedIssueStatus.PUBLISHED and issue.published_at is not None
    with pytest.raises(ValidationError):
        issue_set_items(issue=issue, user=editor, items=[(first.pk, "")])


# Subscriptions ---------------------------------------------------------------------------------


def test_subscribing_sends_a_confirmation_and_confirming_activates():
    subscription = subscription_request(
        email=" Zhang@Example.CN ", frequency="weekly", industry_fields=[_field("marine")]
    )
    assert (subscription.email, subscription.status) == ("zhang@example.cn", SubscriptionStatus.PENDING)
    confirmation = OutgoingMail.objects.get(to="zhang@example.cn", purpose="digest-confirm")
    # A token carries its signing time (to the second): check what the mailed one names.
    token = re.search(r"/featured/confirm/([^/\s]+)/", confirmation.body_text).group(1)
    assert confirmation_target(token) == subscription
    subscription_confirm(token=token)
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.confirmed_at is not None


def test_subscribing_again_updates_the_one_row():
    subscription_request(email="li@example.cn", frequency="weekly", industry_fields=[_field("marine")])
    subscription_request(email="LI@example.cn", frequency="monthly", industry_fields=[_field("hydrogen")])
    subscription = Subscription.objects.get()
    assert subscription.frequency == "monthly"
    assert [f.code for f in subscription.industry_fields.all()] == ["hydrogen"]


def test_bad_input_is_refused_with_a_message_and_changes_nothing():
    with pytest.raises(ValidationError) as caught:
        subscription_request(email="not-an-address", frequency="weekly")
    assert "email" in caught.value.message_dict
    with pytest.raises(ValidationError):
        subscription_request(email="ok@example.cn", frequency="daily")
    assert not Subscription.objects.exists()


def test_forged_and_expired_tokens_are_refused():
    subscription = subscription_request(email="wang@example.cn", frequency="weekly")
    with pytest.raises(ValidationError, match="链接无效"):
        subscription_confirm(token=confirmation_token(subscription) + "x")
    with pytest.raises(ValidationError, match="链接无效"):
        subscription_confirm(token=unsubscribe_token(subscription))  # the other purpose's token
    with mock.patch("django.core.signing.time.time", return_value=timezone.now().timestamp() - 8 * 86400):
        expired = signing.dumps({"s": subscription.pk, "e": subscription.email}, salt=CONFIRM_SALT, compress=True)
    with pytest.raises(ValidationError) as caught:
        subscription_confirm(token=expired)
    assert caught.value.code == "expired"
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PENDING


def test_unsubscribe_link_needs_no_login_and_drops_queued_deliveries():
    subscription = _active("chen@example.cn")
    digest_plan(frequency="weekly", day=DAY)
    subscription_unsubscribe(token=unsubscribe_token(subscription))
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.UNSUBSCRIBED
    assert not subscription.deliveries.exists()


# Planning and content -------------------------------------------------------------------------


def test_plan_is_once_per_subscription_and_period():
    for number in range(3):
        _active(f"s{number}@example.cn")
    _active("monthly@example.cn", frequency="monthly")
    Subscription.objects.create(email="pending@example.cn", frequency="weekly")

    period, queued = digest_plan(frequency="weekly", day=DAY)
    again, queued_again = digest_plan(frequency="weekly", day=DAY + timedelta(days=2))

    assert period.key == again.key == "weekly-2026-W48"
    assert queued == queued_again == 3
    assert DigestDelivery.objects.count() == 3


def test_periods_and_windows():
    weekly = DigestPeriod.of("weekly", DAY)
    assert (weekly.key, weekly.window_start, weekly.window_end) == ("weekly-2026-W48", date(2026, 11, 16), DAY)
    monthly = DigestPeriod.of("monthly", date(2026, 12, 1))
    assert (monthly.key, monthly.window_start) == ("monthly-2026-12", date(2026, 11, 1))


def _published_issue(editor, *achievements):
    issue = issue_create(user=editor, period_start=DAY - timedelta(days=7), period_end=DAY, propose=0)
    issue_set_items(issue=issue, user=editor, items=[(a.pk, f"编者按{a.pk}") for a in achievements])
    return issue_publish(issue=issue, user=editor)


def test_digest_holds_the_issue_and_new_achievements_in_the_subscribers_fields(editor):
    marine = AchievementFactory(
        title="海洋牧场监测浮标", fields=["marine-equipment"], published_at=_at(DAY - timedelta(days=20))
    )
    battery = AchievementFactory(
        title="固态电池电解质", fields=["new-energy-batteries"], published_at=_at(DAY - timedelta(days=20))
    )
    _published_issue(editor, marine, battery)
    AchievementFactory(title="新的海洋生物酶", fields=["marine-biology"], published_at=_at(DAY - timedelta(days=2)))
    AchievementFactory(title="新的氢能催化剂", fields=["hydrogen"], published_at=_at(DAY - timedelta(days=2)))
    AchievementFactory(title="太早的海洋成果", fields=["marine-biology"], published_at=_at(DAY - timedelta(days=30)))
    _active("sea@example.cn", "marine")  # a top-level field stands for its sub-fields
    _active("all@example.cn")

    digest_plan(frequency="weekly", day=DAY)
    assert digest_send_all(worker="test")["sent"] == 2

    by_address = {message.to[0]: message for message in mail.outbox}
    sea = by_address["sea@example.cn"]
    assert "海洋牧场监测浮标" in sea.body and "新的海洋生物酶" in sea.body
    assert "固态电池电解质" not in sea.body and "新的氢能催化剂" not in sea.body
    assert "太早的海洋成果" not in sea.body
    html = sea.alternatives[0][0]
    assert "海洋牧场监测浮标" in html and "style=" in html
    everything = by_address["all@example.cn"].body
    assert all(title in everything for title in ("海洋牧场监测浮标", "固态电池电解质", "新的氢能催化剂"))
    subscription = Subscription.objects.get(email="sea@example.cn")
    assert sea.extra_headers["Message-ID"] == f"<digest.weekly-2026-W48.{subscription.pk}@127.0.0.1>"
    link = re.fullmatch(
        r"<http://127\.0\.0\.1:8000/featured/unsubscribe/([^/]+)/>", sea.extra_headers["List-Unsubscribe"]
    )
    assert unsubscribe_target(link.group(1)) == subscription
    assert sea.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"/featured/unsubscribe/{link.group(1)}/" in sea.body


def test_a_second_run_of_the_period_sends_nothing_new():
    _active("once@example.cn")
    call_command("send_digests", "--frequency", "weekly", "--date", DAY.isoformat())
    call_command("send_digests", "--frequency", "weekly", "--date", (DAY + timedelta(days=1)).isoformat())
    assert [m.to for m in mail.outbox] == [["once@example.cn"]]
    assert DigestDelivery.objects.get().status == DeliveryStatus.SENT


# Claims, failures and recovery -----------------------------------------------------------------


def test_claims_are_taken_once():
    for number in range(5):
        _active(f"c{number}@example.cn")
    digest_plan(frequency="weekly", day=DAY)
    first = digest_claim(worker="a", batch_size=3)
    second = digest_claim(worker="b", batch_size=3)
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert digest_claim(worker="c") == []
    # A worker sends only its own claims.
    assert digest_send_claimed(ids=first, worker="b")["sent"] == 0


def test_sweep_requeues_dead_claims_and_marks_in_flight_ones_ambiguous():
    for number in range(3):
        _active(f"d{number}@example.cn")
    digest_plan(frequency="weekly", day=DAY)
    claimed = digest_claim(worker="dead", batch_size=3)
    DigestDelivery.objects.filter(pk=claimed[0]).update(status=DeliveryStatus.SENDING)

    assert digest_sweep(now=timezone.now() + timedelta(minutes=11)) == {"requeued": 2, "ambiguous": 1}
    assert digest_send_all(worker="alive")["sent"] == 2
    ambiguous = DigestDelivery.objects.get(status=DeliveryStatus.AMBIGUOUS)
    assert len(mail.outbox) == 2

    delivery_resend(delivery=ambiguous)
    assert digest_send_all(worker="alive")["sent"] == 1
    assert len(mail.outbox) == 3


def test_smtp_refusals_retry_with_backoff_then_fail(settings):
    _active("bounce@example.cn")
    digest_plan(frequency="weekly", day=DAY)
    refused = smtplib.SMTPDataError(451, b"try again later")
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=refused):
        assert digest_send_all(worker="w")["retry"] == 1
        delivery = DigestDelivery.objects.get()
        assert delivery.status == DeliveryStatus.QUEUED and delivery.next_attempt_at > timezone.now()
        assert "451" in delivery.last_error
        assert digest_send_all(worker="w")["sent"] == 0  # not due yet
        for _ in range(4):
            DigestDelivery.objects.update(next_attempt_at=None)
            digest_send_all(worker="w")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 5)
    delivery_resend(delivery=delivery)
    assert digest_send_all(worker="w")["sent"] == 1


def test_a_dropped_connection_leaves_the_message_ambiguous_not_resent():
    _active("drop@example.cn")
    digest_plan(frequency="weekly", day=DAY)
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=smtplib.SMTPServerDisconnected("lost"),
    ):
        assert digest_send_all(worker="w")["ambiguous"] == 1
    delivery = DigestDelivery.objects.get()
    assert delivery.status == DeliveryStatus.AMBIGUOUS
    assert digest_send_all(worker="w")["sent"] == 0
    delivery_mark_sent(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.message_id.startswith("<digest.weekly-")
    with pytest.raises(ValidationError):
        delivery_resend(delivery=delivery)


def test_a_subscription_joins_an_account_only_for_its_own_address():
    user = UserFactory(email="Me@Example.cn")
    mine = subscription_request(email="me@example.cn", frequency="weekly", user=user)
    theirs = subscription_request(email="someone.else@example.cn", frequency="weekly", user=user)
    assert (mine.user, theirs.user) == (user, None)


def test_a_row_that_cannot_be_built_fails_alone(editor):
    for number in range(3):
        _active(f"b{number}@example.cn")
    digest_plan(frequency="weekly", day=DAY)
    broken = DigestDelivery.objects.order_by("id").first()
    original = __import__("achievements.services_digest", fromlist=["build_message"]).build_message

    def build(delivery, content, connection=None):
        if delivery.pk == broken.pk:
            raise UnicodeEncodeError("idna", "x", 0, 1, "bad address")
        return original(delivery, content, connection)

    with mock.patch("achievements.services_digest.build_message", side_effect=build):
        assert digest_send_all(worker="w") == {"sent": 2, "retry": 0, "failed": 1, "ambiguous": 0, "skipped": 0}
    broken.refresh_from_db()
    assert broken.status == DeliveryStatus.FAILED and "bad address" in broken.last_error
    assert sorted(DigestDelivery.objects.values_list("status", flat=True)) == ["failed", "sent", "sent"]


def test_rendered_digests_follow_a_newly_published_achievement(editor):
    _active("fresh@example.cn")
    digest_plan(frequency="weekly", day=DAY)
    digest_send_all(worker="w")
    AchievementFactory(title="刚刚发布的成果", published_at=_at(DAY - timedelta(days=1)))
    _active("later@example.cn")
    digest_plan(frequency="weekly", day=DAY)
    digest_send_all(worker="w")
    assert "刚刚发布的成果" in mail.outbox[-1].body
    assert "刚刚发布的成果" not in mail.outbox[0].body


# Over SMTP: the digest serialised once per rendering ----------------------------------------------


def _smtp(settings, sink):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def _parsed(raw: bytes):
    """The message, its headers but Date and its parts, with the MIME boundary and the
    unsubscribe token (signed with a timestamp) blanked for comparing two messages."""
    message = email.message_from_bytes(raw, policy=email.policy.default)

    def blank(text):
        text = re.sub(r'boundary="[^"]+"', 'boundary="-"', text)
        return re.sub(r"/featured/unsubscribe/[^/]+/", "/featured/unsubscribe/-/", text)

    headers = sorted((name, blank(str(value)).strip()) for name, value in message.items() if name != "Date")
    parts = [(part.get_content_type(), blank(part.get_content())) for part in message.walk() if not part.is_multipart()]
    return message, headers, parts


def test_over_smtp_each_subscriber_gets_the_message_build_message_makes(editor, settings):
    marine = AchievementFactory(
        title="海洋牧场监测浮标", fields=["marine-equipment"], published_at=_at(DAY - timedelta(days=2))
    )
    _published_issue(editor, marine)
    subscriptions = [_active(f"raw{n}@example.cn", *(["marine"] if n % 2 else [])) for n in range(13)]
    _active("bounce@example.cn")
    digest_plan(frequency="weekly", day=DAY)
    with SmtpSink(keep=True, refuse={"bounce@example.cn"}) as sink:
        _smtp(settings, sink)
        counts = digest_send_all(worker="w")
    assert counts == {"sent": 13, "retry": 0, "failed": 1, "ambiguous": 0, "skipped": 0}
    assert sorted(r.recipients[0] for r in sink.received) == sorted(s.email for s in subscriptions)
    period = DigestPeriod.of("weekly", DAY)
    version = _content_version(period)
    for record in sink.received:
        delivery = DigestDelivery.objects.select_related("subscription").get(message_id=record.message_id)
        assert delivery.status == DeliveryStatus.SENT and delivery.email == record.recipients[0]
        fields = frozenset(delivery.subscription.industry_fields.values_list("pk", flat=True))
        built = build_message(delivery, _cached(period, fields, version)[0]).message().as_bytes(linesep="\r\n")
        message, headers, parts = _parsed(record.content)
        assert (headers, parts) == _parsed(built)[1:]
        assert message["To"] == delivery.email and "海洋牧场监测浮标" in parts[0][1]
        link = re.search(r"/featured/unsubscribe/([^/]+)/", message["List-Unsubscribe"]).group(1)
        assert unsubscribe_target(link) == delivery.subscription
        assert [part.get_content().count(link) for part in message.walk() if not part.is_multipart()] == [1, 1]
        dated = email.utils.parsedate_to_datetime(message["Date"])  # "-0000": UTC
        assert abs(dated.replace(tzinfo=dated.tzinfo or UTC) - timezone.now()) < timedelta(minutes=1)
    assert DigestDelivery.objects.get(email="bounce@example.cn").status == DeliveryStatus.FAILED


def test_a_digest_that_cannot_be_sent_as_it_is_is_built_per_message(editor, settings):
    """A line longer than SMTP allows makes the parts quoted-printable, where the link cannot be
    put in as it is; a non-ASCII address needs encoding: both go through build_message."""
    issue = _published_issue(editor, AchievementFactory(published_at=_at(DAY - timedelta(days=2))))
    FeaturedIssue.objects.filter(pk=issue.pk).update(editor_note="长" * 400)  # one line of 1,200 bytes
    _active("long@example.cn")
    content = digest_content("weekly-2026-W48", DAY - timedelta(days=7), DAY, frozenset())
    assert RawDigest.of(content) is None
    short = dataclasses.replace(content, text=f"短 {LINK_MARK}", html=f'<a href="{LINK_MARK}">短</a>')
    assert RawDigest.of(short) is not None
    digest_plan(frequency="weekly", day=DAY)
    with (
        SmtpSink(keep=True) as sink,
        mock.patch("achievements.services_digest.build_message", wraps=build_message) as built,
    ):
        _smtp(settings, sink)
        assert digest_send_all(worker="w")["sent"] == 1
    assert built.call_count == 1
    message = email.message_from_bytes(sink.received[0].content, policy=email.policy.default)
    link = re.search(r"/featured/unsubscribe/([^/]+)/", message["List-Unsubscribe"]).group(1)
    html = message.get_body(("html",))
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    assert "长" * 400 in html.get_content() and link in html.get_content()


def test_a_group_in_flight_is_ambiguous_after_a_crash_and_never_resent_on_a_guess(settings):
    """The rows of the group on the wire when a worker dies are `sending`; the sweep marks them
    ambiguous, the rest of the claim goes back to the queue."""
    for number in range(SENDING_GROUP + 5):
        _active(f"g{number}@example.cn")
    digest_plan(frequency="weekly", day=DAY)
    ids = digest_claim(worker="dying", batch_size=SENDING_GROUP + 5)
    calls = []

    def die(messages):
        calls.append(messages[0].to[0])
        if len(calls) == 3:
            raise KeyboardInterrupt  # the worker stops mid-group, as SIGKILL would leave it
        return 1

    with (
        mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=die),
        pytest.raises(KeyboardInterrupt),
    ):
        digest_send_claimed(ids=ids, worker="dying")
    statuses = sorted(DigestDelivery.objects.values_list("status", flat=True))
    assert statuses.count(DeliveryStatus.SENDING) == SENDING_GROUP
    assert statuses.count(DeliveryStatus.CLAIMED) == 5
    assert digest_sweep(now=timezone.now() + timedelta(minutes=11)) == {"requeued": 5, "ambiguous": SENDING_GROUP}
    assert digest_send_all(worker="alive")["sent"] == 5


def test_the_html_part_is_folded_into_few_lines_within_smtps_limit(editor):
    """Line breaks and indentation are whitespace to HTML: the template's 130-odd lines become a
    dozen of at most 900 bytes, with the same words, tags and spaces between them."""
    html = "<tr>\n  <td style='padding:8px'>\n    <a href='/a/1'>海洋牧场 监测浮标</a>\n  </td>\n</tr>\n" * 100
    folded = _fold_html(html)
    assert " ".join(folded.split()) == " ".join(html.split())
    assert all(len(line.encode()) <= 900 for line in folded.splitlines())
    assert len(folded.splitlines()) == 10 and len(html.splitlines()) == 500
    assert _fold_html("<p>" + "长" * 400 + "</p>\n") == "<p>" + "长" * 400 + "</p>\n"  # a long line stays whole

    _published_issue(editor, *(AchievementFactory(published_at=_at(DAY - timedelta(days=2))) for _ in range(10)))
    content = digest_content("weekly-2026-W48", DAY - timedelta(days=7), DAY, frozenset())
    assert len(content.html.splitlines()) < 20
    assert all(len(line.encode()) <= 900 for line in content.html.splitlines())
    assert RawDigest.of(content) is not None
    assert [len(line) < 120 for line in content.html.splitlines() if LINK_MARK in line] == [True]


def test_a_link_too_long_for_its_line_is_sent_in_a_message_built_for_it(settings):
    """Putting a link into the serialised bytes must not make a line longer than SMTP allows (the
    sink refuses those, as servers do): such a subscriber's message is built per message."""
    _active("very.long.address@example.cn")
    digest_plan(frequency="weekly", day=DAY)
    long_link = "http://127.0.0.1:8000/featured/unsubscribe/" + "x" * 950 + "/"
    with (
        SmtpSink(keep=True) as sink,
        mock.patch("achievements.services_digest.unsubscribe_url", return_value=long_link),
        mock.patch("achievements.services_digest.build_message", wraps=build_message) as built,
    ):
        _smtp(settings, sink)
        assert digest_send_all(worker="w")["sent"] == 1
    assert built.call_count == 1
    message = email.message_from_bytes(sink.received[0].content, policy=email.policy.default)
    assert long_link in message.get_body(("html",)).get_content()
