"""Real and hostile file contents for upload tests."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_bytes(size=(20, 10)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 74, 139)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf_upload(name: str = "营业执照.pdf") -> SimpleUploadedFile:
    return upload(name, pdf_bytes())


def forged_pdf_upload(name: str = "licence.pdf") -> SimpleUploadedFile:
    # A Windows executable renamed to .pdf, with a PDF content type.
    return upload(name, b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)
