"""A match's explanation in words (Chinese through gettext), for pages, the API and mail.

Stored explanations hold numbers and codes only (see scoring.Component.as_dict); the sentences are
made when shown, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.money import format_wan

LABELS = {
    "lexical": gettext_lazy("Keyword relevance"),
    "fields": gettext_lazy("Industry field"),
    "trl": gettext_lazy("Readiness (TRL)"),
    "price": gettext_lazy("Price and budget"),
    "region": gettext_lazy("Region"),
    "freshness": gettext_lazy("Freshness"),
}


@dataclass
class Reason:
    name: str
    label: str
    text: str
    weight: float
    fit: float
    points: float

    @property
    def points_percent(self) -> float:
        return round(self.points * 100, 1)

    @property
    def fit_percent(self) -> int:
        return round(self.fit * 100)

    @property
    def weight_percent(self) -> int:
        return round(self.weight * 100)


def shown_terms(terms: list[str]) -> list[str]:
    """The matched terms to show: a part of a longer one shown is left out (传感 in 传感器)."""
    return [t for t in terms if not any(t != other and t in other for other in terms)]


def _sentence(component: dict, field_names: dict[int, str]) -> str:
    name = component["name"]
    if name == "lexical":
        terms = shown_terms(component.get("terms") or [])
        return _("Shared keywords: %(terms)s") % {"terms": "、".join(terms[:8])} if terms else _("No shared keywords")
    if name == "fields":
        names = "、".join(field_names.get(pk, str(pk)) for pk in component.get("shared", []))
        if component.get("level") == "field":
            return _("Same industry field: %(names)s") % {"names": names}
        if component.get("level") == "parent":
            return _("Related industry field: %(names)s") % {"names": names}
        return _("Different industry fields")
    if name == "trl":
        values = {"trl": component["trl"], "wanted": component["wanted"]}
        if component["trl"] >= component["wanted"]:
            return _("The achievement is at TRL %(trl)s; the demand asks for TRL %(wanted)s or above") % values
        return _("The achievement is at TRL %(trl)s, below the TRL %(wanted)s the demand asks for") % values
    if name == "price":
        price = format_wan(component.get("price"))
        budget = component.get("budget_max")
        if budget is None:
            text = _("Asking price %(price)s 10k yuan; the budget starts at %(low)s 10k yuan") % {
                "price": price,
                "low": format_wan(component.get("budget_min")),
            }
        elif component["fit"] >= 1:
            text = _("Asking price %(price)s 10k yuan, within the budget of up to %(budget)s 10k yuan") % {
                "price": price,
                "budget": format_wan(budget),
            }
        else:
            text = _("Asking price %(price)s 10k yuan, above the budget of up to %(budget)s 10k yuan") % {
                "price": price,
                "budget": format_wan(budget),
            }
        if component.get("negotiable"):
            text += _(" (negotiable)")
        return text
    if name == "region":
        return {
            "city": _("In the same city"),
            "province": _("In the same province"),
        }.get(component.get("same"), _("In different provinces"))
    if name == "freshness":
        return _("Last confirmed by its owner %(days)s days ago") % {"days": component.get("days", 0)}
    return ""


def reasons(components: list[dict], field_names: dict[int, str] | None = None) -> list[Reason]:
    """Each component of a stored explanation as a labelled sentence with its share of the score."""
    field_names = field_names or {}
    return [
        Reason(
            name=component["name"],
            label=str(LABELS.get(component["name"], component["name"])),
            text=_sentence(component, field_names),
            weight=component["weight"],
            fit=component["fit"],
            points=component["points"],
        )
        for component in components
    ]


def field_names_for(matches) -> dict[int, str]:
    """Names of the industry fields the matches share, in one query."""
    from marketplace.models import IndustryField

    ids = {pk for match in matches for pk in (match.shared_field_ids or [])}
    return dict(IndustryField.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
