"""`Idempotency-Key` on API POSTs: a retried request gets the first one's response.

The key is scoped to the caller (a person, or a partner application whatever token it holds
now). The first request commits a claim on (caller, key) before it runs; a duplicate arriving
while it runs gets 409; one arriving after gets the stored response (status, body, content type)
with `Idempotent-Replayed: true`; the same key with a different request is a 422. A response of
5xx (or a 401, 403, 409 or 429) releases the key so the request can be retried. Keys are kept for IDEMPOTENCY_KEY_HOURS."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.models import IdempotencyKey

HEADER = "Idempotency-Key"
# Answers about the caller or the moment, not about the request: the key is released so the
# same request can be retried (with a new token, after the limit resets…).
RETRYABLE = frozenset({401, 403, 409, 429})
MAX_KEY_LENGTH = 255


def _error(status: int, code: str, message: str) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": {}}}
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8"
    )


def _owner(request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        from oauth2_provider.models import AccessToken

        checksum = hashlib.sha256(header[7:].strip().encode("utf-8")).hexdigest()
        application_id = (
            AccessToken.objects.filter(token_checksum=checksum).values_list("application_id", flat=True).first()
        )
        return f"partner:{application_id}" if application_id else None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    if request.content_type == "multipart/form-data":
        # Uploads are not read into memory here: their size and type stand for them.
        digest.update(f"{request.content_type} {request.headers.get('Content-Length', '')}".encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def purge_expired_keys(*, now=None) -> int:
    cutoff = (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return _error(
                400,
                "invalid_idempotency_key",
                _("An Idempotency-Key has 1 to %(max)d printable characters.") % {"max": MAX_KEY_LENGTH},
            )
        owner = _owner(request)
        if owner is None:  # visitors and invalid tokens: the view answers them (401/403)
            return self.get_response(request)
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(owner=owner, key=key, fingerprint=fingerprint)
        except IntegrityError:
            return self._replay(owner, key, fingerprint)
        response = self.get_response(request)
        if response.status_code in RETRYABLE or response.status_code >= 500 or getattr(response, "streaming", False):
            claim.delete()
            return response
        claim.response_status = response.status_code
        claim.response_body = response.content
        claim.response_headers = {"Content-Type": response.get("Content-Type", "application/json")}
        claim.save(update_fields=["response_status", "response_body", "response_headers"])
        return response

    @staticmethod
    def _replay(owner: str, key: str, fingerprint: str) -> HttpResponse:
        earlier = IdempotencyKey.objects.filter(owner=owner, key=key).first()
        if earlier is None or not earlier.is_finished:
            return _error(
                409,
                "idempotency_conflict",
                _("A request with this Idempotency-Key is still being processed; retry it later."),
            )
        if earlier.fingerprint != fingerprint:
            return _error(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was used for a different request; use a new key for a new request."),
            )
        response = HttpResponse(
            bytes(earlier.response_body or b""),
            status=earlier.response_status,
            content_type=earlier.response_headers.get("Content-Type", "application/json"),
        )
        response["Idempotent-Replayed"] = "true"
        return response
