"""Chinese patent and software-copyright numbers (one validator for models, forms, API)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from achievements.enums import IPRightKind

# Application numbers (申请号): since 2003 twelve digits — year (4), type (1), serial (7) — then
# a check character; before 2003 eight digits — year (2), type (1), serial (5). The check
# character is Σ(digit × weight) mod 11, with weights 2…9 repeated; 10 is written X.
_APPLICATION = re.compile(r"^(?:CN|ZL)?\s*(\d{8}|\d{12})\.?([0-9X])$")
# Publication / grant numbers (公开号 / 授权公告号): CN + 7–9 digits + kind code.
_PUBLICATION = re.compile(r"^CN\s*(\d{7,9})\s*([ABCUSY])\d?$")
# Software copyright registration numbers (软著登字第1234567号 or 2021SR0123456).
_SOFTWARE = re.compile(r"^(?:软著登字第\d{6,8}号|\d{4}SR\d{6,7})$")

# Patent type digit of an application number, by patent kind (8/9: PCT entering China).
_TYPE_DIGITS = {
    IPRightKind.INVENTION_PATENT: {"1", "8"},
    IPRightKind.UTILITY_MODEL: {"2", "9"},
    IPRightKind.DESIGN_PATENT: {"3"},
}
_KIND_CODES = {
    IPRightKind.INVENTION_PATENT: {"A", "B", "C"},
    IPRightKind.UTILITY_MODEL: {"U", "Y"},
    IPRightKind.DESIGN_PATENT: {"S"},
}


def patent_check_character(digits: str) -> str:
    weights = [2, 3, 4, 5, 6, 7, 8, 9] * 2
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_ip_number(value: str) -> str:
    return re.sub(r"\s+", "", (value or "").strip().upper())


def validate_ip_number(kind: str, number: str) -> str:
    """Validate the number of an IP right of `kind`; return it normalised.

    Patents take a CN application number (with its check character) or a publication/grant
    number whose kind code fits the patent type. Know-how and "other" have no number.
    """
    number = normalize_ip_number(number)
    if kind in IPRightKind.patent_kinds():
        if not number:
            raise ValidationError(_("Enter the patent's application or grant number."), code="patent_required")
        application = _APPLICATION.match(number)
        if application:
            digits, check = application.groups()
            type_digit = digits[4] if len(digits) == 12 else digits[2]
            if type_digit not in _TYPE_DIGITS[kind]:
                raise ValidationError(
                    _("The type digit of this application number does not match the patent type."),
                    code="patent_type",
                )
            if patent_check_character(digits) != check:
                raise ValidationError(
                    _("The check character of this patent application number is wrong (e.g. 201510123456.7)."),
                    code="patent_check",
                )
            return f"{digits}.{check}"
        publication = _PUBLICATION.match(number)
        if publication:
            if publication.group(2) not in _KIND_CODES[kind]:
                raise ValidationError(
                    _("The kind code of this publication number does not match the patent type."),
                    code="patent_kind_code",
                )
            return number
        raise ValidationError(
            _("Enter a CN application number such as 201510123456.7 or a grant number such as CN105123456B."),
            code="patent_format",
        )
    if kind == IPRightKind.SOFTWARE_COPYRIGHT:
        if number and not _SOFTWARE.match(number):
            raise ValidationError(
                _("Enter the registration number such as 2021SR0123456 or 软著登字第1234567号."), code="software_format"
            )
        return number
    return number
