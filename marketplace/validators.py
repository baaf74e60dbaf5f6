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
# A bound on the work one upload may cost the parser: a page tree or object graph larger than
# this is refused rather than walked (real reports and scans stay far below).
MAX_PDF_PAGES = 2_000
MAX_PDF_OBJECTS = 200_000
# What a PDF may not carry: scripts, programs to launch, files inside the file, forms that
# post data, links that open other documents. They run in the reader's viewer, not in ours.
_PDF_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/AA", "/EmbeddedFile", "/EmbeddedFiles", "/EF", "/RichMedia", "/XFA"}
)
PDF_ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/RichMediaExecute", "/Rendition"}
)
# The same names as raw bytes (a "#xx" escape decoded first), for objects the parser never
# reaches but another reader might, e.g. behind a second trailer. Only names long enough that
# compressed data does not produce them by chance.
_PDF_ACTIVE_BYTES = re.compile(
    rb"/(JavaScript|Launch|EmbeddedFiles?|RichMedia|SubmitForm|ImportData)(?=[\s/<>\[\]()%]|$)"
)
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Markup a browser or a server-side interpreter would run if the file were ever handed to it
# as something else; an image never needs it.
_MARKUP = re.compile(rb"<\?php|<script|<html|<svg|<iframe|<!doctype|<body|javascript:", re.IGNORECASE)
_PADDING = b" \t\r\n\x00"


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
    that is not allowed, does not parse as what its first bytes claim, carries anything after
    its format's end (polyglots: a ZIP, HTML or PHP behind an image or a PDF), hides markup in
    an image, has more pixels or pages than the limits, or is a PDF with scripts, actions or
    embedded files.
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
        data = _read_all(uploaded, max_bytes)
        if _is_zip(data):
            raise ValueError("a ZIP archive hides in the file")
        if kind == "pdf":
            _check_pdf(data)
        else:
            _check_image(data, kind)
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


def _read_all(uploaded, max_bytes: int) -> bytes:
    # The size checked above is what the client declared for a stream; read no more than the limit.
    uploaded.seek(0)
    data = b"".join(uploaded.chunks()) if hasattr(uploaded, "chunks") else uploaded.read()
    if len(data) > max_bytes or len(data) != uploaded.size:
        raise ValueError("size differs from the declared size")
    return data


def _is_zip(data: bytes) -> bool:
    # ZIP readers (and Java, for GIFAR-style polyglots) look for the end-of-archive record
    # anywhere in the last 64 KiB, whatever comes first.
    import io
    import zipfile

    return zipfile.is_zipfile(io.BytesIO(data))


def _check_trailing(rest: bytes) -> None:
    if rest.strip(_PADDING):
        raise ValueError("data after the end of the file")


def _check_pdf(data: bytes) -> None:
    import io

    from pypdf import PdfReader

    end = data.rfind(b"%%EOF")
    if end < 0:
        raise ValueError("no %%EOF: truncated")
    _check_trailing(data[end + 5 :])
    decoded = _PDF_NAME_ESCAPE.sub(lambda match: bytes([int(match[1], 16)]), data)
    if _PDF_ACTIVE_BYTES.search(decoded):
        raise _pdf_active_content_error()
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValidationError(
            _("This PDF is password-protected; upload a copy without a password."), code="pdf_encrypted"
        )
    # A page tree that declares more pages than it has makes some readers allocate them all.
    declared = reader.trailer["/Root"]["/Pages"].get("/Count")
    declared = int(declared.get_object()) if declared is not None else 0
    count = max(len(reader.pages), declared)
    if count > MAX_PDF_PAGES:
        raise ValidationError(
            _("The PDF has %(count)s pages; at most %(limit)s are accepted."),
            code="pdf_pages",
            params={"count": count, "limit": MAX_PDF_PAGES},
        )
    if count < 1:
        raise ValueError("no pages")
    if len(reader.pages) != declared:
        raise ValueError("the page tree's count is wrong")
    if _pdf_has_active_content(reader):
        raise _pdf_active_content_error()


def _pdf_active_content_error() -> ValidationError:
    return ValidationError(
        _(
            "This PDF contains scripts, embedded files or automatic actions, which are not accepted."
            " Print it to a new PDF and upload that."
        ),
        code="pdf_active_content",
    )


def _pdf_has_active_content(reader) -> bool:
    """Walk every object reachable from the trailer (object streams included, names already
    unescaped by the parser) looking for scripts, actions and embedded files."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(obj, DictionaryObject):
            for name, value in dict.items(obj):  # raw values: references are followed once, above
                if name in _PDF_ACTIVE_KEYS:
                    return True
                if name == "/S" and value in PDF_ACTIVE_ACTIONS:
                    return True
                if name == "/Type" and value == "/EmbeddedFile":
                    return True
                if name != "/Parent":
                    stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))
    return False


def _check_image(data: bytes, kind: str) -> None:
    import io
    import warnings

    from PIL import Image

    if _MARKUP.search(data):
        raise ValueError("markup inside an image")
    width, height = {"png": _png_structure, "jpeg": _jpeg_structure, "webp": _webp_structure}[kind](data)
    _check_pixels(width, height)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as image:
            if image.format != _PIL_FORMATS[kind]:
                raise ValueError("format mismatch")
            _check_pixels(*image.size)
            image.verify()


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(
            _("The image is too large (%(width)s × %(height)s pixels)."),
            code="image_pixels",
            params={"width": width, "height": height},
        )


def _png_structure(data: bytes) -> tuple[int, int]:
    """Walk the chunks to IEND (CRCs checked); nothing may follow it. Returns the IHDR size."""
    import struct
    import zlib

    position, size = 8, None
    while True:
        length, chunk_type = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length
        if end > len(data):
            raise ValueError("truncated chunk")
        body = data[position + 8 : end - 4]
        if zlib.crc32(chunk_type + body) != struct.unpack(">I", data[end - 4 : end])[0]:
            raise ValueError("bad chunk CRC")
        if chunk_type == b"IHDR":
            size = struct.unpack(">II", body[:8])
        position = end
        if chunk_type == b"IEND":
            break
    if size is None:
        raise ValueError("no IHDR")
    _check_trailing(data[position:])
    return size


def _jpeg_structure(data: bytes) -> tuple[int, int]:
    """Walk the markers, and the entropy-coded data after each SOS, to EOI; nothing may follow
    it (an EXIF thumbnail's own EOI sits inside its APP1 segment and is skipped with it).
    Returns the frame header's size."""
    import struct

    position, length_of_data, size = 2, len(data), None
    while True:
        if data[position] != 0xFF:
            raise ValueError("marker expected")
        while data[position] == 0xFF:  # fill bytes
            position += 1
        marker = data[position]
        position += 1
        if marker == 0xD9:
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        (segment,) = struct.unpack(">H", data[position : position + 2])
        if segment < 2 or position + segment > length_of_data:
            raise ValueError("bad segment length")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[position + 3 : position + 7])
            size = (width, height)
        position += segment
        if marker == 0xDA:
            while True:
                position = data.index(b"\xff", position)
                following = data[position + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    position += 2
                elif following == 0xFF:
                    position += 1
                else:
                    break
    if size is None:
        raise ValueError("no frame header")
    _check_trailing(data[position:])
    return size


def _webp_structure(data: bytes) -> tuple[int, int]:
    """The RIFF container's declared length must be the file's; returns the canvas size."""
    import struct

    (riff_size,) = struct.unpack("<I", data[4:8])
    if riff_size + 8 > len(data) or riff_size < 12:
        raise ValueError("truncated RIFF")
    _check_trailing(data[riff_size + 8 + (riff_size & 1) :])
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
    elif chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        width, height = 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    elif chunk == b"VP8 ":
        width, height = (value & 0x3FFF for value in struct.unpack("<HH", data[26:30]))
    else:
        raise ValueError("unknown WebP chunk")
    return width, height


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
