from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """One message of a conversation between two organizations about a thread object (an
    inquiry about an achievement, a response to a demand, …). Threads expose them through a
    GenericRelation named `messages`; who may read them is the thread's permission."""

    thread_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    thread_id = models.PositiveBigIntegerField()
    thread = GenericForeignKey("thread_type", "thread_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    organization = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("organization"), on_delete=models.CASCADE, related_name="+"
    )
    body = models.TextField(_("message"), max_length=5000)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread_type", "thread_id", "created_at"], name="message_thread_idx")]

    def __str__(self) -> str:
        return self.body[:40]
