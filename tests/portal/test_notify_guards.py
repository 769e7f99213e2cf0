"""Deliveries keep their recipient, kecamatan and desa without database foreign keys (migration
0007_delivery_guards): the database refuses a delivery to someone or somewhere that does not exist, a change of
its addressees, and deleting a user, desa or kecamatan that has deliveries; the guard costs one statement, not
one check per row. The payloads an alert pass fills in from one rendering per wording are those ``message``
builds one by one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monev import alerts
from monev.models import DocumentType, Obligation
from portal import notify
from portal.models import Delivery, Desa, Kecamatan, User
from tests.conftest import IN_CI
from tests.monev.conftest import ensure_document_types

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql" and not IN_CI, reason="the guards are PostgreSQL triggers (CI runs them)"
    ),
]

PAYLOAD = {"title": "Uji", "message": "Pesan uji", "link": "/pemberitahuan/"}


def _deliver(tenancy, *, key="uji:guard", recipient_id=None, kecamatan_id=None, desa_id=None) -> int:
    row = notify.Outgoing(
        key,
        "late",
        "inapp",
        recipient_id or tenancy.operator_a.pk,
        kecamatan_id or tenancy.kecamatan.pk,
        desa_id,
        PAYLOAD,
    )
    return len(notify.deliveries_insert([row]))


@pytest.mark.parametrize("missing", ["recipient_id", "kecamatan_id", "desa_id"])
def test_the_database_refuses_a_delivery_to_nobody_or_nowhere(tenancy, missing):
    with pytest.raises(IntegrityError), transaction.atomic():
        _deliver(tenancy, **{missing: 10**12})
    assert _deliver(tenancy, desa_id=tenancy.desa_a.pk) == 1


def test_a_delivery_keeps_its_addressees(tenancy):
    _deliver(tenancy, desa_id=tenancy.desa_a.pk)
    rows = Delivery.objects.filter(event_key="uji:guard")
    for change in ({"recipient": tenancy.kades_a}, {"desa": tenancy.desa_b}, {"kecamatan": tenancy.other_kecamatan}):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**change)
    assert rows.update(status=Delivery.Status.SENT) == 1  # everything else about it may change


def test_a_user_desa_or_kecamatan_with_deliveries_cannot_be_deleted(tenancy):
    _deliver(tenancy, desa_id=tenancy.desa_a.pk)
    table_ids = [(User, tenancy.operator_a.pk), (Desa, tenancy.desa_a.pk), (Kecamatan, tenancy.kecamatan.pk)]
    for model, pk in table_ids:
        # Past Django (PROTECT refuses first), as a raw DELETE would come.
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608  (our table)
    stranger = User.objects.create(username="tanpa_pesan", role="camat", kecamatan=tenancy.other_kecamatan)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM portal_user WHERE id = %s", [stranger.pk])
    assert not User.objects.filter(pk=stranger.pk).exists()


def test_the_guard_is_one_statement_whatever_the_rows(tenancy):
    def inserted(n: int) -> int:
        rows = [
            notify.Outgoing(f"uji:{n}:{i}", "late", "inapp", tenancy.operator_a.pk, tenancy.kecamatan.pk, None, PAYLOAD)
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            assert len(notify.deliveries_insert(rows)) == n
        return len(ctx.captured_queries)

    assert inserted(2) == inserted(200)


def test_payloads_from_one_rendering_are_those_built_one_by_one(tenancy):
    ensure_document_types()
    document_type = DocumentType.objects.filter(responsible="desa", per_event=False).order_by("code").first()
    due = dt.date(2026, 3, 31)
    desa = [tenancy.desa_a, tenancy.desa_b, tenancy.other_desa]
    Desa.objects.filter(pk=tenancy.desa_b.pk).update(nama='Kali "Besar" {Lor} \\ Ü')  # quotes, braces, escapes
    obligations = Obligation.objects.bulk_create(
        [Obligation(desa=d, document_type=document_type, year=2025, legal_due_date=due, due_date=due) for d in desa]
    )
    ids = [o.pk for o in obligations]
    rows = alerts._alert_rows(list(Obligation.objects.filter(pk__in=ids).order_by("pk").values_list(*alerts._ROW)))
    payloads = alerts._Payloads()
    with notify.payloads_batch():
        for kind in alerts.MESSAGES:
            for audience in ("desa", "kasi"):
                for o in rows:
                    text = payloads.get(o, kind, 3, "Catatan {x}.", audience)
                    assert notify._loaded(text) == alerts.message(o, kind, 3, "Catatan {x}.", audience=audience)
    # Each wording (met three times here) became a template checked against ``message``; none fell back.
    assert payloads.templates and all(payloads.templates.values())


def test_an_alert_pass_stores_the_payloads_message_builds(tenancy):
    ensure_document_types()
    document_type = DocumentType.objects.filter(responsible="desa", per_event=False).order_by("code").first()
    due = dt.date(2026, 3, 31)
    Obligation.objects.bulk_create(
        [
            Obligation(desa=d, document_type=document_type, year=2025, legal_due_date=due, due_date=due)
            for d in (tenancy.desa_a, tenancy.desa_b)
        ]
    )
    now = dt.datetime(2026, 7, 15, 9, tzinfo=dt.UTC)
    alerts.alerts_detect(now=now)
    deliveries = Delivery.objects.filter(kind="late", channel="inapp")
    assert deliveries.count() == 5  # two desa users of desa A, one of B, the Kasi Tapem for each
    for delivery in deliveries:
        o = Obligation.objects.select_related("desa", "document_type").get(pk=delivery.payload["obligation_id"])
        audience = "kasi" if delivery.recipient.role == "kasi_tapem" else "desa"
        days = (timezone.localdate(now) - due).days
        assert delivery.payload == alerts.message(o, "late", days, audience=audience)


def test_an_install_wide_notice_belongs_to_no_kecamatan_and_only_administrators_see_it(tenancy):
    """portal 0009: a notice to the administrators (backup failed, worker down) is filed under no kecamatan, even
    for an administrator who has one, so no kecamatan's staff find it in their delivery log; the database guard
    takes an empty kecamatan as it takes an empty desa."""
    from django.urls import reverse

    from portal.choices import Role
    from tests.factories import UserFactory

    scoped_admin = UserFactory(username="admin-pucuk", role=Role.ADMIN, kecamatan=tenancy.kecamatan)
    root = UserFactory(username="root", role=Role.ADMIN, kecamatan=None, is_staff=True, is_superuser=True)
    new = notify.admins_notify(event_key="uji:system", payload=PAYLOAD)
    notices = Delivery.objects.filter(event_key="uji:system")
    assert len(new) == notices.count() >= 2
    assert set(notices.values_list("recipient_id", flat=True)) == {scoped_admin.pk, root.pk}
    assert set(notices.values_list("kecamatan_id", flat=True)) == {None}
    ids = set(notices.values_list("id", flat=True))

    kasi = tenancy.client(tenancy.kasi_tapem)
    seen = {row["id"] for row in kasi.get(reverse("api:delivery-list"), {"page_size": 500}).json()["results"]}
    assert not seen & ids
    assert kasi.get(reverse("api:delivery-detail", args=[min(ids)])).status_code == 404
    admin = tenancy.client(root)
    seen = {row["id"] for row in admin.get(reverse("api:delivery-list"), {"page_size": 500}).json()["results"]}
    assert ids <= seen
    # The guard still refuses a kecamatan that does not exist.
    with pytest.raises(IntegrityError), transaction.atomic():
        _deliver(tenancy, kecamatan_id=10**12)
