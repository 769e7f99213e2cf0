"""Reminders, late notices and escalation — detected once, delivered at least once, never twice.

The pass (``alerts_detect``), run every minute by beat and by ``send_alerts --once``:

1. ``obligations_mark_overdue``: open obligations past their date move to 'terlambat' with a compare-and-set
   UPDATE; a Transition (the outbox) is written only for rows this pass won.
2. ``stages_pass``: obligations whose ``next_alert_at`` has come (partial index) are claimed with a
   compare-and-set on (next_alert_at, next_alert_stage); the winner writes the stage's deliveries and the
   next moment worth looking at, in one transaction.
3. ``transitions_process``: unprocessed alerting transitions are claimed (``processed_at``) and turned
   into deliveries in the same transaction, so a crash leaves them unclaimed for the next pass.

Deliveries are unique per (event, recipient, channel) — see ``portal.notify``.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from monev import rules
from monev.choices import Responsible
from monev.models import Obligation, Transition
from monev.services import obligations_mark_overdue
from portal import notify
from portal.calendar import WorkCalendar, calendar_for
from portal.choices import DESA_ROLES, Role
from portal.models import Notification, User
from portal.queue import enqueue

Kind = Notification.Kind


# Recipients and messages -------------------------------------------------------------------------------


def recipients(o: Obligation, audience: str) -> list[User]:
    """From roles and scope, never from a list typed somewhere."""
    if audience == "desa" and o.document_type.responsible == Responsible.KECAMATAN:
        audience = "kasi"  # the kecamatan's own duty: remind the kecamatan
    users = User.objects.filter(is_active=True)
    if audience == "desa":
        return list(users.filter(desa_id=o.desa_id, role__in=[r.value for r in DESA_ROLES]))
    role = Role.CAMAT if audience == "camat" else Role.KASI_TAPEM
    return list(users.filter(kecamatan_id=o.desa.kecamatan_id, role=role))


def _fmt(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "-"


# Title and message per kind, worded for whoever must hand the document in: the desa, or the Kasi Tapem for the
# kecamatan's own documents. Placeholders: title, desa, due, days, note, correction_due.
MESSAGES = {
    Kind.REMINDER: (
        gettext_noop("Pengingat: %(title)s Desa %(desa)s — tenggat %(due)s"),
        gettext_noop("%(title)s Desa %(desa)s harus dikirim paling lambat %(due)s (%(days)s hari lagi)."),
    ),
    Kind.LATE: (
        gettext_noop("Terlambat: %(title)s Desa %(desa)s"),
        gettext_noop(
            "%(title)s Desa %(desa)s belum dikirim, padahal tenggatnya %(due)s. Segera kirim melalui Pantau Desa."
        ),
    ),
    Kind.ESCALATION: (
        gettext_noop("Eskalasi: %(title)s Desa %(desa)s terlambat %(days)s hari"),
        gettext_noop(
            "%(title)s Desa %(desa)s belum dikirim %(days)s hari setelah tenggat %(due)s. Mohon arahan Camat."
        ),
    ),
    # The reviewer's note is free text that often ends with its own period: it closes the message, none added.
    Kind.RETURNED: (
        gettext_noop("Dikembalikan: %(title)s Desa %(desa)s"),
        gettext_noop(
            "Kiriman %(title)s dikembalikan untuk perbaikan. Kirim perbaikan paling lambat %(correction_due)s. "
            "Catatan: %(note)s"
        ),
    ),
    Kind.CORRECTION: (
        gettext_noop("Batas perbaikan %(title)s Desa %(desa)s: %(correction_due)s"),
        gettext_noop("Perbaikan %(title)s harus dikirim paling lambat %(correction_due)s (%(days)s hari lagi)."),
    ),
    Kind.AWAITING: (
        gettext_noop("Menunggu verifikasi: %(title)s Desa %(desa)s"),
        gettext_noop("%(title)s Desa %(desa)s sudah dikirim dan menunggu verifikasi lebih dari %(days)s hari kerja."),
    ),
}


# The same event told to the Kasi Tapem watching over a desa's document: not "send it" (that is the desa's
# part) but what it means for the kecamatan.
FOLLOW_UP = {
    Kind.LATE: (
        gettext_noop("Terlambat: %(title)s Desa %(desa)s"),
        gettext_noop(
            "%(title)s Desa %(desa)s terlambat %(days)s hari (tenggat %(due)s); "
            "tindak lanjuti: beri teguran atau hubungi desa."
        ),
    ),
}


def message(o: Obligation, kind: str, days: int = 0, note: str = "", *, audience: str = "desa") -> dict:
    """The payload of one alert of the obligation, worded for its audience (desa | kasi | camat)."""
    title, text = FOLLOW_UP[kind] if audience == "kasi" and kind in FOLLOW_UP else MESSAGES[kind]
    due = _fmt(o.due_date)
    values = {"title": o.title, "desa": o.desa.nama, "due": due, "days": days, "note": note or "-"}
    values["correction_due"] = _fmt(o.correction_due_date)
    return notify.payload_build(
        title=notify.text(title, **values),
        message=notify.text(text, **values),
        url_name="monev-obligation",
        args=[o.pk],
        kind=kind,
        obligation_id=o.pk,
        desa=o.desa.kode,
        document_type=o.document_type.code,
        due_date=due,
    )


def _emit(o: Obligation, event_key: str, kind: str, audience: str, days: int = 0, note: str = "") -> list[str]:
    created = notify.deliveries_create(
        event_key=event_key,
        kind=kind,
        recipients=recipients(o, audience),
        kecamatan_id=o.desa.kecamatan_id,
        desa_id=o.desa_id,
        payload=message(o, kind, days, note, audience=audience),
    )
    if created:
        transaction.on_commit(lambda: _enqueue_event(event_key))
    return [event_key] if created else []


def _enqueue_event(event_key: str) -> None:
    _enqueue_events([event_key])


# The pass -----------------------------------------------------------------------------------------------


def _calendars(obligations: list[Obligation]) -> dict[int, WorkCalendar]:
    out: dict[int, WorkCalendar] = {}
    for o in obligations:
        kid = o.desa.kecamatan_id
        if kid not in out:
            year = timezone.localdate().year
            out[kid] = calendar_for(kecamatan_id=kid, years=range(year - 1, year + 2))
    return out


def stages_pass(*, now: dt.datetime, batch: int = 1000) -> int:
    """Claim obligations whose alert moment has come; emit their due stage(s); store the next moment."""
    emitted = 0
    while True:
        due = list(
            Obligation.objects.filter(next_alert_at__lte=now)
            .select_related("desa", "document_type")
            .order_by("next_alert_at")[:batch]
        )
        if not due:
            return emitted
        calendars = _calendars(due)
        progressed = False
        for o in due:
            with transaction.atomic():
                cal = calendars[o.desa.kecamatan_id]
                fire = _stages_to_fire(o, cal, now)
                nxt = rules.next_alert_stage(o, cal, now)
                won = Obligation.objects.filter(
                    pk=o.pk, next_alert_at=o.next_alert_at, next_alert_stage=o.next_alert_stage
                ).update(next_alert_at=nxt.at if nxt else None, next_alert_stage=nxt.key if nxt else "")
                progressed |= bool(won)
                if won:
                    for stage in fire:
                        emitted += len(_emit(o, f"st:{o.pk}:{stage.key}", stage.kind, stage.audience, stage.days))
        if not progressed:
            return emitted  # every row was taken by a concurrent pass


def _stages_to_fire(o: Obligation, cal: WorkCalendar, now: dt.datetime) -> list[rules.Stage]:
    """Stages from the stored moment up to now. After downtime several may be due: of each kind only the
    latest is sent (three reminders at once help nobody)."""
    due = [s for s in rules.alert_stages(o, cal) if o.next_alert_at <= s.at <= now]
    latest: dict[str, rules.Stage] = {}
    for stage in due:
        latest[stage.kind] = stage
    return list(latest.values())


def transition_process_one(transition_id: int, *, now: dt.datetime | None = None) -> int:
    """Claim one transition (conditional UPDATE on ``processed_at``) and emit its deliveries, atomically."""
    return _process_transitions([transition_id], now=now or timezone.now())


def transitions_process(*, now: dt.datetime, batch: int = 500) -> int:
    """The outbox: unprocessed transitions are claimed (one conditional UPDATE per batch) and turned into
    deliveries in the same transaction; a crash leaves the whole batch unclaimed for the next pass."""
    emitted = 0
    while True:
        ids = list(
            Transition.objects.filter(processed_at__isnull=True).order_by("at").values_list("id", flat=True)[:batch]
        )
        if not ids:
            return emitted
        # After this call none of `ids` is unprocessed (claimed here or by a concurrent pass), so the loop ends.
        emitted += _process_transitions(ids, now=now)


def _process_transitions(ids: list[int], *, now: dt.datetime) -> int:
    with transaction.atomic():
        claimed = _claim_transitions(ids, now)
        if not claimed:
            return 0
        transitions = list(
            Transition.objects.filter(pk__in=claimed).select_related("obligation__desa", "obligation__document_type")
        )
        rows, keys = [], []
        people = RecipientCache([t.obligation for t in transitions])
        for t in transitions:
            built = transition_deliveries(t, people)
            if built:
                rows.extend(built)
                keys.append(f"tr:{t.pk}")
        notify.deliveries_insert(rows)
        if keys:
            transaction.on_commit(lambda: _enqueue_events(keys))
        return len(rows)


def _claim_transitions(ids: list[int], now: dt.datetime) -> list[int]:
    table = Transition._meta.db_table
    placeholders = ",".join(["%s"] * len(ids))
    sql = (
        f"UPDATE {table} SET processed_at = %s "  # noqa: S608  (our table name, bound values)
        f"WHERE id IN ({placeholders}) AND processed_at IS NULL RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *ids])
        return [row[0] for row in cursor.fetchall()]


class RecipientCache:
    """Recipients of many obligations with one query per role group, not one per obligation."""

    def __init__(self, obligations: list[Obligation]):
        desa_ids = {o.desa_id for o in obligations}
        kecamatan_ids = {o.desa.kecamatan_id for o in obligations}
        users = User.objects.filter(is_active=True)
        self.desa: dict[int, list[User]] = {d: [] for d in desa_ids}
        for user in users.filter(desa_id__in=desa_ids, role__in=[r.value for r in DESA_ROLES]):
            self.desa[user.desa_id].append(user)
        self.kecamatan: dict[tuple[int, str], list[User]] = {}
        for user in users.filter(kecamatan_id__in=kecamatan_ids, role__in=[Role.KASI_TAPEM, Role.CAMAT]):
            self.kecamatan.setdefault((user.kecamatan_id, user.role), []).append(user)

    def get(self, o: Obligation, audience: str) -> list[User]:
        if audience == "desa" and o.document_type.responsible == Responsible.KECAMATAN:
            audience = "kasi"
        if audience == "desa":
            return self.desa.get(o.desa_id, [])
        role = Role.CAMAT if audience == "camat" else Role.KASI_TAPEM
        return self.kecamatan.get((o.desa.kecamatan_id, role), [])


def transition_deliveries(t: Transition, cache: RecipientCache | None = None) -> list:
    rule = rules.ALERTING.get(t.to_state)
    if rule is None:
        return []
    kind, audiences = rule
    o = t.obligation
    cache = cache or RecipientCache([o])
    days = _days_late(t)
    rows, told = [], set()
    # One event per transition, each audience with its own wording. For the kecamatan's own documents "the
    # desa" is the Kasi Tapem too: a person gets one notice, that of the first audience (the one that must act).
    for audience in audiences:
        people = [user for user in cache.get(o, audience) if user.pk not in told]
        told.update(user.pk for user in people)
        if not people:
            continue
        rows += notify.deliveries_build(
            event_key=f"tr:{t.pk}",
            kind=kind,
            recipients=people,
            kecamatan_id=o.desa.kecamatan_id,
            desa_id=o.desa_id,
            payload=message(o, kind, days, note=t.note, audience=audience),
        )
    return rows


def _days_late(t: Transition) -> int:
    """How late the obligation was when the transition happened (0 when not late)."""
    due = t.due_date or t.obligation.due_date
    days = rules.days_until(due, timezone.localdate(t.at))
    return max(0, -days) if days is not None else 0


def _enqueue_events(keys: list[str]) -> None:
    """Hand the new deliveries to the workers: one batch task for all in-app ones (they are only rows to
    write), one task per email/webhook delivery (each talks to a remote server and retries on its own)."""
    from portal.models import Delivery

    pending = Delivery.objects.filter(event_key__in=keys, status="pending")
    if pending.filter(channel=Delivery.Channel.INAPP).exists():
        enqueue("workers.tasks.dispatch_inapp_task")
    for delivery_id in pending.exclude(channel=Delivery.Channel.INAPP).values_list("id", flat=True):
        enqueue("workers.tasks.deliver_task", delivery_id)


def alerts_detect(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {
        "late": obligations_mark_overdue(today=timezone.localdate(now)),
        "stages": stages_pass(now=now),
        "transitions": transitions_process(now=now),
    }


def alerts_run_once(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Detect and dispatch in this process: ``send_alerts --once``."""
    counts = alerts_detect(now=now)
    counts.update({f"delivery_{k}": v for k, v in notify.dispatch_due(now=now).items()})
    return counts


def alerts_enqueue_due(*, now: dt.datetime | None = None, grace: dt.timedelta = dt.timedelta(minutes=1)) -> int:
    """The sweeper half of the minute task. New deliveries were already handed over after their commit, so
    only those left behind are sent again: due for more than ``grace``, a retry whose time has come, or a
    lease that ran out (the worker died). In-app ones go as one batch task."""
    from portal.models import Delivery

    now = now or timezone.now()
    ids = notify.due_ids(now=now - grace)
    if not ids:
        return 0
    rows = Delivery.objects.filter(pk__in=ids)
    if rows.filter(channel=Delivery.Channel.INAPP).exists():
        enqueue("workers.tasks.dispatch_inapp_task")
    for delivery_id in rows.exclude(channel=Delivery.Channel.INAPP).values_list("id", flat=True):
        enqueue("workers.tasks.deliver_task", delivery_id)
    return len(ids)
