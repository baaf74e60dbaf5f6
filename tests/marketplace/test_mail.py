from datetime import date, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from marketplace.enums import MailStatus
from marketplace.models import Notification, OutgoingMail
from marketplace.services.mail import mail_queue, mail_requeue_stale, mail_retry, mail_send
from marketplace.services.notifications import (
    notification_digests_send,
    notification_mark_read,
    notifications_mark_all_read,
    notify,
)
from tests.factories.marketplace import UserFactory

pytestmark = pytest.mark.django_db


def _queue(user, period="1"):
    return mail_queue(
        to=user.email,
        user=user,
        purpose="test",
        period=period,
        template="mail/notification",
        context={"user": user, "notification": Notification(title="成果已发布", url="/x/")},
    )


def test_mail_queue_sends_after_commit_exactly_once(django_capture_on_commit_callbacks):
    user = UserFactory(name="王五")

    with django_capture_on_commit_callbacks(execute=True):
        first = _queue(user)
        second = _queue(user)

    assert first.pk == second.pk
    assert OutgoingMail.objects.count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "【科技大市场】成果已发布"
    assert "王五，您好：" in message.body
    assert "http://127.0.0.1:8000/x/" in message.body
    assert OutgoingMail.objects.get().status == MailStatus.SENT


def test_mail_send_twice_sends_once():
    user = UserFactory()
    queued = _queue(user)

    mail_send(mail_id=queued.pk)
    mail_send(mail_id=queued.pk)

    assert len(mail.outbox) == 1


def test_mail_send_counts_failures_then_marks_failed(settings):
    settings.MAIL_MAX_ATTEMPTS = 2
    queued = _queue(UserFactory())

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError("smtp down")):
        assert mail_send(mail_id=queued.pk).status == MailStatus.QUEUED
        failed = mail_send(mail_id=queued.pk)

    assert (failed.status, failed.attempts) == (MailStatus.FAILED, 2)
    assert failed.last_error == "ConnectionRefusedError: smtp down"

    retried = mail_retry(mail=failed)
    assert (retried.status, retried.attempts) == (MailStatus.QUEUED, 0)


def test_the_send_task_backs_off_exponentially_in_a_worker():
    from celery.exceptions import Retry

    from marketplace.tasks import send_queued_mail

    queued = _queue(UserFactory())
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("timeout")),
        mock.patch.object(send_queued_mail, "retry", side_effect=Retry) as retry,
        pytest.raises(Retry),
    ):
        send_queued_mail.run(queued.pk)

    retry.assert_called_once_with(countdown=60)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (MailStatus.QUEUED, 1)


def test_the_send_task_run_eagerly_leaves_a_failed_mail_queued():
    from marketplace.tasks import send_queued_mail

    queued = _queue(UserFactory())
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("timeout")):
        result = send_queued_mail.apply(args=[queued.pk])

    assert result.get() == MailStatus.QUEUED
    send_queued_mail.apply(args=[queued.pk])
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, len(mail.outbox)) == (MailStatus.SENT, 2, 1)


def test_requeue_stale_finds_mail_left_queued(django_capture_on_commit_callbacks):
    queued = _queue(UserFactory())
    OutgoingMail.objects.filter(pk=queued.pk).update(created_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert mail_requeue_stale() == 1

    queued.refresh_from_db()
    assert queued.status == MailStatus.SENT


def test_notify_mails_immediate_users_and_holds_daily_ones(django_capture_on_commit_callbacks):
    immediate = UserFactory(email_frequency="immediate")
    daily = UserFactory(email_frequency="daily")
    never = UserFactory(email_frequency="never")

    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[immediate, daily, never, immediate], kind="test", title="新的对接需求", url="/d/1/")

    assert Notification.objects.count() == 3
    assert [m.to for m in mail.outbox] == [[immediate.email]]
    assert Notification.objects.get(user=immediate).emailed_at is not None
    assert Notification.objects.get(user=daily).emailed_at is None


def test_daily_digest_is_sent_once_per_user_and_day(django_capture_on_commit_callbacks):
    daily = UserFactory(email_frequency="daily", name="赵六")
    notify(users=[daily], kind="test", title="第一条")
    notify(users=[daily], kind="test", title="第二条")

    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digests_send(day=date(2026, 11, 24)) == 1
        assert notification_digests_send(day=date(2026, 11, 24)) == 0

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "【科技大市场】2026-11-24 共 2 条通知"
    assert "第一条" in mail.outbox[0].body and "第二条" in mail.outbox[0].body


def test_mark_read_and_mark_all_read():
    user = UserFactory()
    first, _second = notify(users=[user], kind="a", title="一"), notify(users=[user], kind="b", title="二")

    notification_mark_read(notification=first[0])
    assert Notification.objects.filter(user=user, read_at__isnull=True).count() == 1
    assert notifications_mark_all_read(user=user) == 1
