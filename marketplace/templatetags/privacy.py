"""Masking of people's contact details on public pages: `{% load privacy %}`.

`{{ phone|mask_phone }}` and `{{ email|mask_email }}` always mask; `{{ phone|phone_for:user }}` and
`{{ email|email_for:user }}` mask unless the viewer may see full contacts (marketplace.privacy)."""

from django import template

from marketplace import privacy

register = template.Library()


@register.filter
def mask_phone(value) -> str:
    return privacy.mask_phone(str(value or ""))


@register.filter
def mask_email(value) -> str:
    return privacy.mask_email(str(value or ""))


@register.filter
def phone_for(value, user) -> str:
    return privacy.phone_for(str(value or ""), user)


@register.filter
def email_for(value, user) -> str:
    return privacy.email_for(str(value or ""), user)


@register.filter
def may_see_contact(user) -> bool:
    return privacy.may_see_contact(user)
