"""Uploads: checked by content, hashed, stored under a name the uploader did not choose."""

from __future__ import annotations

import hashlib
import re
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


# The extensions a download may carry for each kind; the first is added when the name has none.
EXTENSIONS = {
    FileKind.PDF: (".pdf",),
    FileKind.PNG: (".png",),
    FileKind.JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    FileKind.WEBP: (".webp",),
}
_FOREIGN_EXTENSION = re.compile(r"[A-Za-z][A-Za-z0-9]{0,9}")
NAME_MAX_LENGTH = 200


def clean_file_name(name: str, kind: str) -> str:
    """The name a download carries: the final path component only, without control, format or
    bidirectional characters (U+202E would show "gpj.exe" as "exe.jpg"), without leading dots,
    at most 200 characters, and ending in the extension of the kind the content was judged to
    be (an extension that disagrees, as in "a.pdf.exe", is replaced)."""
    base = PurePath(name.replace("\\", "/").replace("\x00", "")).name
    base = "".join(char for char in base if char.isprintable()).strip(" .")
    extensions = EXTENSIONS[kind]
    stem, dot, suffix = base.rpartition(".")
    if dot and stem and f".{suffix.lower()}" not in extensions and _FOREIGN_EXTENSION.fullmatch(suffix):
        base = stem.rstrip(" .")
    extension = next((ext for ext in extensions if base.lower().endswith(ext)), None)
    if extension is None or len(base) == len(extension):
        extension = extensions[0]
        base = f"{base or 'file'}{extension}"
    stem = base[: len(base) - len(extension)]
    return stem[: NAME_MAX_LENGTH - len(extension)] + base[len(stem) :]


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
        original_name=clean_file_name(uploaded.name or "", kind),
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
    what a blind reviewer downloads, so no author or institution travels inside the file.

    Only the pages of a PDF are copied, so document-level scripts, open actions and embedded
    files stay behind; page and annotation actions are removed too. Uploads with any of them
    are refused (marketplace.validators); this covers files stored before that check."""
    import io

    with private_file.file.open("rb") as handle:
        data = handle.read()
    if private_file.kind == "pdf":
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter()
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
        for page in writer.pages:
            _strip_pdf_actions(page)
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
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


# Annotations that carry or play content rather than mark up the page.
_ACTIVE_ANNOTATIONS = frozenset({"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"})


def _strip_pdf_actions(page) -> None:
    from pypdf.generic import ArrayObject, NameObject

    from marketplace.validators import PDF_ACTIVE_ACTIONS

    page.pop(NameObject("/AA"), None)
    annotations = page.get("/Annots")
    if annotations is None:
        return
    kept = ArrayObject()
    for reference in annotations.get_object():
        annotation = reference.get_object()
        if annotation.get("/Subtype") in _ACTIVE_ANNOTATIONS:
            continue
        annotation.pop(NameObject("/AA"), None)
        action = annotation.get("/A")
        if action is not None and action.get_object().get("/S") in PDF_ACTIVE_ACTIONS:
            annotation.pop(NameObject("/A"))
        kept.append(reference)
    page[NameObject("/Annots")] = kept
