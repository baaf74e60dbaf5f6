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


def to_yuan(wan: Decimal | None) -> Decimal | None:
    """万元 as entered on a form → 元 as stored, to the fen."""
    return None if wan is None else (wan * YUAN_PER_WAN).quantize(Decimal("0.01"))


def to_wan(value: Decimal | None) -> Decimal | None:
    """元 → 万元 without trailing zeros, and never in exponent form (200, not 2E+2)."""
    if value is None:
        return None
    wan = (value / YUAN_PER_WAN).normalize()
    return wan.quantize(Decimal(1)) if wan == wan.to_integral_value() else wan
