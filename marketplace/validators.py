"""Validators shared by model clean(), forms and serializers."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the 18th is a check
# character computed from the first 17 with these weights, modulo 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(rf"^[{USCC_ALPHABET}]{{18}}$")


def uscc_check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a credit code."""
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    return (value or "").strip().upper()


@deconstructible
class USCCValidator:
    """Unified social credit code (统一社会信用代码) with its check character."""

    def __call__(self, value: str) -> None:
        code = normalize_uscc(value)
        if not _USCC_SHAPE.match(code):
            raise ValidationError(
                _(
                    "A unified social credit code has 18 characters: digits and capital letters other than I, O, S, V and Z."
                ),
                code="uscc_format",
            )
        if not code[2:8].isdigit():
            raise ValidationError(
                _("Characters 3–8 of a unified social credit code are the registering region's code."),
                code="uscc_region",
            )
        if uscc_check_character(code[:17]) != code[17]:
            raise ValidationError(
                _("The check character of this unified social credit code is wrong; please check the code."),
                code="uscc_check",
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, USCCValidator)


validate_uscc = USCCValidator()

validate_region_code = RegexValidator(
    r"^\d{6}$", _("An administrative division code has 6 digits (GB/T 2260)."), code="region_code"
)

validate_mobile_phone = RegexValidator(
    r"^(\+?86[- ]?)?1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$",
    _("Enter a mainland mobile number (11 digits) or a landline with area code."),
    code="phone",
)


# Magic numbers of the formats accepted for upload. The name and the browser-declared type
# are never trusted; the content decides.
_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
)
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}
# Large enough for a scanned business licence, small enough to refuse decompression bombs.
MAX_IMAGE_PIXELS = 40_000_000


def sniff_kind(head: bytes) -> str | None:
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def inspect_upload(uploaded, *, allowed_kinds, max_bytes: int) -> str:
    """Check an uploaded file by its content and return its kind ("pdf", "png", …).

    Raises ValidationError (Chinese message) when the file is empty, too large, of a kind
    that is not allowed, or does not parse as what its first bytes claim.
    """
    from django.template.defaultfilters import filesizeformat

    size = uploaded.size
    if not size:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s."),
            code="too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
        )
    uploaded.seek(0)
    kind = sniff_kind(uploaded.read(16))
    uploaded.seek(0)
    allowed_names = "、".join(kind.upper() for kind in allowed_kinds)
    if kind not in allowed_kinds:
        raise ValidationError(
            _("Only %(kinds)s files are accepted, judged by their content; this file is not one."),
            code="file_kind",
            params={"kinds": allowed_names},
        )
    try:
        if kind == "pdf":
            _check_pdf(uploaded)
        else:
            _check_image(uploaded, kind)
    except ValidationError:
        raise
    except Exception as exc:  # any parser failure means the file is not what it claims
        raise ValidationError(
            _("The file is damaged or is not a real %(kind)s file."),
            code="file_corrupt",
            params={"kind": kind.upper()},
        ) from exc
    finally:
        uploaded.seek(0)
    return kind


def _check_pdf(uploaded) -> None:
    from pypdf import PdfReader

    reader = PdfReader(uploaded, strict=False)
    if len(reader.pages) < 1:
        raise ValueError("no pages")


def _check_image(uploaded, kind: str) -> None:
    from PIL import Image

    with Image.open(uploaded) as image:
        if image.format != _PIL_FORMATS[kind]:
            raise ValueError("format mismatch")
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise ValidationError(
                _("The image is too large (%(width)s × %(height)s pixels)."),
                code="image_pixels",
                params={"width": width, "height": height},
            )
        image.verify()


class MinimumLengthValidator:
    """Django's minimum-length password check with a message our catalog translates (Django
    5.2's own message changed its placeholder and lost its Chinese translation)."""

    def __init__(self, min_length: int = 10):
        from django.contrib.auth.password_validation import MinimumLengthValidator as DjangoValidator

        self._django = DjangoValidator(min_length)
        self.min_length = min_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                self.get_error_message(), code="password_too_short", params={"min_length": self.min_length}
            )

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: it needs at least %(min_length)d character.",
            "This password is too short: it needs at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return self._django.get_help_text()


def clean_keywords(keywords) -> list[str]:
    """Keywords from a list or a string separated by any Chinese or Latin separator: trimmed,
    at most 30 characters each, without duplicates, at most 20."""
    if isinstance(keywords, str):
        keywords = keywords.replace("，", ",").replace("；", ",").replace(";", ",").replace("、", ",").split(",")
    seen: dict[str, None] = {}
    for keyword in keywords:
        keyword = keyword.strip()[:30]
        if keyword:
            seen.setdefault(keyword, None)
    return list(seen)[:20]
