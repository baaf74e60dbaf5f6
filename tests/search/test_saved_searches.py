"""Saved searches announce each new match once; favourites mark public listings."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from achievements.models import Achievement
from achievements.services import achievement_update
from marketplace import search
from marketplace.enums import EmailFrequency
from marketplace.models import Favourite, Notification, SavedSearch, SavedSearchHit
from marketplace.services.saved_searches import (
    MAX_SAVED_SEARCHES,
    favourite_add,
    favourite_remove,
    saved_search_alerts_send,
    saved_search_create,
)
from marketplace.tasks import send_saved_search_alerts
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def watcher(db):
    return UserFactory(username="watcher", email="watcher@example.com", email_frequency=EmailFrequency.IMMEDIATE)


def _save(user, query="电池", **filters):
    return saved_search_create(user=user, name="电池新成果", query=query, filters=search.SearchFilters(**filters))


def _later(minutes=1):
    return timezone.now() + timedelta(minutes=minutes)


def test_a_new_match_is_announced_once_in_app_and_by_mail(watcher, django_capture_on_commit_callbacks):
    AchievementFactory(title="旧的电池成果", published_at=timezone.now() - timedelta(days=3))
    _save(watcher)
    new = AchievementFactory(title="固态电池电解质", published_at=_later())
    AchievementFactory(title="无关的农业成果", published_at=_later())

    with django_capture_on_commit_callbacks(execute=True):
        assert saved_search_alerts_send(now=_later(2)) == 1

    notification = Notification.objects.get(user=watcher)
    assert notification.title == "您保存的搜索“电池新成果”有 1 条新结果"
    assert "《固态电池电解质》" in notification.body
    assert notification.url == "/search/?q=%E7%94%B5%E6%B1%A0"
    assert list(SavedSearchHit.objects.values_list("document__object_id", flat=True)) == [new.pk]
    assert len(mail.outbox) == 1 and "电池新成果" in mail.outbox[0].subject + mail.outbox[0].body

    # Checking again, or after the listing is edited and re-indexed, announces nothing more.
    assert saved_search_alerts_send(now=_later(3)) == 0
    achievement_update(achievement=new, user=new.created_by or UserFactory(is_superuser=True), contact_name="李老师")
    assert saved_search_alerts_send(now=_later(4)) == 0
    assert Notification.objects.filter(user=watcher).count() == 1


def test_filters_apply_and_the_periodic_task_runs_them(watcher):
    _save(watcher, kind="demand")
    AchievementFactory(title="电池成果", published_at=_later())
    DemandFactory(title="电池需求", published_at=_later(), submitted_at=_later())

    assert send_saved_search_alerts.delay().get() == 1
    assert Notification.objects.get(user=watcher).body == "《电池需求》"


def test_hidden_listings_are_never_announced(watcher):
    _save(watcher)
    AchievementFactory(title="电池草稿", draft=True)
    DemandFactory(title="电池需求", anonymous=True, published_at=_later(), submitted_at=_later())

    saved_search_alerts_send(now=_later(2))

    notification = Notification.objects.get(user=watcher)
    assert notification.body == "《电池需求》"  # the anonymous demand is public; its enterprise is not named
    assert "电池草稿" not in notification.body


def test_inactive_users_are_skipped(watcher):
    _save(watcher)
    watcher.is_active = False
    watcher.save()
    AchievementFactory(title="电池", published_at=_later())

    assert saved_search_alerts_send(now=_later(2)) == 0


def test_saving_checks_the_query_and_the_limit(watcher):
    with pytest.raises(ValidationError) as empty:
        saved_search_create(user=watcher, name="空", query="", filters=search.SearchFilters())
    assert empty.value.message_dict == {"query": ["请填写搜索词或至少选择一个筛选条件后再保存。"]}
    with pytest.raises(ValidationError):
        saved_search_create(user=watcher, name="标点", query="！！", filters=search.SearchFilters())

    for n in range(MAX_SAVED_SEARCHES):
        SavedSearch.objects.create(user=watcher, name=f"s{n}", query="电池")
    with pytest.raises(ValidationError) as full:
        _save(watcher)
    assert full.value.message_dict == {"name": [f"最多可保存 {MAX_SAVED_SEARCHES} 个搜索，请先删除一个。"]}


def test_favourites_mark_public_listings_only(watcher):
    published = AchievementFactory(title="电池")
    draft = AchievementFactory(title="草稿", draft=True)

    favourite = favourite_add(user=watcher, kind="achievement", object_id=published.pk)
    assert favourite.title == "电池"
    assert favourite_add(user=watcher, kind="achievement", object_id=published.pk) == favourite  # once
    with pytest.raises(Exception) as hidden:
        favourite_add(user=watcher, kind="achievement", object_id=draft.pk)
    assert hidden.type.__name__ == "DoesNotExist"
    with pytest.raises(ValidationError):
        favourite_add(user=watcher, kind="nothing", object_id=published.pk)

    assert favourite_remove(user=watcher, kind="achievement", object_id=published.pk) == 1
    assert not Favourite.objects.exists()
    assert Achievement.objects.count() == 2


def test_the_alerts_run_from_the_beat_schedule(settings):
    from marketplace.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["marketplace.send_saved_search_alerts"]
    assert entry["task"] in app.tasks
    assert entry["schedule"].total_seconds() <= 3600
