"""Demands in matching: they need (see marketplace.matching). What the matcher reads of a demand
is its public search document, so a confidential demand is matched on its title, summary and
keywords only, and no match names an anonymous enterprise."""

from demands.models import Demand
from marketplace import matching


class DemandSide(matching.MatchSide):
    kind = "demand"
    role = matching.NEED
    model = Demand

    def extras(self, pks, names=True):
        rows = Demand.objects.filter(pk__in=pks).values_list(
            "pk", "budget_min", "budget_max", "budget_negotiable", "confirmed_at", "organization__name"
        )
        return {
            pk: {
                "budget_min": low,
                "budget_max": high,
                "budget_negotiable": negotiable,
                "confirmed_at": confirmed,
                "ignored": [name],
            }
            for pk, low, high, negotiable, confirmed, name in rows
        }


def register() -> None:
    matching.register(DemandSide())
