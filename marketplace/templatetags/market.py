from django import template
from django.utils.safestring import mark_safe

from marketplace.money import format_wan
from marketplace.richtext import sanitize_rich_text

register = template.Library()


@register.filter
def rich_text(value: str) -> str:
    """Render stored formatted text, sanitised again on output (defence in depth)."""
    return mark_safe(sanitize_rich_text(value))  # noqa: S308 -- sanitised by nh3 just above


@register.filter
def wan(value) -> str:
    """An amount in 元 shown in 万元 (as the market speaks), up to two decimals: 1205000 → 120.5."""
    return format_wan(value)


@register.inclusion_tag("search/_favourite_button.html", takes_context=True)
def favourite_button(context, listing):
    """The ☆ button of a public listing for a logged-in user; nothing for others or unpublished rows."""
    from django.contrib.contenttypes.models import ContentType

    from marketplace import search
    from marketplace.models import Favourite, SearchDocument

    request = context.get("request")
    adapter = search.adapter_for(listing)
    user = getattr(request, "user", None)
    if adapter is None or user is None or not user.is_authenticated:
        return {"hidden": True}
    content_type = ContentType.objects.get_for_model(adapter.model)
    if not SearchDocument.objects.filter(content_type=content_type, object_id=listing.pk).exists():
        return {"hidden": True}
    marked = Favourite.objects.filter(user=user, content_type=content_type, object_id=listing.pk).exists()
    return {
        "kind": adapter.kind,
        "object_id": listing.pk,
        "marked": marked,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
