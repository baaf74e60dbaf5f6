"""Events in the market's search (kind "event"): the public calendar's events that are still on
(published, registration closed, held, reported); drafts and cancelled events are left out."""

from django.utils.translation import gettext_lazy as _

from events.enums import EventKind, EventStatus
from events.models import Event
from marketplace import search


class EventSearch(search.SearchAdapter):
    kind = "event"
    model = Event
    label = _("Event")
    categories = dict(EventKind.choices)

    def queryset(self):
        return (
            Event.objects.public()
            .exclude(status=EventStatus.CANCELLED)
            .select_related("organizer")
            .prefetch_related("industry_fields", "co_organizers")
        )

    def document(self, event: Event) -> search.DocumentData:
        return search.DocumentData(
            title=event.title,
            body=[
                event.summary,
                event.agenda,
                event.description,
                event.venue,
                event.organizer.name,
                " ".join(o.name for o in event.co_organizers.all()),
            ],
            snippet=event.summary,
            url=event.get_absolute_url(),
            category=event.kind,
            region_code=event.region_id or "",
            organization_id=event.organizer_id,
            published_at=event.published_at,
            field_ids=search.field_ids_with_parents(event.industry_fields.all()),
        )


def register() -> None:
    search.register(EventSearch())
