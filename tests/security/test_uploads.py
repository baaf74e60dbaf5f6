"""Hostile uploads (issue 16, item 4): every one refused with a Chinese message and nothing
stored, through the service, the achievement attachment form, the organization's licence form
and the API; accepted files served as attachments with `nosniff`, typed by their content."""

from __future__ import annotations

import html
import io
import os
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from achievements.enums import Status
from marketplace.enums import FileKind, VerificationStatus
from marketplace.models import PrivateFile
from marketplace.services import deals as deal_services
from marketplace.services.files import private_file_clean_copy, private_file_store
from marketplace.validators import sniff_kind
from tests.factories.achievements import AchievementFactory
from tests.factories.deals import DealFactory
from tests.factories.marketplace import MembershipFactory
from tests.security import hostile_files as hf

pytestmark = pytest.mark.django_db

HOSTILE = hf.hostile_files()
ATTACHMENT_UPLOADED = "附件已上传"


def stored_paths(settings) -> set[str]:
    """Every file under MEDIA_ROOT, relative to it."""
    root = settings.MEDIA_ROOT
    return {
        os.path.relpath(os.path.join(folder, name), root) for folder, _dirs, names in os.walk(root) for name in names
    }


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def draft(organization):
    return AchievementFactory(organization=organization, status=Status.DRAFT)


@pytest.fixture
def unverified(organization):
    organization.verification_status = VerificationStatus.UNVERIFIED
    organization.save()
    return organization


def test_the_catalogue_holds_at_least_twenty_distinct_hostile_files():
    assert len(HOSTILE) >= 20
    assert len({item.key for item in HOSTILE}) == len(HOSTILE)
    # A few share their bytes and differ in name and declared type (an executable as .pdf, .png, .pdf.exe).
    assert len({(item.name, item.content, item.content_type) for item in HOSTILE}) == len(HOSTILE)
    assert len({item.content for item in HOSTILE}) >= 20


# Refused, nothing stored ---------------------------------------------------------------------


@pytest.mark.parametrize("item", HOSTILE, ids=lambda item: item.key)
def test_hostile_file_is_refused_by_the_service(item, settings, organization, org_member, draft):
    before = stored_paths(settings)

    with pytest.raises(ValidationError) as caught:
        private_file_store(uploaded=item.upload(), uploaded_by=org_member, organization=organization, parent=draft)

    assert item.expected_message in " ".join(caught.value.messages)
    assert PrivateFile.objects.count() == 0
    assert stored_paths(settings) == before


@pytest.mark.parametrize("item", HOSTILE, ids=lambda item: item.key)
def test_hostile_file_is_refused_on_the_achievement_attachment_form(item, settings, login, org_member, draft):
    before = stored_paths(settings)

    response = login(org_member).post(
        reverse("achievements:attach", args=[draft.pk]), {"files": [item.upload()]}, follow=True
    )

    assert response.status_code == 200
    text = page_text(response)
    assert item.expected_message in text
    assert ATTACHMENT_UPLOADED not in text
    assert PrivateFile.objects.count() == 0
    assert stored_paths(settings) == before


@pytest.mark.parametrize("item", HOSTILE, ids=lambda item: item.key)
def test_hostile_file_is_refused_on_the_licence_form(item, settings, login, org_admin, unverified):
    before = stored_paths(settings)

    response = login(org_admin).post(reverse("workspace:verification"), {"evidence": [item.upload()]})

    assert response.status_code == 200
    assert item.expected_message in page_text(response)
    assert PrivateFile.objects.count() == 0
    assert stored_paths(settings) == before
    unverified.refresh_from_db()
    assert unverified.verification_status == VerificationStatus.UNVERIFIED


@pytest.fixture
def registration_deal(login):
    seller_admin = MembershipFactory(organization__kind="university", role="admin").user
    buyer_admin = MembershipFactory(organization__kind="enterprise", role="admin").user
    deal = DealFactory(
        seller=seller_admin.memberships.get().organization,
        buyer=buyer_admin.memberships.get().organization,
        created_by=buyer_admin,
    )
    deal_services.deal_sign(deal=deal, user=seller_admin, signed_on=timezone.localdate() - timedelta(days=2))
    initial = deal_services.registration_initial(deal)
    registration = deal_services.registration_save(
        deal=deal,
        user=seller_admin,
        parties=initial["parties"],
        **{name: initial[name] for name in ("title", "category", "subtype", "total_amount", "signed_on")},
    )
    return deal, registration, login(seller_admin)


@pytest.mark.parametrize("item", HOSTILE, ids=lambda item: item.key)
def test_hostile_file_is_a_400_field_error_on_the_contract_upload_api(item, settings, registration_deal):
    deal, registration, api = registration_deal
    # The signed contract must be a PDF: images are refused for their kind before anything else.
    expected = item.expected_message if sniff_kind(item.content[:16]) in ("pdf", None) else hf.NOT_ACCEPTED
    before = stored_paths(settings)

    response = api.post(f"/api/v1/deals/{deal.pk}/registration/contract/", {"file": item.upload()})

    assert response.status_code == 400
    error = response.json()["error"]
    assert expected in " ".join(message for messages in error["fields"].values() for message in messages)
    assert PrivateFile.objects.count() == 0
    assert stored_paths(settings) == before
    registration.refresh_from_db()
    assert registration.signed_contract_id is None


def test_a_batch_with_one_hostile_file_stores_none_of_the_batch(settings, login, org_member, draft):
    before = stored_paths(settings)
    batch = [hf.hostile("png_appended_php").upload(), SimpleUploadedFile("说明书.pdf", hf.pdf_bytes())]

    response = login(org_member).post(reverse("achievements:attach", args=[draft.pk]), {"files": batch}, follow=True)

    assert hf.DAMAGED in page_text(response)
    assert PrivateFile.objects.count() == 0
    assert stored_paths(settings) == before


def test_an_empty_file_is_refused_on_the_form_and_by_the_service(settings, login, org_member, organization, draft):
    before = stored_paths(settings)
    empty = SimpleUploadedFile("空.pdf", b"", content_type="application/pdf")

    response = login(org_member).post(reverse("achievements:attach", args=[draft.pk]), {"files": [empty]}, follow=True)
    with pytest.raises(ValidationError) as caught:
        private_file_store(uploaded=empty, uploaded_by=org_member, organization=organization, parent=draft)

    assert "提交的是空文件。" in page_text(response)
    assert caught.value.messages == ["文件为空。"]
    assert PrivateFile.objects.count() == 0
    assert stored_paths(settings) == before


def test_a_file_of_exactly_the_limit_is_stored_and_one_byte_more_is_refused(settings, login, org_member, draft):
    settings.PRIVATE_FILE_MAX_BYTES = 4096
    client = login(org_member)
    url = reverse("achievements:attach", args=[draft.pk])

    too_large = client.post(url, {"files": [SimpleUploadedFile("b.png", hf.png_of_exact_size(4097))]}, follow=True)
    assert "文件大小为 4.0\xa0KB，超过了 4.0\xa0KB 的上限。" in page_text(too_large)
    assert PrivateFile.objects.count() == 0
    assert stored_paths(settings) == set()

    at_limit = client.post(url, {"files": [SimpleUploadedFile("a.png", hf.png_of_exact_size(4096))]}, follow=True)
    assert ATTACHMENT_UPLOADED in page_text(at_limit)
    stored = PrivateFile.objects.get()
    assert (stored.size, stored.kind, stored.original_name) == (4096, FileKind.PNG, "a.png")
    assert stored_paths(settings) == {os.path.join("private", stored.file.name)}


# Names the uploader chose -------------------------------------------------------------------

HOSTILE_NAMES = [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
    ("evil.php\x00.pdf", "evil.php.pdf"),
    ("营业执照.pdf.exe", "营业执照.pdf"),
    ("invoice\u202egpj.exe", "invoicegpj.pdf"),
    ("photo.jpg", "photo.pdf"),
    (".htaccess", "htaccess.pdf"),
    ("报" * 300 + ".pdf", "报" * 196 + ".pdf"),
]


@pytest.mark.parametrize(("name", "expected"), HOSTILE_NAMES)
def test_the_uploaders_file_name_never_reaches_the_disk_and_is_neutralised(
    name, expected, settings, organization, org_member, draft
):
    stored = private_file_store(
        uploaded=SimpleUploadedFile(name, hf.pdf_bytes()),
        uploaded_by=org_member,
        organization=organization,
        parent=draft,
    )

    assert stored.original_name == expected
    assert len(stored.original_name) <= 200
    assert stored_paths(settings) == {os.path.join("private", stored.file.name)}
    assert os.path.basename(stored.file.name) == f"{stored.pk}.pdf"


def test_a_hostile_name_through_the_form_is_neutralised_in_the_download(settings, login, org_member, draft):
    client = login(org_member)
    upload = SimpleUploadedFile("报告\u202efdp.exe", hf.pdf_bytes(), content_type="application/x-msdownload")

    client.post(reverse("achievements:attach", args=[draft.pk]), {"files": [upload]})

    stored = PrivateFile.objects.get()
    assert stored.original_name == "报告fdp.pdf"
    response = client.get(reverse("private-file", args=[stored.pk]))
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E6%8A%A5%E5%91%8Afdp.pdf"
    assert response["Content-Type"] == "application/pdf"


# Accepted files, served safely --------------------------------------------------------------

ACCEPTED = [
    ("说明书.pdf", hf.pdf_bytes, "application/pdf", FileKind.PDF, "application/pdf"),
    ("外观.png", hf.png_bytes, "image/png", FileKind.PNG, "image/png"),
    ("现场.jpg", hf.jpeg_bytes, "image/jpeg", FileKind.JPEG, "image/jpeg"),
    ("样品.webp", hf.webp_bytes, "image/webp", FileKind.WEBP, "image/webp"),
    # The browser's declared type is ignored: a PNG sent as a PDF (or as HTML) stays a PNG.
    ("扫描件.pdf", hf.png_bytes, "application/pdf", FileKind.PNG, "image/png"),
    ("page.html", hf.jpeg_bytes, "text/html", FileKind.JPEG, "image/jpeg"),
]


@pytest.mark.parametrize(("name", "build", "declared", "kind", "served_type"), ACCEPTED)
def test_accepted_file_is_served_as_an_attachment_typed_by_its_content(
    name, build, declared, kind, served_type, login, org_member, draft
):
    content = build()
    client = login(org_member)
    uploaded = client.post(
        reverse("achievements:attach", args=[draft.pk]),
        {"files": [SimpleUploadedFile(name, content, content_type=declared)]},
        follow=True,
    )
    assert ATTACHMENT_UPLOADED in page_text(uploaded)
    stored = PrivateFile.objects.get()
    assert stored.kind == kind

    response = client.get(reverse("private-file", args=[stored.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == served_type
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"


def test_a_pdf_shown_inline_on_request_is_still_sandboxed_and_nosniff(login, org_member, draft):
    client = login(org_member)
    client.post(
        reverse("achievements:attach", args=[draft.pk]), {"files": [SimpleUploadedFile("a.pdf", hf.pdf_bytes())]}
    )
    stored = PrivateFile.objects.get()

    response = client.get(reverse("private-file", args=[stored.pk]), {"inline": "1"})

    assert response["Content-Disposition"].startswith("inline; ")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_an_image_asked_inline_is_still_an_attachment(login, org_member, draft):
    client = login(org_member)
    client.post(
        reverse("achievements:attach", args=[draft.pk]), {"files": [SimpleUploadedFile("a.png", hf.png_bytes())]}
    )
    stored = PrivateFile.objects.get()

    response = client.get(reverse("private-file", args=[stored.pk]), {"inline": "1"})

    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["Content-Type"] == "image/png"


def test_a_stored_kind_decides_the_type_whatever_the_stored_name(login, org_member, organization):
    # A row whose name claims HTML is still served as its kind, as a download.
    stored = PrivateFile(
        original_name="index.html", kind=FileKind.PNG, size=80, sha256="0" * 64, organization=organization
    )
    stored.file.save("upload", ContentFile(hf.png_bytes()), save=False)
    stored.save()

    response = login(org_member).get(reverse("private-file", args=[stored.pk]))

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="index.html"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "build",
    [
        hf.pdf_with_escaped_javascript_on_page,
        hf.pdf_with_javascript_in_object_stream,
        hf.pdf_with_launch_action,
        hf.pdf_with_document_javascript,
        hf.pdf_with_embedded_file,
    ],
)
def test_the_clean_copy_of_a_pdf_stored_before_the_check_carries_no_action(build, organization):
    from pypdf import PdfReader

    from marketplace.validators import _pdf_has_active_content

    stored = PrivateFile(original_name="旧.pdf", kind=FileKind.PDF, size=1, sha256="0" * 64, organization=organization)
    stored.file.save("upload", ContentFile(build()), save=False)
    stored.save()
    assert _pdf_has_active_content(PdfReader(stored.file.open("rb")))

    clean = private_file_clean_copy(stored)

    reader = PdfReader(io.BytesIO(clean))
    assert len(reader.pages) == 1
    assert not _pdf_has_active_content(reader)
    assert b"JavaScript" not in clean and b"Launch" not in clean
