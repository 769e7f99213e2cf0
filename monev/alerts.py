"""Reminders, late notices and escalation — detected once, delivered at least once, never twice.

The pass works in rounds of at most ``PASS_BATCH`` rows per step. The minute task runs one round
(``alerts_tick``) and, when a step filled its batch, enqueues itself again after the commit, so a deadline
morning of a whole province is worked through in short runs and never holds the minute; ``send_alerts --once``
runs rounds until nothing is left (``alerts_detect``). A round:

1. ``overdue_round``: open obligations past their date move to 'terlambat' with a compare-and-set UPDATE; a
   Transition is written only for rows this pass won, once per due date (unique key), and on PostgreSQL its
   deliveries with it in the same transaction (elsewhere step 3 sends them).
2. ``stages_round``: obligations whose ``next_alert_at`` has come are claimed with a compare-and-set on
   (next_alert_at, next_alert_stage); the winner writes the stage's deliveries and the next moment worth
   looking at, in one transaction.
3. ``transitions_round``: the outbox. Unprocessed alerting transitions (a desa's document returned, …) are
   claimed (``processed_at``) and turned into deliveries in the same transaction, so a crash leaves them
   unclaimed for the next pass.

On PostgreSQL each step costs the same few statements whatever the number of rows (CONTRIBUTING, "Work over
many rows"): rows are read as values, recipients with one query, texts rendered in Python over the rows read
(``message`` is the one place that words them) and deliveries written with one INSERT
(``portal.notify.deliveries_insert``). Deliveries are unique per (event, recipient, channel) — see
``portal.notify``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from monev import rules
from monev.choices import Responsible, State
from monev.models import DocumentType, Obligation, Transition
from monev.services import obligations_mark_overdue
from portal import notify
from portal.calendar import WorkCalendar, calendar_for
from portal.choices import DESA_ROLES, Role
from portal.models import Notification, User
from portal.queue import enqueue

Kind = Notification.Kind

PASS_BATCH = 5000
"""Rows per step in one run of the minute task: about a second of work on two cores."""


# The rows the pass works on ------------------------------------------------------------------------------


class Place(NamedTuple):
    """The desa of an obligation, as messages and recipients need it."""

    nama: str
    kode: str
    kecamatan_id: int


@dataclass(slots=True)
class AlertRow:
    """An obligation as the pass reads it: the fields the rules, the recipients and the message use, read as
    values rather than as a model instance with its desa per row (a deadline morning reads tens of thousands)."""

    pk: int
    state: str
    due_date: dt.date | None
    correction_due_date: dt.date | None
    state_changed_at: dt.datetime
    next_alert_at: dt.datetime | None
    next_alert_stage: str
    year: int
    period_label: str
    desa_id: int
    desa: Place
    document_type: DocumentType

    title = property(Obligation.title.fget)  # the model's own wording of the title


# The columns of an AlertRow, in its order; desa and document type by id.
_ROW = (
    "id",
    "state",
    "due_date",
    "correction_due_date",
    "state_changed_at",
    "next_alert_at",
    "next_alert_stage",
    "year",
    "period_label",
    "desa",
    "desa__nama",
    "desa__kode",
    "desa__kecamatan_id",
    "document_type",
)


def _alert_rows(values: Sequence[Sequence]) -> list[AlertRow]:
    """AlertRows from ``_ROW`` values; the few document types with one query."""
    types = DocumentType.objects.in_bulk({v[13] for v in values})
    places: dict[int, Place] = {}
    rows = []
    for pk, state, due, correction, changed, at, stage, year, label, desa_id, nama, kode, kec, type_id in values:
        place = places.get(desa_id)
        if place is None:
            place = places[desa_id] = Place(nama, kode, kec)
        rows.append(
            AlertRow(pk, state, due, correction, changed, at, stage, year, label, desa_id, place, types[type_id])
        )
    return rows


# Recipients and messages -------------------------------------------------------------------------------

# What a recipient is to the pass: the fields of ``portal.notify.channels_for`` and the scope, not a User.
_PERSON = ("id", "desa_id", "kecamatan_id", "role", "is_active", "email", "phone", "notify_email", "notify_webhook")


class RecipientCache:
    """Recipients of many obligations with one query, not one per obligation; from roles and
    scope, never from a list typed somewhere."""

    def __init__(self, obligations: Iterable[AlertRow]):
        desa_ids, kecamatan_ids = set(), set()
        for o in obligations:
            desa_ids.add(o.desa_id)
            kecamatan_ids.add(o.desa.kecamatan_id)
        self.desa: dict[int, list] = {d: [] for d in desa_ids}
        self.kecamatan: dict[tuple[int, str], list] = {}
        # Selected by kecamatan, not by desa: a batch's desa are thousands (sending their ids costs more than the
        # rows they select), their kecamatan a few hundred. Users of the other desa of those kecamatan are read
        # and left aside.
        desa_roles = [r.value for r in DESA_ROLES]
        scope = Q(role__in=desa_roles, desa__kecamatan_id__in=kecamatan_ids) | Q(
            role__in=[Role.KASI_TAPEM, Role.CAMAT], kecamatan_id__in=kecamatan_ids
        )
        for user in User.objects.filter(scope, is_active=True).values_list(*_PERSON, named=True):
            if user.role in desa_roles:
                if user.desa_id in self.desa:
                    self.desa[user.desa_id].append(user)
            else:
                self.kecamatan.setdefault((user.kecamatan_id, user.role), []).append(user)

    def get(self, o: AlertRow, audience: str) -> list:
        if audience == "desa" and o.document_type.responsible == Responsible.KECAMATAN:
            audience = "kasi"  # the kecamatan's own duty: remind the kecamatan
        if audience == "desa":
            return self.desa.get(o.desa_id, [])
        role = Role.CAMAT if audience == "camat" else Role.KASI_TAPEM
        return self.kecamatan.get((o.desa.kecamatan_id, role), [])


@functools.lru_cache(maxsize=1024)
def _fmt(day: dt.date | None) -> str:
    # Cached: a pass formats the same few deadlines thousands of times, and strftime is the slow part of a message.
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


def message(o: Obligation | AlertRow, kind: str, days: int = 0, note: str = "", *, audience: str = "desa") -> dict:
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


# A stand-in obligation id, desa name and desa code for ``message``; see _Payloads.
_PK_MARK = 918_273_645_546_372_819
_NAMA_MARK = "@@desa-nama@@"
_KODE_MARK = "@@desa-kode@@"


class _Payloads:
    """The payloads of a round's alerts as JSON text, ready for ``portal.notify.deliveries_insert``.

    Rendering and serialising a payload (``message``, then ``json.dumps``) cost more than its delivery row costs
    the database, and a deadline morning's thousands of obligations differ in their wording only by their id,
    desa name and desa code. So each distinct wording is rendered once, with stand-ins for those three, and each
    obligation's payload is that text with its own values put in (as ``portal.notify.link`` does for routes).
    ``message`` stays the one place that words an alert: a wording whose stand-ins do not come out as plain
    text, or whose first obligation's payload differs from ``message``'s own, is rendered row by row instead."""

    def __init__(self):
        # Per wording: False once seen (that first payload was rendered as it is: a wording met only once, as
        # reminders of many different deadlines are, costs no more than before), then its template, or None.
        self.templates: dict[tuple, str | bool | None] = {}
        self.places: dict[Place, tuple[str, str]] = {}

    def get(self, o: AlertRow, kind: str, days: int, note: str, audience: str) -> str:
        key = (kind, audience, days, note, o.document_type.pk, o.year, o.period_label, o.due_date)
        key += (o.correction_due_date,)
        template = self.templates.get(key)
        if template is False:
            template = self.templates[key] = self._template(o, kind, days, note, audience)
        elif key not in self.templates:
            self.templates[key] = False
        if not template:
            return json.dumps(message(o, kind, days, note, audience=audience))
        place = self.places.get(o.desa)
        if place is None:
            # The name and code as json.dumps writes them inside a string (quotes and backslashes escaped).
            place = self.places[o.desa] = (json.dumps(o.desa.nama)[1:-1], json.dumps(o.desa.kode)[1:-1])
        return template.format(o.pk, *place)

    @staticmethod
    def _template(o: AlertRow, kind: str, days: int, note: str, audience: str) -> str | None:
        stand_in = dataclasses.replace(o, pk=_PK_MARK, desa=Place(_NAMA_MARK, _KODE_MARK, o.desa.kecamatan_id))
        text = json.dumps(message(stand_in, kind, days, note, audience=audience))
        template = text.replace("{", "{{").replace("}", "}}").replace(_NAMA_MARK, "{1}").replace(_KODE_MARK, "{2}")
        template = template.replace(str(_PK_MARK), "{0}")
        nama, kode = json.dumps(o.desa.nama)[1:-1], json.dumps(o.desa.kode)[1:-1]
        if template.format(o.pk, nama, kode) != json.dumps(message(o, kind, days, note, audience=audience)):
            return None
        return template


class _Event(NamedTuple):
    """One alert of one obligation: its key (exactly once per recipient and channel), kind and audiences."""

    o: AlertRow
    key: str
    kind: str
    audiences: tuple[str, ...]
    days: int = 0
    note: str = ""


def _event_rows(event: _Event, people: RecipientCache, payloads: _Payloads) -> list[notify.Outgoing]:
    rows, told = [], set()
    # Each audience with its own wording. For the kecamatan's own documents "the desa" is the Kasi Tapem too: a
    # person gets one notice, that of the first audience (the one that must act).
    for audience in event.audiences:
        users = [user for user in people.get(event.o, audience) if user.id not in told]
        told.update(user.id for user in users)
        if not users:
            continue
        rows += notify.deliveries_build(
            event_key=event.key,
            kind=event.kind,
            recipients=users,
            kecamatan_id=event.o.desa.kecamatan_id,
            desa_id=event.o.desa_id,
            payload=payloads.get(event.o, event.kind, event.days, event.note, audience),
        )
    return rows


def _deliveries_write(events: Sequence[_Event]) -> int:
    """The deliveries of many events, inserted at once and handed to the workers after the commit; returns how
    many are new."""
    if not events:
        return 0
    people, payloads = RecipientCache(event.o for event in events), _Payloads()
    with notify.payloads_batch():
        # A generator: each event's rows are rendered as the insert streams them to the database.
        new = notify.deliveries_insert(row for event in events for row in _event_rows(event, people, payloads))
    notify.deliveries_hand_over(new)
    return len(new)


# Step 1: late --------------------------------------------------------------------------------------------

# One statement: pick a batch of open rows past their date and lock them (SKIP LOCKED: a concurrent pass or a
# user's transaction holding a row does not make this one wait; the row is taken by a later pass), move them
# with a compare-and-set on the open states, and record a transition for each row moved. The unique
# key of late transitions (obligation, due date) keeps a lateness already on record from being recorded, and
# so announced, twice. The transitions are born processed: their deliveries are written by the caller in this
# same transaction, so the outbox (step 3) has nothing to claim for them, and a crash undoes both.
# Returns one row per obligation moved: the new transition's id and due date (NULL when the lateness was already
# on record) and the obligation's columns in the order of _ROW but for its state and state_changed_at, which
# are the late state and now: timestamps are the slowest values to read, and these two are known already.
_OVERDUE = """
WITH due AS (
    SELECT id, state FROM monev_obligation
    WHERE state IN ({states}) AND due_date < %(today)s
    ORDER BY id LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), moved AS (
    UPDATE monev_obligation o SET state = %(late)s, state_changed_at = %(now)s
    FROM due, portal_desa d
    WHERE o.id = due.id AND o.state IN ({states}) AND d.id = o.desa_id
    RETURNING o.id, o.state, o.due_date, o.correction_due_date, o.state_changed_at, o.next_alert_at,
              o.next_alert_stage, o.year, o.period_label, o.desa_id, d.nama, d.kode, d.kecamatan_id,
              o.document_type_id, due.state AS from_state
), recorded AS (
    INSERT INTO monev_transition (obligation_id, from_state, to_state, at, due_date, note, processed_at)
    SELECT id, from_state, %(late)s, %(now)s, due_date, '', %(now)s FROM moved
    ON CONFLICT DO NOTHING
    RETURNING id, obligation_id, due_date
)
SELECT r.id, r.due_date,
       m.id, m.due_date, m.correction_due_date, m.next_alert_at, m.next_alert_stage,
       m.year, m.period_label, m.desa_id, m.nama, m.kode, m.kecamatan_id, m.document_type_id
FROM moved m LEFT JOIN recorded r ON r.obligation_id = m.id
"""


def overdue_round(*, now: dt.datetime, batch: int) -> tuple[int, int, bool]:
    """Move at most ``batch`` open obligations past their date to 'terlambat', each with its transition and
    that transition's deliveries. Returns (obligations moved, deliveries created, whether more may be waiting).

    Elsewhere than on PostgreSQL the services' own pass moves them and the outbox (step 3) sends the notices."""
    today = timezone.localdate(now)
    if connection.vendor != "postgresql":
        return obligations_mark_overdue(today=today), 0, False
    states = sorted(rules.GOES_LATE)
    # Each state a literal of its own: the partial index on open rows (obligation_open_due) is then usable.
    sql = _OVERDUE.format(states=", ".join(f"%(state{n})s" for n in range(len(states))))
    params = {"today": today, "limit": batch, "late": State.TERLAMBAT, "now": now}
    params |= {f"state{n}": state for n, state in enumerate(states)}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            values = cursor.fetchall()
        late = State.TERLAMBAT
        recorded = [
            (pk, late, now, due_date, "", o_pk, late, o_due, correction, now, *rest)
            for pk, due_date, o_pk, o_due, correction, *rest in values
            if pk is not None
        ]
        created = _deliveries_write(_transition_events(recorded))
    return len(values), created, len(values) >= batch


# Step 2: stages ------------------------------------------------------------------------------------------


class _LazyCalendar:
    """A kecamatan's working-day calendar, read when a rule first asks for it: most stages count calendar
    days, and a round would otherwise read two queries per kecamatan for nothing."""

    def __init__(self, kecamatan_id: int):
        self.kecamatan_id = kecamatan_id
        self.calendar: WorkCalendar | None = None

    def __getattr__(self, name: str):
        if self.calendar is None:
            year = timezone.localdate().year
            self.calendar = calendar_for(kecamatan_id=self.kecamatan_id, years=range(year - 1, year + 2))
        return getattr(self.calendar, name)


def stages_round(*, now: dt.datetime, batch: int) -> tuple[int, int, bool]:
    """Claim at most ``batch`` obligations whose alert moment has come; emit their due stage(s); store the next
    moment. Returns (stages emitted, deliveries created, whether more may be waiting)."""
    with transaction.atomic():
        # SKIP LOCKED: a concurrent pass takes other rows instead of waiting for these. (SQLite has no row locks;
        # the compare-and-set below decides there.)
        due = _alert_rows(
            Obligation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_alert_at__lte=now)
            .order_by("next_alert_at", "id")
            .values_list(*_ROW)[:batch]
        )
        if not due:
            return 0, 0, False
        calendars: dict[int, _LazyCalendar] = {}
        plans = []
        for o in due:
            cal = calendars.get(o.desa.kecamatan_id)
            if cal is None:
                cal = calendars[o.desa.kecamatan_id] = _LazyCalendar(o.desa.kecamatan_id)
            plans.append((o, _stages_to_fire(o, cal, now), rules.next_alert_stage(o, cal, now)))
        won = _advance(plans)
        events = [
            _Event(o, f"st:{o.pk}:{stage.key}", stage.kind, (stage.audience,), stage.days)
            for o, fire, _next in plans
            if o.pk in won
            for stage in fire
        ]
        created = _deliveries_write(events)
    return len(events), created, len(due) >= batch


def _stages_to_fire(o: AlertRow, cal: WorkCalendar, now: dt.datetime) -> list[rules.Stage]:
    """Stages from the stored moment up to now. After downtime several may be due: of each kind only the
    latest is sent (three reminders at once help nobody)."""
    due = [s for s in rules.alert_stages(o, cal) if o.next_alert_at <= s.at <= now]
    latest: dict[str, rules.Stage] = {}
    for stage in due:
        latest[stage.kind] = stage
    return list(latest.values())


# Compare-and-set of many rows at once: each row's new moment only where it still has the moment it was read with.
_ADVANCE = """
UPDATE monev_obligation o SET next_alert_at = v.new_at, next_alert_stage = v.new_stage
FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[], %s::timestamptz[], %s::text[])
    AS v(id, old_at, old_stage, new_at, new_stage)
WHERE o.id = v.id AND o.next_alert_at = v.old_at AND o.next_alert_stage = v.old_stage
RETURNING o.id
"""


def _advance(plans: Sequence[tuple[AlertRow, list[rules.Stage], rules.Stage | None]]) -> set[int]:
    """Store each obligation's next moment; returns the ids this pass won."""
    values = [
        (o.pk, o.next_alert_at, o.next_alert_stage, *((nxt.at, nxt.key) if nxt else (None, "")))
        for o, _fire, nxt in plans
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_ADVANCE, [list(column) for column in zip(*values, strict=True)])
            return {pk for (pk,) in cursor.fetchall()}
    # Elsewhere (SQLite: a kecamatan's own install, a few hundred obligations) one compare-and-set per row.
    won = set()
    for pk, old_at, old_stage, new_at, new_stage in values:
        rows = Obligation.objects.filter(pk=pk, next_alert_at=old_at, next_alert_stage=old_stage)
        if rows.update(next_alert_at=new_at, next_alert_stage=new_stage):
            won.add(pk)
    return won


# Step 3: the transition outbox ---------------------------------------------------------------------------


def transitions_round(*, now: dt.datetime, batch: int, ids: Sequence[int] | None = None) -> tuple[int, int, bool]:
    """Claim at most ``batch`` unprocessed transitions (only ``ids`` when given) and write their deliveries in
    the same transaction; a crash leaves them unclaimed for the next pass. Returns (transitions claimed,
    deliveries created, whether more may be waiting)."""
    with transaction.atomic():
        values = _transitions_claim(now=now, limit=batch, ids=ids)
        if not values:
            return 0, 0, False
        created = _deliveries_write(_transition_events(values))
    return len(values), created, len(values) >= batch


def _transition_events(values: Sequence[Sequence]) -> list[_Event]:
    """The alerts of transitions read as ``_TRANSITION`` then ``_ROW`` values: one event each that alerts."""
    obligations = _alert_rows([v[5:] for v in values])
    local_days: dict[dt.datetime, dt.date] = {}  # the transitions of one pass share a few moments
    events = []
    for (pk, to_state, at, due_date, note, *_obligation), o in zip(values, obligations, strict=True):
        rule = rules.ALERTING.get(to_state)
        if rule is None:
            continue
        kind, audiences = rule
        day = local_days.get(at)
        if day is None:
            day = local_days[at] = timezone.localdate(at)
        events.append(_Event(o, f"tr:{pk}", kind, audiences, _days_late(due_date or o.due_date, day), note))
    return events


def transition_process_one(transition_id: int, *, now: dt.datetime | None = None) -> int:
    """Claim one transition (conditional UPDATE on ``processed_at``) and emit its deliveries, atomically."""
    return transitions_round(now=now or timezone.now(), batch=1, ids=[transition_id])[1]


_TRANSITION = ("id", "to_state", "at", "due_date", "note")

# Claim and read in one statement: the claimed ids need not travel back to the database as thousands of
# parameters. SKIP LOCKED: rows a concurrent pass is claiming are left to it rather than waited for. The
# columns are those of _TRANSITION and then of _ROW, in their order.
_CLAIM_READ = """
WITH claimed AS (
    UPDATE monev_transition SET processed_at = %(now)s
    WHERE processed_at IS NULL AND id IN (
        SELECT id FROM monev_transition WHERE processed_at IS NULL{only}
        ORDER BY at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
    )
    RETURNING id, obligation_id, to_state, at, due_date, note
)
SELECT c.id, c.to_state, c.at, c.due_date, c.note,
       o.id, o.state, o.due_date, o.correction_due_date, o.state_changed_at, o.next_alert_at, o.next_alert_stage,
       o.year, o.period_label, o.desa_id, d.nama, d.kode, d.kecamatan_id, o.document_type_id
FROM claimed c JOIN monev_obligation o ON o.id = c.obligation_id JOIN portal_desa d ON d.id = o.desa_id
ORDER BY c.at, c.id
"""


def _transitions_claim(*, now: dt.datetime, limit: int, ids: Sequence[int] | None) -> list[tuple]:
    """Set ``processed_at`` where it is still empty, for the oldest ``limit`` transitions (of ``ids`` when
    given); returns the values (``_TRANSITION`` then ``_ROW``) of those this pass won."""
    if connection.vendor == "postgresql":
        only = " AND id = ANY(%(ids)s)" if ids else ""
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_READ.format(only=only), {"now": now, "limit": limit, "ids": list(ids or ())})
            return cursor.fetchall()
    table = Transition._meta.db_table
    only = f" AND id IN ({','.join(['%s'] * len(ids))})" if ids else ""
    sql = (
        f"UPDATE {table} SET processed_at = %s WHERE processed_at IS NULL AND id IN ("  # noqa: S608  (our table)
        f"SELECT id FROM {table} WHERE processed_at IS NULL{only} ORDER BY at, id LIMIT %s) RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), *(ids or ()), limit])
        claimed = [row[0] for row in cursor.fetchall()]
    fields = (*_TRANSITION, *(f"obligation__{field}" for field in _ROW))
    return list(Transition.objects.filter(pk__in=claimed).values_list(*fields)) if claimed else []


def _days_late(due: dt.date | None, day: dt.date) -> int:
    """How late the obligation was on the (local) day of the transition (0 when not late)."""
    days = rules.days_until(due, day)
    return max(0, -days) if days is not None else 0


# The pass -----------------------------------------------------------------------------------------------


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """A round allocates a few objects per row (values, texts, payloads) and holds them to the end of its batch,
    none of them in a cycle. The cyclic collector, set off by the allocations, would walk them and the rest of
    the process again and again: a sixth of a round's time. It is paused for the round and resumed after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


STEPS = ("late", "stages", "outbox")


def _round(now: dt.datetime, batch: int, steps: Iterable[str] = STEPS) -> tuple[dict[str, int], list[str]]:
    """One batch of each of ``steps``; returns the counts and the steps that filled their batch (more may be
    waiting there). A step that did not is left out of the rounds that follow: each costs a query even with
    nothing to do, and what comes new to it meanwhile waits for the next minute at most."""
    counts = {"late": 0, "stages": 0, "transitions": 0, "deliveries": 0}
    more = []
    with _cycle_collector_paused():
        if "late" in steps:
            counts["late"], deliveries, late_more = overdue_round(now=now, batch=batch)
            counts["deliveries"] += deliveries
            more += ["late"] if late_more else []
        if "stages" in steps:
            counts["stages"], deliveries, stages_more = stages_round(now=now, batch=batch)
            counts["deliveries"] += deliveries
            more += ["stages"] if stages_more else []
        if "outbox" in steps:
            counts["transitions"], deliveries, outbox_more = transitions_round(now=now, batch=batch)
            counts["deliveries"] += deliveries
            more += ["outbox"] if outbox_more else []
    return counts, more


def alerts_detect(*, now: dt.datetime | None = None, batch: int | None = None) -> dict[str, int]:
    """Every step, round after round, until nothing is left (``send_alerts --once``, tests)."""
    now = now or timezone.now()
    totals, steps = dict.fromkeys(("late", "stages", "transitions", "deliveries"), 0), list(STEPS)
    while steps:
        counts, steps = _round(now, batch or PASS_BATCH, steps)
        for key, value in counts.items():
            totals[key] += value
    return totals


def alerts_tick(
    *,
    now: dt.datetime | None = None,
    batch: int | None = None,
    steps: Sequence[str] = STEPS,
    sweep: bool = True,
) -> dict[str, int]:
    """One run of the minute task: one round. When a step filled its batch more may be waiting, and the task
    is enqueued again for those steps after this commit instead of looping here: each run stays short, and the
    next minute's run (or a second worker) can go along with it. Only the beat's own run sweeps (``sweep``)."""
    now = now or timezone.now()
    counts, more = _round(now, batch or PASS_BATCH, steps)
    if more:
        enqueue("workers.tasks.alerts_task", steps=more, sweep=False)
    counts["continued"] = int(bool(more))
    if sweep:
        counts["enqueued"] = alerts_enqueue_due(now=now)
    return counts


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
    notify.deliveries_hand_over(list(Delivery.objects.filter(pk__in=ids).values_list("id", "channel")))
    return len(ids)
