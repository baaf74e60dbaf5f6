import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.enums import FileKind, FilePurpose


def private_file_path(instance: "PrivateFile", filename: str) -> str:
    # The stored name never contains anything the uploader chose.
    now = timezone.now()
    return f"{now:%Y/%m}/{instance.pk}.{instance.kind}"


class PrivateFile(models.Model):
    """An uploaded file, checked by content and stored outside the static path.

    It is served only through the private-file view, to: bureau staff; members of the
    organization that uploaded it; whoever holds the parent object's `file_permission`
    (e.g. the evidence of an organization); everyone once `is_public` is set (the file of a
    published listing).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(_("file"), upload_to=private_file_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("file type"), max_length=10, choices=FileKind.choices)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=30, choices=FilePurpose.choices, default=FilePurpose.ATTACHMENT)
    organization = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="files",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    parent_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    parent_id = models.PositiveBigIntegerField(null=True, blank=True)
    parent = GenericForeignKey("parent_type", "parent_id")
    is_public = models.BooleanField(_("public"), default=False)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("private file")
        verbose_name_plural = _("private files")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["parent_type", "parent_id"], name="private_file_parent_idx")]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("private-file", args=[self.pk])

    @property
    def content_type_header(self) -> str:
        from marketplace.validators import CONTENT_TYPES

        return CONTENT_TYPES[self.kind]
