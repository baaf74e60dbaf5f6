"""Events as iCalendar (RFC 5545): the .ics file of a confirmation e-mail and the calendar feed."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from icalendar import Calendar
from icalendar import Event as CalendarEvent

PRODID = "-//Regional Technology Market//Events//ZH"


def calendar_for(events: Iterable, *, name: str = "", with_link: bool = False) -> Calendar:
    """`with_link`: include the online link (only for a confirmed registrant's own .ics)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "localhost"
    for event in events:
        item = CalendarEvent()
        item.add("uid", f"event-{event.pk}@{host}")
        item.add("summary", event.title)
        item.add("dtstart", event.starts_at)
        item.add("dtend", event.ends_at)
        item.add("dtstamp", event.updated_at)
        item.add("last-modified", event.updated_at)
        link = event.online_url if with_link else ""
        item.add("location", event.venue or link)
        item.add("url", settings.SITE_URL + event.get_absolute_url())
        item.add("description", "\n".join(part for part in (event.summary, event.agenda, link) if part))
        item.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
        calendar.add_component(item)
    return calendar
