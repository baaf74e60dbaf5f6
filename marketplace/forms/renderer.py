from django.forms.renderers import TemplatesSetting


class MarketFormRenderer(TemplatesSetting):
    """Renders every form with the project's Bootstrap templates (templates/forms/)."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
