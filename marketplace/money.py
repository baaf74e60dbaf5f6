"""Money: stored in 元 as Decimal; the market reads and writes prices and budgets in 万元."""

from decimal import Decimal

YUAN_PER_WAN = Decimal(10000)


def format_wan(value) -> str:
    """An amount in 元 as 万元 with at most two decimals and thousands separators:
    1205000 → "120.5", 123456789 → "12,345.68". Empty for None."""
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.template.defaultfilters import floatformat

    if value in (None, ""):
        return ""
    return intcomma(floatformat(Decimal(value) / YUAN_PER_WAN, "-2"))
