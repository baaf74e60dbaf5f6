"""Signed webhooks to partner systems: the event catalogue, endpoints, deliveries and retries.

A change worth telling partners about (an achievement published, a contract registered…)
calls `webhook_emit(event, record)` inside the service's transaction. That writes one
`WebhookDelivery` row per subscribed endpoint (an outbox: nothing is lost if a worker dies, and
nothing exists for a rolled-back change) and enqueues its sending after the commit. Each
attempt POSTs the stored payload, signed with the endpoint's secret (see docs/api-webhooks.md);
a 2xx marks it sent, anything else schedules the next attempt with exponential backoff until
WEBHOOK_MAX_ATTEMPTS, then it is failed. The beat task `retry_webhooks` sends what is due.

Delivery is at least once: a receiver deduplicates on the `X-Market-Delivery` id, which stays
the same across retries and redeliveries.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.enums import WebhookStatus
from marketplace.models import Organization, PartnerApplication, TransitionLog, User, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# Event name → (description, the scope a partner application needs to receive it). Later apps
# add theirs here, with the router basename of their records' API in API_ROUTES.
EVENTS: dict[str, tuple[str, str]] = {
    "achievement.published": (gettext_lazy("An achievement was published on the market"), "achievements:read"),
    "achievement.withdrawn": (gettext_lazy("A published achievement was taken off the market"), "achievements:read"),
    "demand.published": (gettext_lazy("A demand was published on the board"), "demands:read"),
    "demand.withdrawn": (gettext_lazy("A public demand was taken off the board"), "demands:read"),
    "challenge.awarded": (gettext_lazy("A challenge was awarded (its public notice starts)"), "demands:read"),
    "contract.registered": (gettext_lazy("A technology contract was registered"), "contracts:read"),
}
# The catalogue as choices (the OpenAPI schema names them WebhookEventEnum).
EVENT_CHOICES = [(name, description) for name, (description, _scope) in EVENTS.items()]

# Model label → router basename of its API detail route (/api/v1/<collection>/{id}/).
API_ROUTES: dict[str, str] = {
    "achievements.achievement": "achievement",
    "demands.demand": "demand",
    "demands.challenge": "challenge",
    "marketplace.contractregistration": "contract",
}

SIGNATURE_VERSION = "v1"
USER_AGENT = "TechMarket-Webhooks/1"
# One partner system's endpoints (a production and a test receiver, per system, is the norm).
MAX_ENDPOINTS_PER_PARTNER = 10
# The longest wait between two attempts, however many there were.
MAX_RETRY_DELAY = timedelta(hours=6)
# How much of a failed response's body is kept for the partner to read.
ERROR_BODY_BYTES = 500


# Signing ------------------------------------------------------------------------------------


def webhook_body(payload: Mapping) -> bytes:
    """The exact bytes POSTed for a payload: compact JSON, UTF-8, Chinese left readable."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def webhook_sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The `X-Market-Signature` value: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>."""
    message = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def _header(headers: Mapping, name: str) -> str:
    if hasattr(headers, "get"):
        value = headers.get(name)
        if value is not None:
            return str(value)
    wanted = name.lower()
    return next((str(value) for key, value in headers.items() if str(key).lower() == wanted), "")


def webhook_verify(
    secret: str, headers: Mapping, body: bytes | str, tolerance: int = 300, *, now: float | None = None
) -> bool:
    """Whether a received delivery is authentic: its signature matches the body and timestamp
    (constant-time comparison), and the timestamp is within `tolerance` seconds of `now`.

    `headers`: any mapping of the request's headers (names in any case); `body`: the raw bytes
    as received, before any JSON parsing. Several `v1=` signatures, comma-separated, are accepted.
    """
    timestamp = _header(headers, "X-Market-Timestamp").strip()
    if not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        return False
    if isinstance(body, str):
        body = body.encode("utf-8")
    expected = webhook_sign(secret, timestamp, body)
    offered = [part.strip() for part in _header(headers, "X-Market-Signature").split(",")]
    # compare_digest on every candidate (no early exit), so timing says nothing about which matched
    matches = [hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in offered]
    return any(matches)


def webhook_headers(delivery: WebhookDelivery, body: bytes, *, timestamp: int) -> dict[str, str]:
    """The headers of one attempt (the signature is computed per attempt: its timestamp changes)."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Market-Event": delivery.event,
        "X-Market-Delivery": str(delivery.event_id),
        "X-Market-Timestamp": str(timestamp),
        "X-Market-Signature": webhook_sign(delivery.endpoint.secret, timestamp, body),
    }


# Where deliveries may go --------------------------------------------------------------------


class RefusedAddress(Exception):
    """The endpoint's host resolves to an address the market does not send to."""


def _resolve(host: str, port: int) -> list[str]:
    """The IP addresses of `host` (tests replace this to avoid depending on DNS)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _url_parts(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL without credentials; ValidationError otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError({"url": _("Enter a valid http or https URL.")}) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": _("Enter a valid http or https URL.")})
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            {"url": _("Put no user name or password in the URL: deliveries are authenticated by their signature.")}
        )
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _addresses(url: str) -> tuple[str, int, list[str]]:
    """Resolve the URL's host; RefusedAddress when any address is not public (unless
    WEBHOOK_ALLOW_PRIVATE_NETWORKS). Every address is checked: a host answering with one
    public and one private address would otherwise reach the private one by chance."""
    host, port = _url_parts(url)
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise RefusedAddress(_("The host name %(host)s cannot be resolved.") % {"host": host}) from exc
    if not addresses:
        raise RefusedAddress(_("The host name %(host)s cannot be resolved.") % {"host": host})
    if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS and not all(_is_public(address) for address in addresses):
        raise RefusedAddress(
            _("The URL points to a loopback, private or link-local address; the market only sends to public addresses.")
        )
    return host, port, addresses


def webhook_check_url(url: str) -> None:
    """Refuse (ValidationError on `url`) what deliveries could not or must not be sent to:
    other schemes than http/https, credentials in the URL, and hosts on loopback, private or
    link-local addresses (unless WEBHOOK_ALLOW_PRIVATE_NETWORKS). The same check runs again at
    every attempt, since DNS answers change."""
    _url_parts(url)
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return  # development: the receiver may be anywhere, and may not resolve yet
    try:
        _addresses(url)
    except RefusedAddress as exc:
        raise ValidationError({"url": str(exc)}) from None


# Endpoints ----------------------------------------------------------------------------------


def partner_scopes(partner: Organization | int) -> set[str]:
    """The scopes granted to the partner's active (not revoked) applications, together."""
    partner_id = getattr(partner, "pk", partner)
    scopes: set[str] = set()
    for names in PartnerApplication.objects.filter(organization_id=partner_id, revoked_at__isnull=True).values_list(
        "scopes", flat=True
    ):
        scopes.update(names.split())
    return scopes


def webhook_clean_events(events: Iterable[str] | str, *, partner: Organization) -> str:
    """The space-separated event names, checked against the catalogue and against the scopes
    the partner holds (ValidationError on `events`)."""
    names = events.split() if isinstance(events, str) else [str(name).strip() for name in events]
    names = sorted({name for name in names if name})
    if not names:
        raise ValidationError({"events": _("Choose at least one event.")})
    unknown = [name for name in names if name not in EVENTS]
    if unknown:
        raise ValidationError({"events": _("Unknown events: %(names)s.") % {"names": "、".join(unknown)}})
    granted = partner_scopes(partner)
    missing = [name for name in names if EVENTS[name][1] not in granted]
    if missing:
        raise ValidationError(
            {
                "events": [
                    _("Receiving “%(event)s” needs the scope “%(scope)s”, which this partner system does not hold.")
                    % {"event": name, "scope": EVENTS[name][1]}
                    for name in missing
                ]
            }
        )
    return " ".join(names)


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def webhook_endpoint_create(
    *, partner: Organization, url: str, events: Iterable[str] | str, is_active: bool = True
) -> WebhookEndpoint:
    """A new endpoint of a partner system, with a secret generated here (shown to the partner
    once, in the answer to its creation, and again only when rotated)."""
    partner = Organization.objects.select_for_update().get(pk=partner.pk)  # serialises the count below
    if partner.webhook_endpoints.count() >= MAX_ENDPOINTS_PER_PARTNER:
        raise ValidationError(
            _("A partner system has at most %(count)d webhook endpoints.") % {"count": MAX_ENDPOINTS_PER_PARTNER}
        )
    webhook_check_url(url)
    endpoint = WebhookEndpoint(
        partner=partner,
        url=url,
        events=webhook_clean_events(events, partner=partner),
        secret=_new_secret(),
        is_active=is_active,
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, events: Iterable[str] | str, is_active: bool
) -> WebhookEndpoint:
    """Change an endpoint's URL, events or active flag (the secret changes only by rotation).
    Deliveries already written keep going to the endpoint's current URL."""
    webhook_check_url(url)
    endpoint.url = url
    endpoint.events = webhook_clean_events(events, partner=endpoint.partner)
    endpoint.is_active = is_active
    endpoint.full_clean()
    endpoint.save(update_fields=["url", "events", "is_active", "updated_at"])
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new signing secret; the old one stops at once (retries still pending are signed with
    the new one when they go out)."""
    endpoint.secret = _new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery history; deliveries not yet sent are dropped."""
    endpoint.delete()


# Emitting -----------------------------------------------------------------------------------


def _iso(value) -> str | None:
    """Date-times as the API writes them (ISO 8601, in the market's time zone)."""
    return timezone.localtime(value).isoformat() if value is not None else None


def _api_url(instance) -> str:
    basename = API_ROUTES[instance._meta.label_lower]
    return settings.SITE_URL + reverse(f"v1:{basename}-detail", args=[instance.pk])


def webhook_payload(event: str, instance, *, event_id: uuid.UUID, created_at, partner_id: int) -> dict:
    """What one partner is told about a record: its id, title, last change and API address;
    its `external_ref` only when this partner wrote it. Never contacts or private fields;
    amounts only for registered contracts (the registry publishes them)."""
    written_by_partner = getattr(instance, "partner_id", None) == partner_id
    data = {
        "id": instance.pk,
        "title": instance.title,
        "updated_at": _iso(instance.updated_at),
        "url": _api_url(instance),
        "external_ref": (getattr(instance, "external_ref", "") or None) if written_by_partner else None,
    }
    if event == "contract.registered":
        amount = instance.technology_amount
        data |= {
            "registration_number": instance.registration_number,
            "category": instance.category,
            "technology_amount": f"{Decimal(amount):.2f}" if amount is not None else None,
            "registered_at": _iso(instance.registered_at),
        }
    return {"id": str(event_id), "event": event, "created_at": _iso(created_at), "data": data}


def webhook_emit(event: str, instance) -> list[WebhookDelivery]:
    """Tell every partner that wants it about `instance`: one delivery per active endpoint
    subscribed to `event` whose partner holds an active application with the event's scope.

    Call it inside the service's transaction: the rows are written with the change, and their
    sending is enqueued when it commits (a rolled-back change sends nothing)."""
    if event not in EVENTS:
        raise ValueError(f"not an event of the catalogue: {event}")
    scope = EVENTS[event][1]
    candidates = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True, events__contains=event)
        if event in endpoint.event_set
    ]
    if not candidates:
        return []
    entitled = {
        application.organization_id
        for application in PartnerApplication.objects.filter(
            organization_id__in={endpoint.partner_id for endpoint in candidates}, revoked_at__isnull=True
        ).only("organization_id", "scopes")
        if scope in application.scope_set
    }
    now = timezone.now()
    deliveries = []
    for endpoint in candidates:
        if endpoint.partner_id not in entitled:
            continue
        event_id = uuid.uuid4()
        deliveries.append(
            WebhookDelivery(
                endpoint=endpoint,
                event=event,
                event_id=event_id,
                payload=webhook_payload(
                    event, instance, event_id=event_id, created_at=now, partner_id=endpoint.partner_id
                ),
                created_at=now,
                next_attempt_at=now,  # due at once: the sweep sends it if its task is lost
            )
        )
    WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        _enqueue_after_commit(delivery.pk)
    return deliveries


def _enqueue_after_commit(delivery_id: int) -> None:
    from marketplace.tasks import deliver_webhook

    # robust: a broker outage must not fail the change that already committed; the delivery is
    # due, and the sweep (retry_webhooks) enqueues it again.
    transaction.on_commit(partial(deliver_webhook.delay, delivery_id), robust=True)


# Sending ------------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base, 2×base, 4×base … at most 6 hours."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** min(max(attempts - 1, 0), 30)  # 2**30: far past the cap
    return min(timedelta(seconds=seconds), MAX_RETRY_DELAY)


def _claim_lease() -> timedelta:
    # An attempt in flight pushes next_attempt_at this far ahead, so neither the sweep nor a
    # second task sends the same attempt; a worker that dies mid-attempt is replaced after it.
    return timedelta(seconds=max(60, 3 * settings.WEBHOOK_TIMEOUT_SECONDS))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address the host was checked at, not to a second DNS answer (which a
    rebinding attacker could point at the market's own network)."""

    def __init__(self, host, *, address: str, **kwargs):
        super().__init__(host, **kwargs)
        # http.client opens its socket through this attribute (HTTPS wraps it with SNI for the
        # host name afterwards, so certificates are still checked against the name).
        self._create_connection = lambda target, *args: socket.create_connection((address, target[1]), *args)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, *, address: str, **kwargs):
        super().__init__(host, **kwargs)
        self._create_connection = lambda target, *args: socket.create_connection((address, target[1]), *args)


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, address: str):
        super().__init__()
        self.address = address

    def http_open(self, req):
        return self.do_open(partial(_PinnedHTTPConnection, address=self.address), req)


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, address: str):
        super().__init__(context=ssl.create_default_context())
        self.address = address

    def https_open(self, req):
        return self.do_open(partial(_PinnedHTTPSConnection, address=self.address), req, context=self._context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any non-2xx: followed, it could lead past the address check."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST with the standard library: the address checked and pinned, no proxy, no redirect."""
    try:
        _host, _port, addresses = _addresses(url)
    except (RefusedAddress, ValidationError) as exc:
        return Outcome(None, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _PinnedHTTPHandler(addresses[0]),
        _PinnedHTTPSHandler(addresses[0]),
        _NoRedirect(),
    )
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 -- http(s) only, checked by _url_parts
    try:
        with opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(ERROR_BODY_BYTES)
            return Outcome(response.status, "")
    except urllib.error.HTTPError as exc:
        text = ""
        if exc.fp is not None:
            try:
                text = exc.read(ERROR_BODY_BYTES).decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                pass  # the status says enough
            finally:
                exc.close()
        return Outcome(exc.code, f"HTTP {exc.code} {exc.reason}: {text}".strip())
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        text = reason if isinstance(reason, str) else f"{type(reason).__name__}: {reason}"
        return Outcome(None, text[:2000])


def _entitled(delivery: WebhookDelivery) -> str:
    """Why this delivery may no longer go out (the endpoint was switched off, the partner lost
    the scope), or "" when it may."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return _("The endpoint is switched off.")
    scope = EVENTS.get(delivery.event, ("", ""))[1]
    if scope not in partner_scopes(endpoint.partner_id):
        return _("The partner system no longer holds the scope “%(scope)s”.") % {"scope": scope}
    return ""


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt at a due, pending delivery; None when there is none to make (sent, failed,
    not yet due, or being attempted by another worker).

    The attempt is claimed with a conditional UPDATE (count it, push next_attempt_at past the
    attempt's longest duration), so a task and the sweep never make the same attempt twice,
    and no transaction stays open while the partner's server answers. Then: a 2xx marks it
    sent; anything else records the status or error and schedules the next attempt with
    backoff, or marks it failed after WEBHOOK_MAX_ATTEMPTS."""
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(attempts=F("attempts") + 1, next_attempt_at=now + _claim_lease())
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return None  # its endpoint was deleted meanwhile
    attempt = delivery.attempts
    refusal = _entitled(delivery)
    if refusal:
        outcome, final = Outcome(None, refusal), True
    else:
        body = webhook_body(delivery.payload)
        timestamp = int(timezone.now().timestamp())
        outcome = _post(delivery.endpoint.url, body, webhook_headers(delivery, body, timestamp=timestamp))
        final = attempt >= settings.WEBHOOK_MAX_ATTEMPTS
    finished = timezone.now()
    if outcome.ok:
        changes = {
            "status": WebhookStatus.SENT,
            "delivered_at": finished,
            "next_attempt_at": None,
            "last_status_code": outcome.status_code,
            "last_error": "",
        }
    else:
        logger.info("webhook delivery %s attempt %s failed: %s", delivery_id, attempt, outcome.error)
        changes = {
            "status": WebhookStatus.FAILED if final else WebhookStatus.PENDING,
            "next_attempt_at": None if final else finished + retry_delay(attempt),
            "last_status_code": outcome.status_code,
            "last_error": outcome.error[:2000],
        }
    # Only this attempt's claim is updated: a replay or a later claim meanwhile wins.
    WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookStatus.PENDING, attempts=attempt).update(**changes)
    delivery.refresh_from_db()
    return delivery


def webhook_deliveries_due(*, limit: int = 500) -> list[int]:
    """Ids of pending deliveries whose next attempt is due, the longest-waiting first."""
    return list(
        WebhookDelivery.objects.filter(status=WebhookStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))
        .order_by(F("next_attempt_at").asc(nulls_first=True), "id")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def webhook_replay(*, delivery: WebhookDelivery, actor: User | None = None) -> WebhookDelivery:
    """Send a sent or failed delivery again (bureau staff, or the partner asking for a
    redelivery): the same event id and payload, fresh attempts. The attempts it had are kept in
    the status transition's reason. A pending delivery is already on its way: left as it is."""
    previous = WebhookDelivery.objects.filter(pk=delivery.pk).values_list("status", "attempts").first()
    if previous is None or previous[0] == WebhookStatus.PENDING:
        delivery.refresh_from_db()
        return delivery
    status, attempts = previous
    replayed = WebhookDelivery.objects.filter(pk=delivery.pk, status=status).update(
        status=WebhookStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), delivered_at=None
    )
    if replayed:
        TransitionLog.objects.create(
            content_type=ContentType.objects.get_for_model(WebhookDelivery),
            object_id=delivery.pk,
            field="status",
            from_status=status,
            to_status=WebhookStatus.PENDING,
            actor=actor if getattr(actor, "pk", None) else None,
            reason=_("Sent again after %(attempts)d attempts.") % {"attempts": attempts},
        )
        _enqueue_after_commit(delivery.pk)
    delivery.refresh_from_db()
    return delivery
