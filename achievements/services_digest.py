"""Subscriptions to the featured-achievements digest and its delivery.

Subscribing is double opt-in: a signed, expiring link confirms the address. Every digest
carries a signed one-click unsubscribe link (also as `List-Unsubscribe`, RFC 8058).

Delivery guarantee — at most once, never silently dropped:

* Planning a period writes one DigestDelivery per (subscription, period) under a unique
  constraint; planning again adds nothing.
* A worker claims a batch of queued rows with SELECT … FOR UPDATE SKIP LOCKED (other workers
  take other rows, nobody waits) and marks them `claimed`; it then sends them over one SMTP
  connection, SENDING_GROUP (10) rows at a time: a group's rows are marked `sending` in one
  commit before the first of its messages goes on the wire, and those the server accepted are
  marked `sent` in the same transaction that marks the next group `sending` (one commit per
  group; never more than one group `sending` per worker).
* A worker that dies leaves `claimed` rows — never on the wire — which the sweep returns to the
  queue; and at most the one group `sending` it had in flight, which the sweep marks
  `ambiguous`: the server may or may not have accepted each of them. Ambiguous rows are listed
  in the admin with their Message-ID (derived from period and subscriber, so the mail server's
  log tells) for staff to mark sent or resend; they are never resent on a guess.
* An SMTP error reply means the server did not take the message: the row goes back to the queue
  with exponential back-off, and is marked `failed` (the address recorded, resendable from the
  admin) after DIGEST_MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.utils import formatdate
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import CharField, Count, F, Max, Q, Value
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from achievements import rules as achievement_rules
from achievements.enums import DeliveryStatus, DigestFrequency, FeaturedIssueStatus, SubscriptionStatus
from achievements.models import Achievement, DigestDelivery, FeaturedIssue, FeaturedItem, Subscription
from marketplace.models import IndustryField, User
from marketplace.services.mail import mail_queue

logger = logging.getLogger(__name__)

CONFIRM_SALT = "achievements.digest.confirm"
UNSUBSCRIBE_SALT = "achievements.digest.unsubscribe"
CONFIRM_MAX_AGE = timedelta(days=7)
DIGEST_MAX_ATTEMPTS = 5
NEW_ACHIEVEMENTS_LIMIT = 10
# A claim older than this belongs to a dead worker (longer than any batch takes to send).
CLAIM_TIMEOUT = timedelta(minutes=10)
PLAN_BATCH = 5000
# Rows marked `sending` in one commit before their messages go out, and `sent` in one commit after.
SENDING_GROUP = 10
# Where a subscriber's unsubscribe link goes in a rendered digest.
LINK_MARK = "{{unsubscribe_url}}"


# Tokens ---------------------------------------------------------------------------------------


def _token(subscription: Subscription, salt: str) -> str:
    return signing.dumps({"s": subscription.pk, "e": subscription.email}, salt=salt, compress=True)


def confirmation_token(subscription: Subscription) -> str:
    return _token(subscription, CONFIRM_SALT)


def unsubscribe_token(subscription: Subscription) -> str:
    return _token(subscription, UNSUBSCRIBE_SALT)


def _subscription_for(token: str, salt: str, max_age: timedelta | None) -> Subscription:
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ValidationError(_("This link has expired. Subscribe again to get a new one."), code="expired") from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This link is not valid."), code="invalid") from exc
    subscription = Subscription.objects.filter(pk=data.get("s"), email=data.get("e")).first()
    if subscription is None:
        raise ValidationError(_("This link is not valid."), code="invalid")
    return subscription


def unsubscribe_url(subscription: Subscription) -> str:
    return settings.SITE_URL + reverse("achievements:unsubscribe", args=[unsubscribe_token(subscription)])


# Subscriptions --------------------------------------------------------------------------------


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from exc
    return email


@transaction.atomic
def subscription_request(
    *, email: str, frequency: str, industry_fields: Iterable[IndustryField] = (), user: User | None = None
) -> Subscription:
    """Subscribe an address, or update the subscription it has (never a second row). A new,
    pending or unsubscribed address gets a confirmation link (at most one mail an hour); an
    active one just takes the new fields and frequency."""
    email = _clean_email(email)
    if frequency not in DigestFrequency.values:
        raise ValidationError({"frequency": _("Choose weekly or monthly.")})
    subscription, _created = Subscription.objects.select_for_update().get_or_create(email=email)
    subscription.frequency = frequency
    # The subscription joins the account only for the account's own address: a logged-in user
    # subscribing someone else's address must not be able to manage it from the workspace.
    if (
        user is not None
        and user.is_authenticated
        and subscription.user_id is None
        and (user.email or "").strip().lower() == email
    ):
        subscription.user = user
    if subscription.status == SubscriptionStatus.UNSUBSCRIBED:
        subscription.status = SubscriptionStatus.PENDING
        subscription.unsubscribed_at = None
    subscription.save()
    subscription.industry_fields.set(industry_fields)
    if subscription.status == SubscriptionStatus.PENDING:
        mail_queue(
            to=email,
            purpose="digest-confirm",
            period=timezone.localtime().strftime("%Y%m%d%H"),
            template="mail/digest_confirm",
            context={
                "subscription": subscription,
                "confirm_url": settings.SITE_URL
                + reverse("achievements:subscription-confirm", args=[confirmation_token(subscription)]),
            },
        )
    return subscription


def confirmation_target(token: str) -> Subscription:
    """The subscription a confirmation link names, changing nothing (the page that asks the
    reader to press “confirm”, so a mail scanner following links confirms nothing)."""
    return _subscription_for(token, CONFIRM_SALT, CONFIRM_MAX_AGE)


def unsubscribe_target(token: str) -> Subscription:
    """The subscription an unsubscribe link names, changing nothing (the page with the
    one-click button)."""
    return _subscription_for(token, UNSUBSCRIBE_SALT, None)


@transaction.atomic
def subscription_confirm(*, token: str) -> Subscription:
    """The link in the confirmation mail activates the subscription (ValidationError if the
    link is forged or older than CONFIRM_MAX_AGE). Confirming twice changes nothing."""
    subscription = _subscription_for(token, CONFIRM_SALT, CONFIRM_MAX_AGE)
    if subscription.status != SubscriptionStatus.ACTIVE:
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.confirmed_at = timezone.now()
        subscription.unsubscribed_at = None
        subscription.save(update_fields=["status", "confirmed_at", "unsubscribed_at", "updated_at"])
    return subscription


@transaction.atomic
def subscription_unsubscribe(*, token: str) -> Subscription:
    """The signed link of every digest ends the subscription, with no log-in."""
    return _unsubscribe(unsubscribe_target(token))


def _unsubscribe(subscription: Subscription) -> Subscription:
    if subscription.status != SubscriptionStatus.UNSUBSCRIBED:
        subscription.status = SubscriptionStatus.UNSUBSCRIBED
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["status", "unsubscribed_at", "updated_at"])
        # Deliveries not yet on their way are dropped with it.
        subscription.deliveries.filter(status=DeliveryStatus.QUEUED).delete()
    return subscription


def _take_own(subscription: Subscription, user: User) -> None:
    """Refuse a subscription that is not the user's; one of the account's own address joins the
    account (so it is listed there from now on)."""
    if not user.has_perm("achievements.change_subscription", subscription):
        raise ValidationError(_("This subscription is not yours."))
    if subscription.user_id is None:
        subscription.user = user
        subscription.save(update_fields=["user", "updated_at"])


@transaction.atomic
def subscription_update(
    *, subscription: Subscription, user: User, frequency: str, industry_fields: Iterable[IndustryField]
) -> Subscription:
    """A logged-in user changes the fields and frequency of a subscription of theirs."""
    _take_own(subscription, user)
    if frequency not in DigestFrequency.values:
        raise ValidationError({"frequency": _("Choose weekly or monthly.")})
    subscription.frequency = frequency
    subscription.save(update_fields=["frequency", "updated_at"])
    subscription.industry_fields.set(industry_fields)
    return subscription


@transaction.atomic
def subscription_cancel(*, subscription: Subscription, user: User) -> Subscription:
    """A logged-in user unsubscribes from the workspace."""
    _take_own(subscription, user)
    return _unsubscribe(subscription)


# Periods and content --------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestPeriod:
    """A digest run: its key (unique per frequency and week or month) and the window of
    publication dates its new achievements come from."""

    frequency: str
    key: str
    window_start: date
    window_end: date  # exclusive

    @classmethod
    def of(cls, frequency: str, day: date) -> DigestPeriod:
        """The period a run on `day` sends: the ISO week (weekly) or month (monthly) of `day`,
        with the achievements published in the 7 days (or the month) before it."""
        if frequency == DigestFrequency.WEEKLY:
            year, week, _weekday = day.isocalendar()
            return cls(frequency, f"weekly-{year}-W{week:02d}", day - timedelta(days=7), day)
        if frequency == DigestFrequency.MONTHLY:
            previous = (day.replace(day=1) - timedelta(days=1)).replace(day=min(day.day, 28))
            return cls(frequency, f"monthly-{day:%Y-%m}", previous, day)
        raise ValueError(frequency)


def _expanded_fields(field_ids: frozenset[int]) -> frozenset[int]:
    """A chosen top-level field stands for its sub-fields too."""
    if not field_ids:
        return field_ids
    children = IndustryField.objects.filter(parent_id__in=field_ids).values_list("pk", flat=True)
    return field_ids | frozenset(children)


def _in_fields(queryset, field_ids: frozenset[int], path: str):
    if not field_ids:
        return queryset
    return queryset.filter(**{f"{path}__in": field_ids}).distinct()


@dataclass(frozen=True)
class DigestContent:
    subject: str
    text: str
    html: str


def latest_issue(*, before: datetime | None = None) -> FeaturedIssue | None:
    published = FeaturedIssue.objects.filter(status=FeaturedIssueStatus.PUBLISHED)
    if before is not None:
        published = published.filter(published_at__lte=before)
    return published.order_by("-published_at", "-number").first()


def digest_content(period_key: str, window_start: date, window_end: date, field_ids: frozenset[int]) -> DigestContent:
    """What every subscriber of these fields gets for the period (the senders render it once per
    field combination and batch): the latest featured issue's items in those fields
    and the achievements newly published in them during the window, newest first."""
    fields = _expanded_fields(field_ids)
    issue = latest_issue()
    items = []
    if issue is not None:
        items = list(
            _in_fields(
                FeaturedItem.objects.filter(issue=issue).select_related("achievement__organization"),
                fields,
                "achievement__industry_fields",
            ).order_by("position", "id")
        )
    zone = timezone.get_current_timezone()
    new = list(
        _in_fields(
            Achievement.objects.filter(
                status__in=achievement_rules.PUBLIC_STATUSES,
                published_at__gte=timezone.make_aware(datetime.combine(window_start, time.min), zone),
                published_at__lt=timezone.make_aware(datetime.combine(window_end, time.min), zone),
            ).select_related("organization"),
            fields,
            "industry_fields",
        )
        .exclude(pk__in=[item.achievement_id for item in items])
        .order_by("-published_at", "-id")[:NEW_ACHIEVEMENTS_LIMIT]
    )
    field_names = list(IndustryField.objects.filter(pk__in=field_ids).order_by("pk").values_list("name", flat=True))
    context = {
        "site_url": settings.SITE_URL,
        "market_name": settings.MARKET_NAME,
        "issue": issue,
        "items": items,
        "new_achievements": new,
        "field_names": field_names,
        "unsubscribe_url": LINK_MARK,
    }
    subject = " ".join(render_to_string("mail/digest_subject.txt", context).split())
    return DigestContent(
        subject=subject,
        text=render_to_string("mail/digest.txt", context),
        html=_fold_html(render_to_string("mail/digest.html", context)),
    )


def _fold_html(html: str, limit: int = 900) -> str:
    """The template's lines joined into as few as SMTP's 998-byte line limit allows (`limit`
    bytes, where the template broke a line): a line break and indentation are whitespace to HTML
    as a space is (the digest has no <pre>), and every line is work for every mail server on the
    way (the HTML part: 134 lines → 12). A line with the unsubscribe link's mark stays on its own,
    as the link is longer than the mark."""
    lines, current, size = [], [], 0
    for line in html.splitlines():
        line = line.strip()
        if not line:
            continue
        length = len(line.encode())
        alone = LINK_MARK in line
        if current and (alone or size + 1 + length > limit):
            lines.append(" ".join(current))
            current, size = [], 0
        size += length + (1 if current else 0)
        current.append(line)
        if alone:
            lines.append(" ".join(current))
            current, size = [], 0
    if current:
        lines.append(" ".join(current))
    return "\n".join(lines) + "\n"


# Rendered digests kept across batches in a worker process, keyed by what they are made of (see
# _content_version), so a new issue or achievement is never served from a stale rendering.
_CONTENTS: dict[tuple, tuple[DigestContent, RawDigest | None]] = {}
_CONTENTS_MAX = 2048


def _content_version(period: DigestPeriod) -> tuple:
    """What a period's digests are rendered from, in two small queries: the latest issue (and
    when it last changed) and the public achievements published in the window (how many, the
    last change)."""
    issue = latest_issue()
    zone = timezone.get_current_timezone()
    window = Achievement.objects.filter(
        status__in=achievement_rules.PUBLIC_STATUSES,
        published_at__gte=timezone.make_aware(datetime.combine(period.window_start, time.min), zone),
        published_at__lt=timezone.make_aware(datetime.combine(period.window_end, time.min), zone),
    ).aggregate(count=Count("pk"), changed=Max("updated_at"))
    issue_version = (issue.pk, issue.updated_at) if issue else None
    return (issue_version, window["count"], window["changed"])


def _cached(period: DigestPeriod, field_ids: frozenset[int], version: tuple) -> tuple[DigestContent, RawDigest | None]:
    """The rendering and its serialised form, made once per worker and what they are made of."""
    key = (period.key, field_ids, version)
    cached = _CONTENTS.get(key)
    if cached is None:
        if len(_CONTENTS) >= _CONTENTS_MAX:
            _CONTENTS.clear()
        content = digest_content(period.key, period.window_start, period.window_end, field_ids)
        cached = _CONTENTS[key] = (content, RawDigest.of(content))
    return cached


def _message_id_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def message_id(delivery: DigestDelivery) -> str:
    """The same for every attempt at one delivery, so the mail server's log identifies it (written
    in SQL for a whole group by _message_id_column)."""
    return f"<digest.{delivery.period}.{delivery.subscription_id}@{_message_id_domain()}>"


def build_message(delivery: DigestDelivery, content: DigestContent, connection=None) -> EmailMultiAlternatives:
    """The digest e-mail of one delivery: text and HTML parts, its Message-ID and the
    one-click unsubscribe headers."""
    return _message(
        content,
        to=delivery.email,
        message_id=message_id(delivery),
        link=unsubscribe_url(delivery.subscription),
        connection=connection,
    )


def _message(content: DigestContent, *, to: str, message_id: str, link: str, connection=None):
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=content.text.replace(LINK_MARK, link),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(content.html.replace(LINK_MARK, link), "text/html")
    return message


# The headers that differ between two subscribers of one digest (written per message by RawDigest).
_OWN_HEADERS = frozenset({b"to", b"date", b"message-id", b"list-unsubscribe"})
_TRANSFER_ENCODING = re.compile(rb"^Content-Transfer-Encoding:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class RawDigest:
    """A digest serialised once, as build_message's MIME message would be, for every subscriber of
    it: the headers common to all of them, and the body cut where the unsubscribe link goes. A
    subscriber's message is then those bytes with their To, Date, Message-ID, List-Unsubscribe
    and link put in, instead of a MIME tree built and serialised per message."""

    head: bytes
    body: tuple[bytes, ...]
    link_room: int  # the longest link every line that holds one stays within SMTP's 998 bytes with

    @classmethod
    def of(cls, content: DigestContent) -> RawDigest | None:
        """None when the parts would not carry the link as it is (quoted-printable or base64 for
        lines longer than SMTP allows): those digests are built per message."""
        raw = (
            _message(content, to="recipient@digest.invalid", message_id="<id@digest.invalid>", link=LINK_MARK)
            .message()
            .as_bytes(linesep="\r\n")
        )
        head, _sep, body = raw.partition(b"\r\n\r\n")
        if any(value.lower() not in (b"7bit", b"8bit") for value in _TRANSFER_ENCODING.findall(body)):
            return None
        mark = LINK_MARK.encode()
        if body.count(mark) != content.text.count(LINK_MARK) + content.html.count(LINK_MARK):
            return None
        room = min(
            (
                (998 - len(line) + len(mark) * line.count(mark)) // line.count(mark)
                for line in body.split(b"\r\n")
                if mark in line
            ),
            default=998,
        )
        kept, own = [], False
        for line in head.split(b"\r\n"):
            if line[:1] not in (b" ", b"\t"):  # not the continuation of a folded header
                own = line.partition(b":")[0].strip().lower() in _OWN_HEADERS
            if not own:
                kept.append(line + b"\r\n")
        return cls(
            head=b"".join(kept), body=tuple(body.split(mark)), link_room=min(room, 998 - len("List-Unsubscribe: <>"))
        )

    def render(self, *, to: str, message_id: str, link: str) -> bytes:
        """The message for one recipient (an ASCII address and a link within link_room: see _outgoing)."""
        date = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
        own = f"To: {to}\r\nDate: {date}\r\nMessage-ID: {message_id}\r\nList-Unsubscribe: <{link}>\r\n\r\n"
        return self.head + own.encode("ascii") + link.encode("ascii").join(self.body)


# Planning and sending -------------------------------------------------------------------------


def digest_plan(*, frequency: str, day: date) -> tuple[DigestPeriod, int]:
    """Write the period's deliveries for every active subscription of that frequency (those
    already planned are skipped by the unique constraint). Returns the period and how many rows
    are queued for it in all."""
    period = DigestPeriod.of(frequency, day)
    subscriptions = (
        Subscription.objects.filter(status=SubscriptionStatus.ACTIVE, frequency=frequency)
        .exclude(deliveries__period=period.key)
        .values_list("pk", "email")
        .order_by("pk")
    )
    batch = []
    for pk, email in subscriptions.iterator(chunk_size=PLAN_BATCH):
        batch.append(DigestDelivery(subscription_id=pk, period=period.key, email=email))
        if len(batch) >= PLAN_BATCH:
            DigestDelivery.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        DigestDelivery.objects.bulk_create(batch, ignore_conflicts=True)
    queued = DigestDelivery.objects.filter(period=period.key, status=DeliveryStatus.QUEUED).count()
    return period, queued


def digest_claim(*, worker: str, batch_size: int = 200, now: datetime | None = None) -> list[int]:
    """Claim up to `batch_size` queued deliveries due now for `worker`, skipping rows other
    workers hold; returns their ids (committed as `claimed` before anything is sent)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            DigestDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.QUEUED)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("id")
            .values_list("pk", flat=True)[:batch_size]
        )
        if ids:
            DigestDelivery.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.CLAIMED, claimed_by=worker[:100], claimed_at=now
            )
    return ids


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2**attempts)


def digest_send_claimed(*, ids: list[int], worker: str) -> dict[str, int]:
    """Send the claimed deliveries over one SMTP connection, SENDING_GROUP at a time: a group's
    rows are marked `sending` (one committed UPDATE guarded by the claim) before its first message
    goes out, and the ones the server took are marked `sent` in the same transaction that starts
    the next group — so a worker has at most one group `sending` at any time. See the module
    docstring for what a failure leaves. Returns counts by outcome."""
    counts = {"sent": 0, "retry": 0, "failed": 0, "ambiguous": 0, "skipped": 0}
    deliveries = list(
        DigestDelivery.objects.filter(pk__in=ids, status=DeliveryStatus.CLAIMED, claimed_by=worker)
        .select_related("subscription")
        .order_by("id")
    )
    fields_of: dict[int, set[int]] = {}
    for subscription_id, field_id in Subscription.industry_fields.through.objects.filter(
        subscription_id__in=[d.subscription_id for d in deliveries]
    ).values_list("subscription_id", "industryfield_id"):
        fields_of.setdefault(subscription_id, set()).add(field_id)
    versions: dict[str, tuple] = {}
    sent: list[int] = []  # sent, still marked `sending`
    sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)
    connection = get_connection()
    try:
        connection.open()
        for start in range(0, len(deliveries), SENDING_GROUP):
            group = []
            for delivery in deliveries[start : start + SENDING_GROUP]:
                try:
                    period = _period_of(delivery.period)
                    if period.key not in versions:
                        versions[period.key] = _content_version(period)
                    fields = frozenset(fields_of.get(delivery.subscription_id, ()))
                    content, raw = _cached(period, fields, versions[period.key])
                    group.append((delivery, _outgoing(connection, sender, delivery, content, raw)))
                except Exception as exc:
                    logger.exception("digest delivery %s could not be built", delivery.pk)
                    DigestDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.CLAIMED).update(
                        status=DeliveryStatus.FAILED,
                        attempts=delivery.attempts + 1,
                        last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    )
                    counts["failed"] += 1
            started = _start_sending([delivery.pk for delivery, _send in group], worker, sent)
            sent = []
            for delivery, send in group:
                if delivery.pk not in started:
                    counts["skipped"] += 1  # swept back to the queue meanwhile: another worker has it now
                    continue
                outcome = _send_one(connection, send, delivery)
                if outcome == "sent":
                    sent.append(delivery.pk)
                counts[outcome] += 1
        _start_sending([], worker, sent)
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("closing the SMTP connection failed", exc_info=True)
    return counts


def _outgoing(connection, sender: str, delivery: DigestDelivery, content: DigestContent, raw: RawDigest | None):
    """What sends one delivery's message: over an SMTP connection, the digest's serialised bytes
    with this subscriber's parts put in; otherwise (another backend, an address or link that is
    not ASCII or too long for the line it goes in, a digest without RawDigest) a message built by
    build_message."""
    if raw is not None and isinstance(connection, SMTPBackend):
        link = unsubscribe_url(delivery.subscription)
        if delivery.email.isascii() and link.isascii() and len(link) <= raw.link_room:
            payload = raw.render(to=delivery.email, message_id=message_id(delivery), link=link)
            return lambda: connection.connection.sendmail(sender, [delivery.email], payload)
    message = build_message(delivery, content, connection)
    return lambda: connection.send_messages([message])


def _message_id_column():
    """message_id() in SQL, for a whole group in one UPDATE."""
    return Concat(
        Value("<digest."),
        "period",
        Value("."),
        Cast("subscription_id", CharField()),
        Value(f"@{_message_id_domain()}>"),
        output_field=CharField(),
    )


def _start_sending(group: list[int], worker: str, sent: list[int]) -> set[int]:
    """In one transaction (one commit): the messages the server took `sent`, and the group's rows
    this worker still holds `sending`. Returns the ids of those; the sent ones are recorded
    either way."""
    now = timezone.now()
    with transaction.atomic():
        if sent:
            DigestDelivery.objects.filter(pk__in=sent, status=DeliveryStatus.SENDING).update(
                status=DeliveryStatus.SENT, sent_at=now
            )
        if not group:
            return set()
        started = DigestDelivery.objects.filter(pk__in=group, status=DeliveryStatus.CLAIMED, claimed_by=worker).update(
            status=DeliveryStatus.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            message_id=_message_id_column(),
        )
        if started == len(group):
            return set(group)
        return set(
            DigestDelivery.objects.filter(
                pk__in=group, status=DeliveryStatus.SENDING, claimed_by=worker, claimed_at=now
            ).values_list("pk", flat=True)
        )


def _send_one(connection, send, delivery: DigestDelivery) -> str:
    """Send one message whose row is `sending`. On success the row stays `sending` until the
    next group starts (`_start_sending`)."""
    attempts = delivery.attempts + 1
    row = DigestDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING)
    try:
        send()
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        # The server answered with an error: it did not take the message.
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if attempts >= DIGEST_MAX_ATTEMPTS or isinstance(exc, smtplib.SMTPRecipientsRefused):
            row.update(status=DeliveryStatus.FAILED, last_error=error)
            return "failed"
        row.update(status=DeliveryStatus.QUEUED, last_error=error, next_attempt_at=timezone.now() + _backoff(attempts))
        return "retry"
    except Exception as exc:
        row.update(status=DeliveryStatus.AMBIGUOUS, last_error=f"{type(exc).__name__}: {exc}"[:2000])
        connection.close()
        connection.open()
        return "ambiguous"
    return "sent"


def _period_of(key: str) -> DigestPeriod:
    frequency, _sep, rest = key.partition("-")
    if frequency == DigestFrequency.WEEKLY:
        day = date.fromisocalendar(int(rest[:4]), int(rest[6:8]), 1)
    else:
        day = date(int(rest[:4]), int(rest[5:7]), 1)
    return DigestPeriod.of(frequency, day)


def digest_sweep(*, older_than: timedelta = CLAIM_TIMEOUT, now: datetime | None = None) -> dict[str, int]:
    """Recover what dead workers left: claims older than `older_than` go back to the queue (they
    were never sent); rows left `sending` become `ambiguous` for staff to reconcile."""
    cutoff = (now or timezone.now()) - older_than
    requeued = DigestDelivery.objects.filter(status=DeliveryStatus.CLAIMED, claimed_at__lt=cutoff).update(
        status=DeliveryStatus.QUEUED, claimed_by="", claimed_at=None
    )
    ambiguous = DigestDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff).update(
        status=DeliveryStatus.AMBIGUOUS, last_error=_("The worker stopped while sending; check the mail log.")
    )
    return {"requeued": requeued, "ambiguous": ambiguous}


def digest_send_all(*, worker: str, batch_size: int = 200) -> dict[str, int]:
    """Claim and send batches until nothing is due (the command's and a task's loop)."""
    totals = {"sent": 0, "retry": 0, "failed": 0, "ambiguous": 0, "skipped": 0}
    while ids := digest_claim(worker=worker, batch_size=batch_size):
        for name, value in digest_send_claimed(ids=ids, worker=worker).items():
            totals[name] += value
    return totals


@transaction.atomic
def delivery_resend(*, delivery: DigestDelivery) -> DigestDelivery:
    """Staff put a failed or ambiguous delivery back in the queue (after checking the mail log
    for an ambiguous one). Sent ones are left alone."""
    delivery = DigestDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.AMBIGUOUS):
        raise ValidationError(_("Only failed or unknown deliveries are sent again."))
    delivery.status = DeliveryStatus.QUEUED
    delivery.attempts = 0
    delivery.next_attempt_at = None
    delivery.claimed_by = ""
    delivery.claimed_at = None
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_by", "claimed_at"])
    return delivery


@transaction.atomic
def delivery_mark_sent(*, delivery: DigestDelivery) -> DigestDelivery:
    """Staff found an ambiguous delivery in the mail server's log: it went out."""
    delivery = DigestDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != DeliveryStatus.AMBIGUOUS:
        raise ValidationError(_("Only unknown deliveries are reconciled."))
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = delivery.claimed_at or timezone.now()
    delivery.message_id = message_id(delivery)
    delivery.save(update_fields=["status", "sent_at", "message_id"])
    return delivery
