"""Achievements in matching: they offer (see marketplace.matching)."""

from achievements.models import Achievement, Completer
from marketplace import matching


class AchievementSide(matching.MatchSide):
    kind = "achievement"
    role = matching.OFFER
    model = Achievement

    def extras(self, pks):
        found = {
            pk: {"price": price, "price_negotiable": negotiable, "confirmed_at": confirmed, "ignored": [name]}
            for pk, price, negotiable, confirmed, name in Achievement.objects.filter(pk__in=pks).values_list(
                "pk", "asking_price", "price_negotiable", "confirmed_at", "organization__name"
            )
        }
        for pk, name, affiliation in Completer.objects.filter(achievement_id__in=pks).values_list(
            "achievement_id", "name", "affiliation"
        ):
            found[pk]["ignored"] += [name, affiliation]
        return found


def register() -> None:
    matching.register(AchievementSide())
