"""The alert pass as set-based work: the number of queries of detection, stages and in-app dispatch does not
grow with the number of late obligations (PostgreSQL, where the pass is set-based; CI runs them), the minute
task works through a backlog larger than its batch in runs that enqueue each other and does every piece of
work exactly once, the in-app batch honours claims and leases like ``deliver``, and the texts and links built
in bulk are those built one by one."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monev import alerts, rules
from monev.choices import State
from monev.models import DocumentType, Obligation, Transition
from portal import notify
from portal.calendar import WorkCalendar
from portal.models import Delivery, Notification
from tests.conftest import IN_CI
from tests.helpers import WIB
from tests.monev.conftest import ensure_document_types
from workers.tasks import alerts_task

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 7, 15, 9, tzinfo=WIB)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql" and not IN_CI,
    reason="set-based on PostgreSQL; elsewhere rows go in batches the database's parameter limit sets (CI runs it)",
)

# Who is told of a late obligation of each desa: its desa users and its kecamatan's Kasi Tapem.
TOLD = {
    "35.24.13.2001": ["kades_a", "kasitapem", "op_a"],
    "35.24.13.2002": ["kasitapem", "op_b"],
    "35.24.14.2001": ["outsider", "outsider_op"],
}


def late_obligations(tenancy, n: int) -> list[Obligation]:
    """``n`` open obligations past their date, spread over the three desa of two kecamatan (each its own
    document type and year), with nothing scheduled: only the overdue step has work."""
    ensure_document_types()
    types = DocumentType.objects.filter(responsible="desa", per_event=False).order_by("code")
    desa = [tenancy.desa_a, tenancy.desa_b, tenancy.other_desa]
    combos = itertools.islice(itertools.product(range(2015, 2026), types, desa), n)
    return Obligation.objects.bulk_create(
        [
            Obligation(
                desa=d, document_type=t, year=year, legal_due_date=dt.date(year, 3, 31), due_date=dt.date(year, 3, 31)
            )
            for year, t, d in combos
        ]
    )


def queries_of(tenancy, n: int, prepare, action, check=lambda result: None) -> tuple[int, object]:
    """The queries ``action`` makes with ``n`` late obligations made ready by ``prepare`` (``check`` looks at
    the outcome uncounted); rolled back after."""
    with transaction.atomic():
        prepare(late_obligations(tenancy, n))
        with CaptureQueriesContext(connection) as ctx:
            result = action()
        check(result)
        transaction.set_rollback(True)
    return len(ctx.captured_queries), result


# Query counts --------------------------------------------------------------------------------------------


@postgresql_only
def test_detection_queries_do_not_grow_with_late_obligations(tenancy):
    def detect():
        return alerts.alerts_detect(now=NOW)

    few, few_counts = queries_of(tenancy, 3, lambda rows: None, detect)
    many, many_counts = queries_of(tenancy, 30, lambda rows: None, detect)
    assert (few_counts["late"], many_counts["late"]) == (3, 30)
    assert many_counts["deliveries"] > 10 * few_counts["deliveries"] // 2 > 0
    assert few == many
    assert many <= 15  # a handful of statements, not one per obligation or per delivery


@postgresql_only
def test_stage_queries_do_not_grow_with_due_stages(tenancy):
    def escalation_due(rows):
        # Late for a week: every row's first escalation (H+7, 07:00 WIB) has come by NOW.
        due = NOW.date() - dt.timedelta(days=7)
        for o in rows:
            o.state, o.due_date = State.TERLAMBAT, due
            stage = rules.next_alert_stage(o, WorkCalendar(), NOW - dt.timedelta(days=1))
            o.next_alert_at, o.next_alert_stage = stage.at, stage.key
        Obligation.objects.bulk_update(rows, ["state", "due_date", "next_alert_at", "next_alert_stage"])

    def detect():
        return alerts.alerts_detect(now=NOW)

    few, few_counts = queries_of(tenancy, 3, escalation_due, detect)
    many, many_counts = queries_of(tenancy, 30, escalation_due, detect)
    assert (few_counts["stages"], many_counts["stages"]) == (3, 30)
    assert few_counts["late"] == many_counts["late"] == 0
    assert few == many


@postgresql_only
def test_inapp_dispatch_queries_do_not_grow_with_notices(tenancy):
    def detected(rows):
        alerts.alerts_detect(now=NOW)

    def dispatch():
        return notify.dispatch_inapp_batch(now=timezone.now())

    def all_in_the_inbox(sent):
        assert Notification.objects.count() == Delivery.objects.filter(channel="inapp").count() == sent

    few, few_sent = queries_of(tenancy, 3, detected, dispatch, all_in_the_inbox)
    many, many_sent = queries_of(tenancy, 30, detected, dispatch, all_in_the_inbox)
    assert many_sent > 10 * few_sent // 2 > 0
    # One statement claims, writes the notifications and the attempt log (within its savepoint).
    assert few == many <= 3


# Batches -------------------------------------------------------------------------------------------------


def test_the_minute_task_works_through_several_batches_exactly_once(
    tenancy, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    monkeypatch.setattr(alerts, "PASS_BATCH", 4)
    monkeypatch.setattr(notify, "INAPP_BATCH", 3)
    obligations = late_obligations(tenancy, 10)
    runs = []
    tick = alerts.alerts_tick

    def counted_tick(**kwargs):
        runs.append(tick(**kwargs))
        return runs[-1]

    monkeypatch.setattr(alerts, "alerts_tick", counted_tick)
    with django_capture_on_commit_callbacks(execute=True):
        alerts_task.delay()  # the beat's run; Celery is eager here, so each run it enqueues runs after its commit

    # 10 rows in batches of 4: the beat's run and two more it enqueued, one after the other; only the first sweeps.
    assert [run["continued"] for run in runs] == [1, 1, 0]
    assert ["enqueued" in run for run in runs] == [True, False, False]
    assert sum(run["late"] for run in runs) == 10
    for o in obligations:
        o.refresh_from_db()
        assert o.state == State.TERLAMBAT
        assert Transition.objects.filter(obligation=o, to_state=State.TERLAMBAT).count() == 1
        notices = Notification.objects.filter(obligation_id=o.pk, kind="late")
        assert sorted(notices.values_list("recipient__username", flat=True)) == TOLD[o.desa.kode]
    # In-app notices in batches of 3, each run enqueued by the last; email sent one task per delivery.
    assert not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()
    assert Notification.objects.count() == Delivery.objects.filter(channel="inapp").count() == 10 * 2 + 4
    assert len(mailoutbox) == Delivery.objects.filter(channel="email").count() > 0

    deliveries = Delivery.objects.count()
    runs.clear()
    with django_capture_on_commit_callbacks(execute=True):
        alerts_task.delay()
    assert runs == [{"late": 0, "stages": 0, "transitions": 0, "deliveries": 0, "continued": 0, "enqueued": 0}]
    assert Delivery.objects.count() == deliveries


def test_the_outbox_in_small_batches_sends_each_transition_once(tenancy):
    obligations = late_obligations(tenancy, 5)
    at = NOW - dt.timedelta(hours=1)
    Obligation.objects.filter(pk__in=[o.pk for o in obligations]).update(state=State.TERLAMBAT)
    transitions = Transition.objects.bulk_create(
        [
            Transition(obligation=o, from_state=State.BELUM, to_state=State.TERLAMBAT, at=at, due_date=o.due_date)
            for o in obligations
        ]
    )
    assert alerts.transition_process_one(transitions[0].pk, now=NOW) == len(TOLD[obligations[0].desa.kode]) * 2
    assert alerts.transition_process_one(transitions[0].pk, now=NOW) == 0  # claimed already
    counts = alerts.alerts_detect(now=NOW, batch=2)
    assert counts["transitions"] == 4 and counts["late"] == 0
    assert alerts.alerts_detect(now=NOW, batch=2)["deliveries"] == 0
    assert not Transition.objects.filter(processed_at__isnull=True).exists()
    for t in transitions:
        rows = Delivery.objects.filter(event_key=f"tr:{t.pk}", channel="inapp")
        assert sorted(rows.values_list("recipient__username", flat=True)) == TOLD[t.obligation.desa.kode]
        assert {row.payload["obligation_id"] for row in rows} == {t.obligation_id}


def test_stages_in_small_batches_fire_each_stage_once(tenancy):
    obligations = late_obligations(tenancy, 5)
    due = NOW.date() - dt.timedelta(days=7)
    for o in obligations:
        o.state, o.due_date = State.TERLAMBAT, due
        rules.alert_schedule(o, WorkCalendar(), now=NOW - dt.timedelta(days=1))
    Obligation.objects.bulk_update(obligations, ["state", "due_date", "next_alert_at", "next_alert_stage"])
    assert alerts.alerts_detect(now=NOW, batch=2)["stages"] == 5
    assert alerts.alerts_detect(now=NOW, batch=2)["stages"] == 0
    camat = Delivery.objects.filter(kind="escalation", channel="inapp")
    assert sorted(camat.values_list("recipient__username", flat=True)) == ["camat"] * 4  # the other kecamatan has none
    for o in obligations:
        o.refresh_from_db()
        assert o.next_alert_at > NOW and o.next_alert_stage.startswith("escalation-30@")


# In-app dispatch keeps claims and leases -------------------------------------------------------------------


def test_inapp_batch_respects_a_lease_and_takes_over_an_expired_one(tenancy):
    notify.deliveries_create(
        event_key="uji:lease",
        kind="late",
        recipients=[tenancy.operator_a],
        kecamatan_id=tenancy.kecamatan.pk,
        desa_id=tenancy.desa_a.pk,
        payload={"title": "Uji", "message": "Pesan uji", "link": "/pemberitahuan/"},
    )
    pk = Delivery.objects.get(event_key="uji:lease", channel="inapp").pk
    t0 = timezone.now()
    stale = notify.claim(pk, now=t0)  # a worker claimed it, then died
    assert notify.dispatch_inapp_batch(now=t0) == 0  # its lease holds
    assert notify.dispatch_inapp_batch(now=stale.lease_until + dt.timedelta(seconds=1)) == 1
    notify._finish_inapp(stale)  # the worker presumed dead wakes up and finishes
    row = Delivery.objects.get(pk=pk)
    assert (row.status, row.attempts) == ("sent", 2)
    assert list(row.attempt_log.values_list("outcome", flat=True)) == ["sent", "sent-late"]
    note = Notification.objects.get(delivery=row)
    assert (note.recipient, note.title, note.message, note.link) == (
        tenancy.operator_a,
        "Uji",
        "Pesan uji",
        "/pemberitahuan/",
    )
    assert notify.dispatch_inapp_batch(now=t0 + dt.timedelta(days=1)) == 0  # done stays done


def test_inapp_batch_copies_the_payload_into_the_inbox(tenancy):
    [o] = late_obligations(tenancy, 1)
    alerts.alerts_detect(now=NOW)
    assert notify.dispatch_inapp_batch(now=timezone.now()) == 3
    note = Notification.objects.get(recipient=tenancy.operator_a)
    delivery = note.delivery
    assert (note.kind, note.obligation_id, note.desa_kode) == ("late", o.pk, "35.24.13.2001")
    assert (note.title, note.message, note.link) == (
        delivery.payload["title"],
        delivery.payload["message"],
        delivery.payload["link"],
    )
    assert note.document_type_code == o.document_type.code
    assert note.link == f"/monev/kewajiban/{o.pk}/"


# Texts and links built in bulk ---------------------------------------------------------------------------


def test_links_in_a_batch_are_those_reverse_gives():
    with notify.payloads_batch():
        for pk in (0, 7, 12345678901):
            assert notify.link("monev-obligation", args=[pk]) == reverse("monev-obligation", args=[pk])
        assert notify.link("monev-obligation", args=[3], query={"tab": "riwayat"}) == "/monev/kewajiban/3/?tab=riwayat"
        kode = "35.24.13.2001"  # not an id: reversed as it is
        assert notify.link("attendance-desa-month", args=[kode]) == reverse("attendance-desa-month", args=[kode])
        assert notify.link("monev-board") == reverse("monev-board")


def test_messages_in_a_batch_are_those_built_one_by_one(tenancy):
    [o] = late_obligations(tenancy, 1)
    row = alerts._alert_rows([Obligation.objects.filter(pk=o.pk).values_list(*alerts._ROW).get()])[0]
    one_by_one = [alerts.message(o, kind, days=3, note="Catatan.") for kind in alerts.MESSAGES]
    one_by_one.append(alerts.message(o, "late", days=3, audience="kasi"))
    with notify.payloads_batch():
        batch = [alerts.message(row, kind, days=3, note="Catatan.") for kind in alerts.MESSAGES]
        batch.append(alerts.message(row, "late", days=3, audience="kasi"))
    assert batch == one_by_one
