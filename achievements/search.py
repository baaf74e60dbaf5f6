"""Achievements in the market's search (kind "achievement"): published and transferred ones."""

from django.db.models import Prefetch
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from achievements.enums import Category
from achievements.models import Achievement, Completer
from marketplace import search


class AchievementSearch(search.SearchAdapter):
    kind = "achievement"
    model = Achievement
    label = _("Achievement")
    categories = dict(Category.choices)

    def queryset(self):
        return (
            Achievement.objects.public()
            .select_related("organization")
            .prefetch_related("industry_fields", Prefetch("completers", queryset=Completer.objects.order_by("rank")))
        )

    def document(self, achievement: Achievement) -> search.DocumentData:
        return search.DocumentData(
            title=achievement.title,
            body=[
                achievement.summary,
                " ".join(achievement.keywords or []),
                strip_tags(achievement.description),
                achievement.innovation_points,
                achievement.technical_indicators,
                achievement.application_scenarios,
                achievement.organization.name,
                " ".join(f"{c.name} {c.affiliation}" for c in achievement.completers.all()),
            ],
            snippet=achievement.summary,
            url=achievement.get_absolute_url(),
            category=achievement.category,
            trl=achievement.trl,
            region_code=achievement.organization.region_id or "",
            organization_id=achievement.organization_id,
            published_at=achievement.published_at,
            field_ids=search.field_ids_with_parents(achievement.industry_fields.all()),
        )


def register() -> None:
    search.register(AchievementSearch())
