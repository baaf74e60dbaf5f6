"""Pilot bases shown on other apps' pages."""

from django import template
from django.core.cache import cache

from pilots import selectors

register = template.Library()

# Suggestions are computed on request through matching: kept a while per achievement version.
SUGGESTIONS_SECONDS = 600


@register.inclusion_tag("pilots/includes/suggestions.html", takes_context=True)
def pilot_suggestions(context, achievement):
    """Filed bases fitting an achievement ready for a pilot (TRL 4–6), on its public page."""
    suggestions = []
    if achievement.is_public and achievement.trl in selectors.SUGGEST_TRL:
        key = f"pilots:suggestions:{achievement.pk}:{achievement.updated_at.timestamp()}"
        pks = cache.get(key)
        if pks is None:
            pks = [(s.base.pk, round(s.score * 100)) for s in selectors.suggestions_for_achievement(achievement)]
            cache.set(key, pks, SUGGESTIONS_SECONDS)
        bases = selectors.PilotBase.objects.filed().select_related("region").in_bulk([pk for pk, _ in pks])
        suggestions = [(bases[pk], score) for pk, score in pks if pk in bases]
    return {"achievement": achievement, "suggestions": suggestions, "request": context.get("request")}
