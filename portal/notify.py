"""Notification channels and at-least-once delivery.

A message for a recipient on a channel is a ``Delivery`` row, unique on (event_key, recipient, channel), so
a duplicate cannot exist whatever runs twice (Celery redelivery, two beats, a retried task, a manual
``send_alerts --once``). Sending is at-least-once:

1. claim: ``UPDATE … SET status='sending', lease_until=now+LEASE, attempts=attempts+1`` where the row is
   pending and due, or sending with an expired lease (its worker died between claim and send);
2. send through the channel;
3. finish: ``UPDATE … SET status='sent'`` fenced by the attempt number, so a worker whose lease expired
   cannot overwrite the outcome of the one that took over.

The in-app channel writes its ``Notification`` in the same transaction as step 3 (one-to-one with the
delivery), so the inbox gets exactly one row. Email and webhook can, in the rare case of a crash after the
send and before step 3, send twice; a lost alert is worse than a repeated one (README, "Pemberitahuan").
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import hmac
import itertools
import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext

from portal.choices import Role
from portal.models import Delivery, DeliveryAttempt, Kecamatan, Notification, User, WebhookEndpoint
from portal.queue import enqueue

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
WEBHOOK_TIMEOUT = 10
WEBHOOK_DISABLE_AFTER = 5


class TransientError(Exception):
    """Worth retrying later (network down, 5xx, timeout)."""


class PermanentError(Exception):
    """Retrying will not help (4xx, no address)."""


def lease() -> dt.timedelta:
    """How long a claim holds before another worker may take the delivery over (its worker presumed dead)."""
    return dt.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


def backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=2**attempts), dt.timedelta(hours=6))


# Payloads ---------------------------------------------------------------------------------------------
#
# A payload is written once per event and shown as it is to every recipient, on every channel (inbox,
# email, webhook), so its texts are rendered once, when it is built (``payload_build``), in the office language
# (settings.LANGUAGE_CODE) — the language the workers send email in — and never in the language of
# whichever request happened to cause the event. Storing msgid and values instead would move the
# translation into the inbox, the API, the email and the webhook receivers, and a msgid edited in a later
# release would no longer find old rows' translations.


# Many payloads are built at once inside ``payloads_batch``: the office language is entered once, and what
# cannot change within the batch (a msgid's translation, a route's link) is looked up once, in this memo.
_batch_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("notify_batch_memo", default=None)


def _render(msgid: str, values: Mapping[str, object]) -> str:
    memo = _batch_memo.get()
    if memo is None:
        return gettext(msgid) % values
    translated = memo.get(msgid)
    if translated is None:
        translated = memo[msgid] = gettext(msgid)
    return translated % values


def _joined(texts: Sequence[Promise | str], sep: str) -> str:
    return sep.join(str(text) for text in texts)


# Built once: ``lazy()`` makes a new proxy class on every call, which cost 100 µs a text — more than the whole
# delivery row of an alert pass that renders 15,000 of them.
_lazy_render = lazy(_render, str)
_lazy_joined = lazy(_joined, str)


def text(msgid: str, /, **values: object) -> Promise:
    """A notification text: its msgid, marked where it is written with ``gettext_noop``, and the values of
    its ``%(name)s`` placeholders. Rendered by ``payload_build``; a value that is itself lazy (a choice label, a
    model whose ``__str__`` translates, another ``text``) renders in the same language."""
    return _lazy_render(msgid, values)


def join(texts: Sequence[Promise | str], sep: str = "\n") -> Promise:
    """Texts joined (by default one per line), rendered by ``payload_build``: a message built from parts,
    e.g. the weekly digest."""
    return _lazy_joined(list(texts), sep)


# A marker far beyond any primary key, so it cannot be mistaken for part of a route's own text.
_LINK_MARKER = 918_273_645_546_372_819


def _link_template(url_name: str, arity: int) -> str | None:
    """The route reversed with marker ids, as a ``str.format`` template; None when the route does not take
    them as plain integers (its converter refused the marker or rewrote it)."""
    markers = [_LINK_MARKER + n for n in range(arity)]
    try:
        url = reverse(url_name, args=markers)
    except NoReverseMatch:
        return None
    if any(url.count(str(marker)) != 1 for marker in markers):
        return None
    template = url.replace("{", "{{").replace("}", "}}")
    for n, marker in enumerate(markers):
        template = template.replace(str(marker), f"{{{n}}}")
    return template


def link(url_name: str, *, args: Sequence = (), query: Mapping[str, object] | None = None) -> str:
    """A site-relative link by URL name (``reverse``), never a typed path; email and webhook make it absolute.

    ``reverse`` costs ~40 µs (it tries each candidate pattern as a regular expression): an alert pass building
    15,000 payloads spent more there than in the database. Inside ``payloads_batch``, a link whose arguments
    are ids (non-negative integers) is filled into its route as ``reverse`` gave it once for the batch."""
    url = None
    memo = _batch_memo.get()
    if memo is not None and args and all(type(arg) is int and arg >= 0 for arg in args):
        key = (url_name, len(args))
        if key not in memo:
            memo[key] = _link_template(url_name, len(args))
        if memo[key] is not None:
            url = memo[key].format(*args)
    if url is None:
        url = reverse(url_name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


def payload_build(
    *,
    title: Promise,
    message: Promise,
    url_name: str,
    args: Sequence = (),
    query: Mapping[str, object] | None = None,
    **extra: object,
) -> dict:
    """The payload of one event's deliveries: title, message and link, plus the keys of its kind (``extra``:
    ``kind``, ``desa``, ``obligation_id`` …). Texts come from ``text``/``join``, so they cannot skip the
    translation catalogue."""
    if not (isinstance(title, Promise) and isinstance(message, Promise)):
        raise TypeError("notification texts are built with notify.text(gettext_noop(...), ...)")
    if _batch_memo.get() is not None:  # in a batch: the office language is on already
        return _payload(title, message, link(url_name, args=args, query=query), extra)
    with payloads_batch():
        return _payload(title, message, link(url_name, args=args, query=query), extra)


def _payload(title: Promise, message: Promise, url: str, extra: Mapping[str, object]) -> dict:
    return {"title": str(title), "message": str(message), "link": url, **extra}


@contextmanager
def payloads_batch() -> Iterator[None]:
    """Around code that builds many payloads (an alert pass builds tens of thousands): the office language
    is entered once, not once a payload, and each msgid's translation and each route's link are looked up
    once. Nothing inside may switch languages or URLconfs."""
    if _batch_memo.get() is not None:
        yield
        return
    with translation.override(settings.LANGUAGE_CODE):
        token = _batch_memo.set({})
        try:
            yield
        finally:
            _batch_memo.reset(token)


def channels_for(user: User) -> list[str]:
    """The in-app inbox cannot be switched off; email and webhook follow the user's choice."""
    channels = [Delivery.Channel.INAPP]
    if user.notify_email and user.email:
        channels.append(Delivery.Channel.EMAIL)
    if user.notify_webhook and user.phone:
        channels.append(Delivery.Channel.WEBHOOK)
    return channels


class Outgoing(NamedTuple):
    """A delivery row to insert: plain values, not a model instance (a pass writes tens of thousands). The payload
    is a dict or, from a caller that builds many at once (``monev.alerts``), its JSON text already."""

    event_key: str
    kind: str
    channel: str
    recipient_id: int
    kecamatan_id: int | None
    desa_id: int | None
    payload: dict | str


def deliveries_build(
    *,
    event_key: str,
    kind: str,
    recipients: Iterable[User],
    kecamatan_id: int | None,
    desa_id: int | None,
    payload: dict | str,
) -> list[Outgoing]:
    """The delivery rows of one event: one per recipient and channel that recipient uses. A recipient is a
    ``User`` or any row with its notification fields (``id``, ``is_active``, ``email``, ``phone``,
    ``notify_email``, ``notify_webhook``)."""
    return [
        Outgoing(event_key, kind, channel, user.id, kecamatan_id, desa_id, payload)
        for user in recipients
        if user.is_active
        for channel in channels_for(user)
    ]


def deliveries_insert(rows: Iterable[Outgoing]) -> list[tuple[int, str]]:
    """Insert; rows whose (event, recipient, channel) exists already are skipped by the unique key, so
    inserting the same event twice is harmless. Returns (id, channel) of the rows that are new.

    ``rows`` may be a generator: on PostgreSQL each row is streamed to the database as it comes, so building
    the next rows (rendering their texts) runs while the database reads the last ones."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return []
    rows = itertools.chain([first], rows)
    # savepoint=False: one transaction is needed (the temporary table lives in it), not a savepoint in the caller's.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            return _insert_postgresql(rows)
        return _insert_generic(list(rows))


# COPY streams the rows into a table of the transaction's own; one INSERT … SELECT then lets the unique key skip
# the existing ones and returns the new ones, without a round trip or a model instance per row.
_INCOMING = (
    "CREATE TEMPORARY TABLE delivery_incoming (event_key varchar(120), kind varchar(20), channel varchar(10), "
    "recipient_id bigint, kecamatan_id bigint, desa_id bigint, payload jsonb) ON COMMIT DROP"
)
_INCOMING_INSERT = (
    "INSERT INTO portal_delivery (event_key, kind, channel, recipient_id, kecamatan_id, desa_id, payload, status, "
    "attempts, next_attempt_at, last_error, created_at) "
    "SELECT event_key, kind, channel, recipient_id, kecamatan_id, desa_id, payload, %s, 0, %s, '', %s "
    "FROM delivery_incoming ON CONFLICT (event_key, recipient_id, channel) DO NOTHING RETURNING id, channel"
)


def _insert_postgresql(rows: Iterable[Outgoing]) -> list[tuple[int, str]]:
    now = timezone.now()
    # An event's payload is one dict shared by its rows, which come one after the other: serialised once.
    last, dumped = None, ""
    with connection.cursor() as cursor:
        cursor.execute(_INCOMING)
        with cursor.cursor.copy(  # psycopg's own cursor: Django's wrapper has no COPY
            "COPY delivery_incoming (event_key, kind, channel, recipient_id, kecamatan_id, desa_id, payload) FROM STDIN"
        ) as copy:
            for row in rows:
                if row.payload is not last:
                    last = row.payload
                    dumped = last if isinstance(last, str) else json.dumps(last)
                copy.write_row((*row[:6], dumped))
        cursor.execute(_INCOMING_INSERT, [Delivery.Status.PENDING, now, now])
        new = [(pk, channel) for pk, channel in cursor.fetchall()]
        cursor.execute("DROP TABLE delivery_incoming")  # a second insert in the same transaction makes it again
    return new


def _insert_generic(rows: Sequence[Outgoing]) -> list[tuple[int, str]]:
    now = timezone.now()
    events = Delivery.objects.filter(event_key__in={row.event_key for row in rows})
    # Only to tell which rows are new (the unique key decides what is inserted): a row a concurrent pass
    # inserted meanwhile counts as ours, and is at worst handed to a worker twice, which its claim makes harmless.
    before = set(events.values_list("id", flat=True))
    Delivery.objects.bulk_create(
        [Delivery(**row._replace(payload=_loaded(row.payload))._asdict(), next_attempt_at=now) for row in rows],
        ignore_conflicts=True,
        batch_size=2000,
    )
    return [(pk, channel) for pk, channel in events.values_list("id", "channel") if pk not in before]


def _loaded(payload: dict | str) -> dict:
    return json.loads(payload) if isinstance(payload, str) else payload


def deliveries_create(
    *, event_key: str, kind: str, recipients: Iterable[User], kecamatan_id: int, desa_id: int | None, payload: dict
) -> int:
    """Create the deliveries of one event; returns how many are new (calling twice creates nothing more)."""
    rows = deliveries_build(
        event_key=event_key,
        kind=kind,
        recipients=recipients,
        kecamatan_id=kecamatan_id,
        desa_id=desa_id,
        payload=payload,
    )
    return len(deliveries_insert(rows))


def admins() -> QuerySet[User]:
    """Who hears of the install's own troubles (health incidents, a failed backup): the portal administrators
    (``User.is_portal_admin``: superusers and role admin), active ones."""
    return User.objects.filter(Q(is_superuser=True) | Q(role=Role.ADMIN), is_active=True).order_by("pk")


def admins_notify(*, event_key: str, payload: dict, send_here: bool = False) -> list[tuple[int, str]]:
    """One install-wide notice to every administrator, once per ``event_key`` (the delivery's unique key skips it
    where it exists: calling again, from another process too, creates nothing). It belongs to no kecamatan: no
    kecamatan's delivery log shows it, only the administrators' (portal 0009).

    ``send_here``: deliver in this process instead of handing over to the workers — for an incident that may be
    a dead worker or broker. A failed send stays pending for the sweeper. Returns the new (id, channel)."""
    recipients = list(admins())
    if not recipients:
        log.error("notice %s not sent: no active administrator", event_key)
        return []
    rows = [
        row
        for user in recipients
        for row in deliveries_build(
            event_key=event_key,
            kind=Notification.Kind.SYSTEM,
            recipients=[user],
            kecamatan_id=None,
            desa_id=None,
            payload=payload,
        )
    ]
    with transaction.atomic():
        new = deliveries_insert(rows)
        if not send_here:
            transaction.on_commit(lambda: deliveries_hand_over(new))
    if send_here:
        for pk, _channel in new:
            try:
                deliver(pk)
            except Exception:  # stays pending: the sweeper retries it
                log.exception("notice delivery %s", pk)
    return new


def deliveries_hand_over(new: Sequence[tuple[int, str]]) -> None:
    """Hand new deliveries ((id, channel) from ``deliveries_insert``) to the workers after the commit: one batch
    task for all in-app ones (they are only rows to write), one task per email/webhook delivery (each talks to
    a remote server and retries on its own). A lost message is found by the minute sweeper."""
    if any(channel == Delivery.Channel.INAPP for _pk, channel in new):
        enqueue("workers.tasks.dispatch_inapp_task")
    for pk, channel in new:
        if channel != Delivery.Channel.INAPP:
            enqueue("workers.tasks.deliver_task", pk)


def _claimable(now: dt.datetime) -> Q:
    """Worth a try now: pending and due, or claimed by a worker whose lease ran out."""
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Delivery.Status.SENDING, lease_until__lt=now
    )


def due_ids(*, now: dt.datetime, limit: int = 500) -> list[int]:
    """Deliveries worth a try now: pending and due, or claimed by a worker whose lease ran out."""
    return list(
        Delivery.objects.filter(_claimable(now)).order_by("next_attempt_at").values_list("id", flat=True)[:limit]
    )


def claim(delivery_id: int, *, now: dt.datetime) -> Delivery | None:
    won = Delivery.objects.filter(_claimable(now), pk=delivery_id).update(
        status=Delivery.Status.SENDING, lease_until=now + lease(), attempts=F("attempts") + 1
    )
    if not won:
        return None
    return Delivery.objects.select_related("recipient", "kecamatan").get(pk=delivery_id)


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> str:
    """Claim, send and record one delivery. Returns the outcome ('sent', 'retry', 'failed', 'skipped')."""
    now = now or timezone.now()
    delivery = claim(delivery_id, now=now)
    if delivery is None:
        return "skipped"  # someone else has it, or it is done
    try:
        if delivery.channel == Delivery.Channel.INAPP:
            return _finish_inapp(delivery)
        if delivery.channel == Delivery.Channel.EMAIL:
            _send_email(delivery)
        else:
            _send_webhook(delivery)
    except TransientError as exc:
        return _finish_failure(delivery, str(exc), permanent=False)
    except PermanentError as exc:
        return _finish_failure(delivery, str(exc), permanent=True)
    return _finish_sent(delivery)


def _fenced(delivery: Delivery):
    """The row as long as it is still this attempt's: a stale worker cannot overwrite a newer outcome."""
    return Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING, attempts=delivery.attempts)


@transaction.atomic
def _finish_inapp(delivery: Delivery) -> str:
    # One notification per delivery (one-to-one key): a second finish after a lost lease adds nothing.
    Notification.objects.bulk_create([_notification_of(delivery)], ignore_conflicts=True)
    return _finish_sent(delivery)


def _finish_sent(delivery: Delivery) -> str:
    with transaction.atomic():
        updated = _fenced(delivery).update(status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="")
        DeliveryAttempt.objects.create(delivery=delivery, outcome="sent" if updated else "sent-late")
    return "sent"


def _finish_failure(delivery: Delivery, error: str, *, permanent: bool) -> str:
    give_up = permanent or delivery.attempts >= MAX_ATTEMPTS
    with transaction.atomic():
        if give_up:
            _fenced(delivery).update(status=Delivery.Status.FAILED, last_error=error)
        else:
            _fenced(delivery).update(
                status=Delivery.Status.PENDING,
                last_error=error,
                next_attempt_at=timezone.now() + backoff(delivery.attempts),
            )
        DeliveryAttempt.objects.create(delivery=delivery, outcome="failed" if give_up else "retry", error=error)
    log.warning("delivery %s %s: %s", delivery.pk, "failed" if give_up else "will retry", error)
    return "failed" if give_up else "retry"


def delivery_retry(*, delivery: Delivery) -> None:
    """Admin action: try a failed delivery again now."""
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )


# Channels ---------------------------------------------------------------------------------------------


def _absolute(link: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{link}" if link.startswith("/") else link


def _send_email(delivery: Delivery) -> None:
    recipient = delivery.recipient
    if not recipient.email:
        raise PermanentError("pengguna tidak punya alamat email")
    context = {"payload": delivery.payload, "user": recipient, "url": _absolute(delivery.payload.get("link", ""))}
    with translation.override(settings.LANGUAGE_CODE):  # the frame in the payload's language, even if sent inline
        body, html = render_to_string("notify/email.txt", context), render_to_string("notify/email.html", context)
    message = EmailMultiAlternatives(
        subject=f"[Pantau Desa] {delivery.payload['title']}", body=body, to=[recipient.email]
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError(f"email ditolak server: {exc}") from exc
    except smtplib.SMTPResponseException as exc:
        # 5xx will not improve (bad address, policy); 4xx is the server asking to try later.
        if exc.smtp_code >= 500:
            raise PermanentError(f"email: {exc.smtp_code} {exc.smtp_error!r}") from exc
        raise TransientError(f"email: {exc.smtp_code} {exc.smtp_error!r}") from exc
    except (OSError, TimeoutError) as exc:  # connection refused, DNS, timeout (smtplib errors are OSErrors too)
        raise TransientError(f"email: {exc}") from exc


def webhook_for(kecamatan: Kecamatan | None) -> WebhookEndpoint | None:
    endpoints = WebhookEndpoint.objects.filter(Q(kecamatan=kecamatan) | Q(kecamatan__isnull=True), active=True)
    return sorted(endpoints, key=lambda e: e.kecamatan_id is None)[0] if endpoints else None


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _send_webhook(delivery: Delivery) -> None:
    endpoint = webhook_for(delivery.kecamatan)
    if endpoint is None:
        raise PermanentError("tidak ada webhook aktif untuk kecamatan ini")
    recipient = delivery.recipient
    body = json.dumps(
        {
            "delivery_id": delivery.pk,
            "event": delivery.event_key,
            "kind": delivery.kind,
            "recipient": {"username": recipient.username, "name": recipient.get_full_name(), "phone": recipient.phone},
            **delivery.payload,
            "link": _absolute(delivery.payload.get("link", "")),
        },
        ensure_ascii=False,
    ).encode()
    request = urllib.request.Request(  # noqa: S310  (URL set by an admin, http/https only: URLField)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Pantau-Signature": sign(endpoint.secret, body),
            "X-Pantau-Delivery": str(delivery.pk),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (408, 429) or exc.code >= 500:
            raise TransientError(f"webhook HTTP {exc.code}") from exc
        _webhook_failed(endpoint, f"HTTP {exc.code}")
        raise PermanentError(f"webhook HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise TransientError(f"webhook: {exc}") from exc
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)


def _webhook_failed(endpoint: WebhookEndpoint, error: str) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    WebhookEndpoint.objects.filter(pk=endpoint.pk, consecutive_failures__gte=WEBHOOK_DISABLE_AFTER, active=True).update(
        active=False,
        disabled_at=timezone.now(),
        disabled_reason=f"Dinonaktifkan otomatis setelah {WEBHOOK_DISABLE_AFTER} kegagalan berturut-turut ({error}).",
    )


INAPP_BATCH = 5000


def dispatch_inapp_batch(*, now: dt.datetime, limit: int | None = None) -> int:
    """In-app deliveries in bulk: claim a batch (due and pending, or claimed by a worker whose lease ran out)
    with one conditional UPDATE, write their notifications and mark them sent in the same transaction.
    Equivalent to ``deliver`` one by one, without its round trips. Returns how many were sent."""
    limit = limit or INAPP_BATCH
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _dispatch_inapp_postgresql(now, limit)
        return _dispatch_inapp_generic(now, limit)


# One statement: claim (the condition of ``_claimable``; SKIP LOCKED: concurrent dispatchers take different
# rows, none waits), finish, and write each claimed delivery's notification and attempt log. Claim and finish
# are one UPDATE because nothing outside this transaction can see between them; the attempt number still goes
# up, so a worker that claimed a row through ``deliver`` and lost its lease finds its finish fenced off. The
# notification's one-to-one key keeps a second notification out whatever a stale worker does.
_DISPATCH_INAPP = """
WITH due AS (
    SELECT id FROM portal_delivery
    WHERE channel = %(inapp)s
      AND ((status = %(pending)s AND next_attempt_at <= %(now)s) OR (status = %(sending)s AND lease_until < %(now)s))
    ORDER BY id LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), sent AS (
    UPDATE portal_delivery d
    SET status = %(sent)s, attempts = d.attempts + 1, lease_until = %(lease_until)s, sent_at = %(at)s, last_error = ''
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.recipient_id, d.kind, d.payload
), noted AS (
    INSERT INTO portal_notification (recipient_id, delivery_id, kind, title, message, link, desa_kode,
                                     document_type_code, obligation_id, created_at)
    SELECT recipient_id, id, kind, payload ->> 'title', payload ->> 'message', COALESCE(payload ->> 'link', ''),
           COALESCE(payload ->> 'desa', ''), COALESCE(payload ->> 'document_type', ''),
           (payload ->> 'obligation_id')::bigint, %(at)s
    FROM sent
    ON CONFLICT (delivery_id) DO NOTHING
), logged AS (
    INSERT INTO portal_deliveryattempt (delivery_id, at, outcome, error) SELECT id, %(at)s, 'sent', '' FROM sent
)
SELECT count(*) FROM sent
"""


def _dispatch_inapp_postgresql(now: dt.datetime, limit: int) -> int:
    params = {
        "inapp": Delivery.Channel.INAPP,
        "pending": Delivery.Status.PENDING,
        "sending": Delivery.Status.SENDING,
        "sent": Delivery.Status.SENT,
        "now": now,
        "limit": limit,
        "lease_until": now + lease(),
        "at": timezone.now(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_DISPATCH_INAPP, params)
        return cursor.fetchone()[0]


def _dispatch_inapp_generic(now: dt.datetime, limit: int) -> int:
    ids = list(
        Delivery.objects.filter(_claimable(now), channel=Delivery.Channel.INAPP)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    if not ids:
        return 0
    claimed = _claim_many(ids, now=now)
    rows = list(Delivery.objects.filter(pk__in=claimed))
    Notification.objects.bulk_create([_notification_of(d) for d in rows], ignore_conflicts=True)
    Delivery.objects.filter(pk__in=claimed, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    DeliveryAttempt.objects.bulk_create([DeliveryAttempt(delivery_id=pk, outcome="sent") for pk in claimed])
    return len(claimed)


def _claim_many(ids: list[int], *, now: dt.datetime) -> list[int]:
    """``claim`` for many rows: the condition of ``_claimable``, one conditional UPDATE."""
    table = Delivery._meta.db_table
    placeholders = ",".join(["%s"] * len(ids))
    sql = (
        f"UPDATE {table} SET status = %s, lease_until = %s, attempts = attempts + 1 "  # noqa: S608
        f"WHERE id IN ({placeholders}) "
        "AND ((status = %s AND next_attempt_at <= %s) OR (status = %s AND lease_until < %s)) RETURNING id"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [Delivery.Status.SENDING, adapt(now + lease()), *ids]
    params += [Delivery.Status.PENDING, adapt(now), Delivery.Status.SENDING, adapt(now)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def dispatch_inapp(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """One run of the in-app task: one batch. When the batch was full more may be waiting, and the task is
    enqueued again after this commit rather than looping here, so a province's notices never hold one worker
    for minutes and other work queued meanwhile gets its turn."""
    limit = limit or INAPP_BATCH
    sent = dispatch_inapp_batch(now=now or timezone.now(), limit=limit)
    if sent >= limit:
        enqueue("workers.tasks.dispatch_inapp_task")
    return sent


def _notification_of(delivery: Delivery) -> Notification:
    payload = delivery.payload
    return Notification(
        recipient_id=delivery.recipient_id,
        delivery=delivery,
        kind=delivery.kind,
        title=payload["title"],
        message=payload["message"],
        link=payload.get("link", ""),
        desa_kode=payload.get("desa", ""),
        document_type_code=payload.get("document_type", ""),
        obligation_id=payload.get("obligation_id"),
    )


def dispatch_due(*, now: dt.datetime | None = None, limit: int = 5000) -> dict[str, int]:
    """Send every due delivery in this process (``send_alerts --once`` and tests)."""
    counts: dict[str, int] = {}
    now = now or timezone.now()
    while sent := dispatch_inapp_batch(now=now):
        counts["sent"] = counts.get("sent", 0) + sent
    for delivery_id in due_ids(now=now, limit=limit):
        outcome = deliver(delivery_id, now=now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
