"""RSS and Atom feeds of the published featured issues: one entry per issue, its description
listing the issue's achievements."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from achievements import rules as achievement_rules
from achievements.enums import FeaturedIssueStatus
from achievements.models import FeaturedIssue, FeaturedItem

FEED_LENGTH = 20
# Control characters XML 1.0 cannot carry (a title typed with one would break the whole feed).
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _XmlSafeItems:
    def add_item(self, title, link, description, **kwargs):
        return super().add_item(XML_INVALID.sub("", title), link, XML_INVALID.sub("", description or ""), **kwargs)


class XmlSafeRss(_XmlSafeItems, Rss201rev2Feed):
    pass


class XmlSafeAtom(_XmlSafeItems, Atom1Feed):
    pass


class FeaturedRssFeed(Feed):
    feed_type = XmlSafeRss
    description_template = "achievements/featured/feed_item.html"

    def title(self):
        return _("%(market)s · Featured achievements") % {"market": settings.MARKET_NAME}

    def link(self):
        return reverse("achievements:featured")

    def description(self):
        return _("Achievements chosen by the bureau, issue by issue.")

    def items(self):
        public_items = (
            FeaturedItem.objects.filter(achievement__status__in=achievement_rules.PUBLIC_STATUSES)
            .select_related("achievement__organization")
            .order_by("position", "id")
        )
        return (
            FeaturedIssue.objects.filter(status=FeaturedIssueStatus.PUBLISHED)
            .prefetch_related(Prefetch("items", queryset=public_items, to_attr="public_items"))
            .order_by("-published_at", "-number")[:FEED_LENGTH]
        )

    def item_title(self, item: FeaturedIssue) -> str:
        return _("Issue %(number)s · %(title)s") % {"number": item.number, "title": item.title}

    def item_link(self, item: FeaturedIssue) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: FeaturedIssue):
        return item.published_at

    def item_updateddate(self, item: FeaturedIssue):
        return item.published_at


class FeaturedAtomFeed(FeaturedRssFeed):
    feed_type = XmlSafeAtom

    def subtitle(self):
        return self.description()
