"""Form fields for the shared reference data: regions (cascading selects) and industry fields."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.choices import CallableChoiceIterator
from django.utils.translation import gettext_lazy as _

from marketplace.enums import RegionLevel
from marketplace.models import IndustryField, Region
from marketplace.selectors import industry_field_groups, region_children


class RegionSelectWidget(forms.Widget):
    """Province → city → district selects; the deepest choice is the value.

    The lower selects are refilled by static/js/market.js from the region-options view, so
    only the ~34 provinces and the chosen branch are ever rendered.
    """

    template_name = "forms/widgets/region_select.html"
    levels = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.DISTRICT)
    options_url = reverse_lazy("region-options")

    def value_from_datadict(self, data, files, name):
        chosen = [data.get(f"{name}_{level}", "") for level in self.levels]
        return next((code for code in reversed(chosen) if code), "")

    def value_omitted_from_data(self, data, files, name):
        return not any(f"{name}_{level}" in data for level in self.levels)

    def id_for_label(self, id_):
        return f"{id_}_{RegionLevel.PROVINCE}" if id_ else id_

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        code = value.pk if isinstance(value, Region) else (value or "")
        chain = [code[:2] + "0000", code[:4] + "00", code] if len(code) == 6 and code.isdigit() else []
        labels = {
            RegionLevel.PROVINCE: _("Province"),
            RegionLevel.CITY: _("City"),
            RegionLevel.DISTRICT: _("District or county"),
        }
        selects = []
        parent = None
        for index, level in enumerate(self.levels):
            options = list(region_children(parent)) if index == 0 or parent else []
            selected = next((c for c in chain[index:] if any(o.code == c for o in options)), "")
            selects.append(
                {
                    "name": f"{name}_{level}",
                    "id": f"{context['widget']['attrs'].get('id', 'id_' + name)}_{level}",
                    "label": labels[level],
                    "options": options,
                    "selected": selected,
                    "level": level,
                }
            )
            parent = selected or None
        context["widget"]["selects"] = selects
        context["widget"]["options_url"] = str(self.options_url)
        return context


class RegionField(forms.ModelChoiceField):
    widget = RegionSelectWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Region.objects.all())
        kwargs.setdefault("label", _("Region"))
        kwargs.setdefault("error_messages", {"invalid_choice": _("Unknown administrative division.")})
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not (isinstance(value, str) and len(value) == 6 and value.isdigit()):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IndustryFieldsField(forms.ModelMultipleChoiceField):
    """Industry fields as checkboxes grouped under their top-level field."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", IndustryField.objects.filter(is_active=True))
        kwargs.setdefault("label", _("Industry fields"))
        super().__init__(**kwargs)

    @staticmethod
    def _grouped_choices():
        return [
            (root.name, [(root.pk, _("%(name)s (general)") % {"name": root.name})] + [(c.pk, c.name) for c in children])
            for root, children in industry_field_groups()
        ]

    def _get_choices(self):
        # Lazy: evaluated when the widget renders, never when the form class is defined.
        return CallableChoiceIterator(self._grouped_choices)

    choices = property(_get_choices, forms.ChoiceField.choices.fset)


class IndustryFieldField(forms.ModelChoiceField):
    """One industry field, as a select grouped under the top-level fields."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", IndustryField.objects.filter(is_active=True))
        kwargs.setdefault("label", _("Industry field"))
        super().__init__(**kwargs)

    def _grouped_choices(self):
        return [("", self.empty_label or ""), *IndustryFieldsField._grouped_choices()]

    def _get_choices(self):
        return CallableChoiceIterator(self._grouped_choices)

    choices = property(_get_choices, forms.ChoiceField.choices.fset)


def wan_field(label, *, required=True, min_value=Decimal("0.01"), help_text=""):
    """An amount entered in 万元 (two decimals); convert with marketplace.money.to_yuan."""
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=min_value,
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
