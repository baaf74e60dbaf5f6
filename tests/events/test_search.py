"""Events in the market's search (kind "event"): published events are found by the words of
their summary and agenda; drafts and cancelled events are not."""

import pytest

from events import services
from events.enums import EventStatus
from marketplace import search
from marketplace.models import SearchDocument
from tests.factories.events import EventFactory

pytestmark = pytest.mark.django_db


def found(text: str) -> list[str]:
    return [hit.document.title for hit in search.search(text, search.SearchFilters(kind="event")).hits]


def test_a_published_event_is_found_by_its_summary_and_agenda(agency, organizer):
    draft = EventFactory(
        organizer=agency,
        title="国重面对面·固态电池专场",
        summary="全国重点实验室固态电解质成果发布",
        agenda="14:00 开幕致辞\n14:30 硫化物电解质中试路演",
        status=EventStatus.DRAFT,
        published_at=None,
    )
    search.update(draft)
    assert found("固态电解质") == []  # a draft is not in the index

    services.event_publish(event=draft, user=organizer)  # the lifecycle indexes it

    assert found("固态电解质") == ["国重面对面·固态电池专场"]
    assert found("硫化物") == ["国重面对面·固态电池专场"]
    document = SearchDocument.objects.get(kind="event", object_id=draft.pk)
    assert document.url == draft.get_absolute_url() and document.category == "matchmaking"


def test_a_cancelled_event_leaves_the_index(event, organizer):
    event.summary = "海水淡化膜材料成果对接"
    services.event_update(event=event, user=organizer, summary="海水淡化膜材料成果对接")
    assert found("海水淡化") == ["国重面对面·新能源专场"]

    services.event_cancel(event=event, user=organizer, reason="场地调整")

    assert found("海水淡化") == []
    assert not SearchDocument.objects.filter(kind="event", object_id=event.pk).exists()


def test_the_adapter_covers_public_events_only(agency):
    published = EventFactory(organizer=agency)
    EventFactory(organizer=agency, status=EventStatus.DRAFT, published_at=None)
    EventFactory(organizer=agency, status=EventStatus.CANCELLED)
    held = EventFactory(organizer=agency, status=EventStatus.HELD)

    adapter = search.adapters()["event"]

    assert set(adapter.queryset().values_list("pk", flat=True)) == {published.pk, held.pk}
