"""Conversations between two organizations about a thread (an inquiry, a demand response…)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace.models import Message, Organization, User
from marketplace.services.files import private_file_store


@transaction.atomic
def message_post(*, thread, author: User, organization: Organization, body: str, attachments=()) -> Message:
    """Add a message (and its attachments, checked by content) to a thread. The caller has
    checked that the author may write in this thread for this organization."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write your message.")})
    message = thread.messages.create(author=author, organization=organization, body=body)
    for uploaded in attachments:
        private_file_store(uploaded=uploaded, uploaded_by=author, organization=organization, parent=thread)
    return message
