"""Achievements in matching: they offer (see marketplace.matching)."""

from achievements.models import Achievement, Completer
from marketplace import matching


class AchievementSide(matching.MatchSide):
    kind = "achievement"
    role = matching.OFFER
    model = Achievement

    def extras(self, pks, names=True):
        columns = ["pk", "asking_price", "price_negotiable", "confirmed_at"]
        rows = Achievement.objects.filter(pk__in=pks).values_list(*columns, *(["organization__name"] if names else []))
        found = {
            row[0]: {"price": row[1], "price_negotiable": row[2], "confirmed_at": row[3], "ignored": list(row[4:])}
            for row in rows
        }
        if names:
            for pk, name, affiliation in Completer.objects.filter(achievement_id__in=pks).values_list(
                "achievement_id", "name", "affiliation"
            ):
                found[pk]["ignored"] += [name, affiliation]
        return found


def register() -> None:
    matching.register(AchievementSide())
