"""The events demo: every kind from the seed cities, past events held and reported (check-ins,
meetings, letters of intent and a deal), upcoming ones open (one full, with a waiting list), a
cancelled one, and a second run that adds nothing."""

import pytest
from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from achievements.demo import seed_achievements
from events import selectors
from events.demo import EVENTS, seed_events
from events.enums import EventKind, EventStatus, PresentationStatus, RegistrationStatus
from events.models import Event, LetterOfIntent, Meeting, Presentation, Registration
from marketplace.demo import seed_parties
from marketplace.management.commands.seed_demo import STEPS
from marketplace.models import SearchDocument

pytestmark = pytest.mark.django_db

MODELS = (Event, Registration, Presentation, Meeting, LetterOfIntent)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo parties, achievements and this step, seeded once for the module, in a
    transaction rolled back after the module's last test."""
    media = tmp_path_factory.mktemp("media")
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media / "private"}}
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=media,
            STORAGES={**settings.STORAGES, "default": storage},
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
        transaction.atomic(),
    ):
        seed_parties()
        seed_achievements()
        yield seed_events()
        transaction.set_rollback(True)


def test_runs_before_the_search_index():
    assert STEPS.index("events.demo.seed_events") < STEPS.index("marketplace.demo.seed_search")


def test_every_demo_event_and_every_kind(seeded):
    titles = set(Event.objects.values_list("title", flat=True))
    assert {spec.title for spec in EVENTS} <= titles
    assert {"国重面对面·新能源与储能专场", "“十校十所进千企”企业大走访·第三批"} <= titles
    assert any("校企牵手、卡位入链" in title for title in titles)
    assert set(Event.objects.values_list("kind", flat=True)) == set(EventKind.values)
    assert seeded and seeded[0].startswith("  events: ")


def test_past_events_held_and_reported_with_outcomes(seeded):
    now = timezone.now()
    reported = Event.objects.get(title="国重面对面·新能源与储能专场")
    assert reported.status == EventStatus.REPORTED and reported.ends_at < now and reported.report
    figures = selectors.report_figures(reported)
    assert figures.checked_in >= 3 and figures.meetings_accepted >= 1 and figures.intents >= 2
    assert figures.deals == 1 and figures.presentations >= 1
    assert Presentation.objects.filter(event=reported, status=PresentationStatus.SELECTED).exists()
    assert Event.objects.filter(status=EventStatus.HELD, ends_at__lt=now).exists()
    assert LetterOfIntent.objects.filter(deal__isnull=False, deal__origin="event").count() == 1


def test_upcoming_events_open_one_full_with_a_waiting_list_one_cancelled(seeded):
    now = timezone.now()
    upcoming = Event.objects.filter(starts_at__gt=now, status=EventStatus.PUBLISHED)
    assert upcoming.count() >= 3
    assert all(event.registration_open() for event in upcoming)
    full = Event.objects.get(title="2026 青岛科技成果发布会·海洋与生物医药")
    confirmed = full.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    assert confirmed == full.capacity == 3
    assert full.registrations.filter(status=RegistrationStatus.WAITLISTED).count() == 2
    assert Event.objects.filter(status=EventStatus.REGISTRATION_CLOSED, starts_at__gt=now).exists()
    cancelled = Event.objects.get(status=EventStatus.CANCELLED)
    assert cancelled.status_note and cancelled.starts_at > now
    roadshow = Event.objects.get(kind=EventKind.ROADSHOW)
    assert selectors.line_up(roadshow).count() >= 2


def test_public_events_are_indexed_but_not_the_cancelled_one(seeded):
    indexed = set(SearchDocument.objects.filter(kind="event").values_list("title", flat=True))
    assert "国重面对面·新能源与储能专场" in indexed
    assert Event.objects.get(status=EventStatus.CANCELLED).title not in indexed


def test_a_second_run_adds_nothing(seeded):
    counts = [model.objects.count() for model in MODELS]
    lines = seed_events()
    assert [model.objects.count() for model in MODELS] == counts
    assert lines == seeded
