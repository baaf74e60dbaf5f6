"""Form plumbing shared by every app: Bootstrap classes and service errors on fields."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse

from marketplace.forms.renderer import MarketFormRenderer


class MarketFormMixin:
    """Renders with the project's Bootstrap templates, adds Bootstrap classes to widgets and
    maps service ValidationErrors onto the form. (The admin keeps Django's own renderer.)"""

    default_renderer = MarketFormRenderer
    # Set by a view (to its own URL) to check each field as it is filled in; see live_validation.
    live_validation_url = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput,)):
                css = "form-check-input"
            elif isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect, forms.MultiWidget)):
                css = ""
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_service_error(self, error: ValidationError) -> None:
        """Attach a ValidationError raised by a service: field errors to their fields when the
        form has them, everything else to the form as a whole.
        """
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                target = name if name in self.fields else None
                if name == NON_FIELD_ERRORS:
                    target = None
                for item in errors:
                    self.add_error(target, item)
        else:
            self.add_error(None, error)


class MarketForm(MarketFormMixin, forms.Form):
    pass


class MarketModelForm(MarketFormMixin, forms.ModelForm):
    pass


def live_validation(request, form) -> HttpResponse | None:
    """The re-rendered field group for an htmx field check (`_validate=<field>`), or None for
    an ordinary request. Validates the whole form but shows only that field's errors; saves
    nothing."""
    name = request.POST.get("_validate") if request.htmx else None
    if not name:
        return None
    if name not in form.fields:
        # Not a field check the page sends: answer nothing rather than process the POST in full
        # (abuse limits do not count field checks).
        return HttpResponse(status=204)
    form.is_valid()
    return HttpResponse(form[name].as_field_group())
