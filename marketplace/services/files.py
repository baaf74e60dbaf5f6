"""Uploads: checked by content, hashed, stored under a name the uploader did not choose."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction

from marketplace.enums import FileKind, FilePurpose
from marketplace.models import PrivateFile
from marketplace.validators import inspect_upload

DOCUMENT_KINDS = (FileKind.PDF, FileKind.PNG, FileKind.JPEG, FileKind.WEBP)


def _clean_name(name: str) -> str:
    # Keep only the final path component; strip control characters.
    base = PurePath(name.replace("\\", "/")).name
    return "".join(char for char in base if char.isprintable())[:200] or "file"


@transaction.atomic
def private_file_store(
    *,
    uploaded,
    uploaded_by,
    organization=None,
    parent=None,
    purpose: str = FilePurpose.ATTACHMENT,
    allowed_kinds=DOCUMENT_KINDS,
    max_bytes: int | None = None,
) -> PrivateFile:
    """Check an upload by content (raises ValidationError) and store it as a PrivateFile.

    The file name on disk is the row's UUID; the uploader's name is kept only as metadata.
    """
    kind = inspect_upload(uploaded, allowed_kinds=allowed_kinds, max_bytes=max_bytes or settings.PRIVATE_FILE_MAX_BYTES)
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    private_file = PrivateFile(
        id=uuid.uuid4(),
        original_name=_clean_name(uploaded.name or ""),
        kind=kind,
        size=uploaded.size,
        sha256=digest.hexdigest(),
        purpose=purpose,
        organization=organization,
        uploaded_by=uploaded_by,
    )
    if parent is not None:
        private_file.parent_type = ContentType.objects.get_for_model(type(parent))
        private_file.parent_id = parent.pk
    private_file.file.save("upload", ContentFile(uploaded.read()), save=False)
    try:
        private_file.save()
    except Exception:
        private_file.file.storage.delete(private_file.file.name)
        raise
    # Bytes whose row is rolled back by an outer transaction stay on disk unreferenced;
    # nothing serves a file without its row.
    return private_file


def private_file_clean_copy(private_file: PrivateFile) -> bytes:
    """The file's content without embedded metadata (PDF document info and XMP, image EXIF):
    what a blind reviewer downloads, so no author or institution travels inside the file."""
    import io

    with private_file.file.open("rb") as handle:
        data = handle.read()
    if private_file.kind == "pdf":
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter()
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
        writer.add_metadata({"/Producer": ""})
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        clean = Image.new(image.mode, image.size)
        clean.putdata(list(image.getdata()))
        out = io.BytesIO()
        clean.save(out, format=image.format)
        return out.getvalue()
