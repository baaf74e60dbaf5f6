"""Pilot bases in matching: they take on achievements that are ready for a pilot (see
marketplace.matching). A base's processes are what it looks for in an achievement, as a demand's
words are, so it takes the side of a need; its lowest TRL served is the level it wants."""

from marketplace import matching
from pilots.models import PilotBase


class PilotBaseSide(matching.MatchSide):
    kind = "pilot_base"
    role = matching.NEED
    model = PilotBase

    def extras(self, pks, names=True):
        rows = PilotBase.objects.filter(pk__in=pks).values_list("pk", "operator__name")
        return {pk: {"ignored": [name] if names else []} for pk, name in rows}


def register() -> None:
    matching.register(PilotBaseSide())
