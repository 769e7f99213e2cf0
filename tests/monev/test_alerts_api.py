"""Who sees which alert: the notifications inbox (API and web), the delivery log, teguran (sanctions) and the
notification settings. One alert pass on 15 July 2026 makes every desa's RKPDES/APBDES and LAP_SEMESTER_1
late, so every desa user and each kecamatan's Kasi Tapem has late notices of their own."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from monev import services
from monev.alerts import alerts_run_once
from monev.models import DocumentType, Sanction
from portal import notify
from portal.models import Delivery, Notification
from tests.helpers import WIB, content
from tests.helpers import rows as listing
from tests.monev.conftest import obligation

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 7, 15, 9, tzinfo=WIB)
DESA_A, DESA_B, OTHER = "35.24.13.2001", "35.24.13.2002", "35.24.14.2001"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alerted(monev):
    alerts_run_once(now=NOW)
    return monev


# Notifications API ------------------------------------------------------------------------------------------


def test_each_user_lists_only_their_own_notifications(alerted):
    for user in (alerted.operator_a, alerted.kades_a, alerted.operator_b, alerted.kasi_tapem, alerted.outsider):
        rows = listing(alerted.client(user), "api:notification-list")
        own = Notification.objects.filter(recipient=user)
        assert rows and sorted(r["id"] for r in rows) == sorted(own.values_list("id", flat=True))
    rows = listing(alerted.client(alerted.operator_a), "api:notification-list")
    assert {r["desa"] for r in rows} == {DESA_A}
    assert {r["kind"] for r in rows} == {"late"}
    o = obligation(alerted.desa_a, "RKPDES")
    [row] = [r for r in rows if r["obligation_id"] == o.pk]
    assert row["document_type"] == "RKPDES" and row["read"] is False
    assert row["title"] == f"Terlambat: {o.title} Desa Pucuk"
    assert "tenggatnya 30/09/2025" in row["message"]
    kasi = listing(alerted.client(alerted.kasi_tapem), "api:notification-list")
    assert {r["desa"] for r in kasi} == {DESA_A, DESA_B}


def test_operator_never_gets_another_desa_alerts(alerted):
    b_late = Notification.objects.filter(desa_kode=DESA_B, kind="late")
    assert sorted(set(b_late.values_list("recipient__username", flat=True))) == ["kasitapem", "op_b"]
    assert not Notification.objects.filter(recipient=alerted.operator_a).exclude(desa_kode=DESA_A).exists()
    assert not Delivery.objects.filter(recipient=alerted.operator_a).exclude(desa__kode=DESA_A).exists()
    api = alerted.client(alerted.operator_a)
    assert not [r for r in listing(api, "api:notification-list") if r["desa"] != DESA_A]
    assert not Notification.objects.filter(recipient=alerted.outsider).exclude(desa_kode=OTHER).exists()


def test_read_one_read_all_and_unread_filter(alerted):
    api = alerted.client(alerted.operator_a)
    foreign = Notification.objects.filter(recipient=alerted.operator_b).first()
    assert api.post(reverse("api:notification-read", args=[foreign.pk])).status_code == 404
    assert api.get(reverse("api:notification-detail", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.read_at is None

    mine = Notification.objects.filter(recipient=alerted.operator_a).order_by("id")
    total = mine.count()
    assert total >= 3
    response = api.post(reverse("api:notification-read", args=[mine[0].pk]))
    assert response.status_code == 200 and response.json()["read"] is True
    unread = listing(api, "api:notification-list", unread="true")
    assert len(unread) == total - 1 and mine[0].pk not in {r["id"] for r in unread}

    others_unread = Notification.objects.exclude(recipient=alerted.operator_a).filter(read_at__isnull=True).count()
    response = api.post(reverse("api:notification-read-all"))
    assert response.json() == {"marked": total - 1}
    assert listing(api, "api:notification-list", unread="true") == []
    assert len(listing(api, "api:notification-list")) == total
    assert Notification.objects.exclude(recipient=alerted.operator_a).filter(read_at__isnull=True).count() == (
        others_unread
    )


def test_patch_that_makes_it_late_at_once_sends_no_late_notice(alerted):
    # A Perdes recorded today is due in 7 days; moving its promulgation date back makes it late at once.
    # (The Raperdes APBDes used before has a due date from its fallback since "Trustworthy verdicts".)
    o = services.obligation_create_for_event(
        actor=alerted.operator_a,
        desa=alerted.desa_a,
        document_type=DocumentType.objects.get(code="PERDES"),
        year=2026,
        label="Perdes No. 3 Tahun 2026",
        trigger_date=NOW.date(),
    )
    assert o.state == "belum"
    url = reverse("api:obligation-detail", args=[o.pk])
    response = alerted.client(alerted.operator_a).patch(url, {"trigger_date": "2026-06-01"}, format="json")
    assert response.status_code == 200, response.content
    o.refresh_from_db()
    assert (o.state, o.due_date) == ("terlambat", dt.date(2026, 6, 8))
    assert o.transitions.filter(to_state="terlambat").count() == 1
    alerts_run_once(now=NOW)
    assert not Notification.objects.filter(obligation_id=o.pk).exists()


# Delivery log ------------------------------------------------------------------------------------------------


def test_delivery_log_is_scoped_to_the_kecamatan(alerted):
    pucuk = Delivery.objects.filter(kecamatan=alerted.kecamatan)
    rows = listing(alerted.client(alerted.kasi_tapem), "api:delivery-list")
    assert sorted(r["id"] for r in rows) == sorted(pucuk.values_list("id", flat=True))
    assert {r["desa"] for r in rows} == {DESA_A, DESA_B}
    assert all(r["status"] == "sent" and r["attempt_log"][0]["outcome"] == "sent" for r in rows)

    outsider = alerted.client(alerted.outsider)
    seen = {r["id"] for r in listing(outsider, "api:delivery-list")}
    assert seen and not seen & set(pucuk.values_list("id", flat=True))
    assert outsider.get(reverse("api:delivery-detail", args=[pucuk.first().pk])).status_code == 404
    assert outsider.post(reverse("api:delivery-retry", args=[pucuk.first().pk])).status_code == 404
    for user in (alerted.operator_a, alerted.kades_a):
        assert alerted.client(user).get(reverse("api:delivery-list")).status_code == 403


def test_retry_rearms_a_failed_delivery(alerted):
    user = alerted.operator_a
    user.notify_webhook, user.phone = True, "081234567890"
    user.save()
    notify.deliveries_create(
        event_key="uji:webhook",
        kind="late",
        recipients=[user],
        kecamatan_id=alerted.kecamatan.pk,
        desa_id=alerted.desa_a.pk,
        payload={"title": "Uji", "message": "Pesan uji"},
    )
    d = Delivery.objects.get(event_key="uji:webhook", channel="webhook")
    assert notify.deliver(d.pk) == "failed"  # no webhook configured
    d.refresh_from_db()
    assert (d.status, d.attempts) == ("failed", 1)
    response = alerted.client(alerted.kasi_tapem).post(reverse("api:delivery-retry", args=[d.pk]))
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["attempts"]) == ("pending", 0)
    assert d.pk in notify.due_ids(now=NOW + dt.timedelta(seconds=1))


# Sanctions ---------------------------------------------------------------------------------------------------


def _sanction(client, o, level="tertulis_1"):
    return client.post(
        reverse("api:sanction-list"), {"obligation": o.pk, "level": level, "letter_number": "140/12/2026"}
    )


def test_kasi_records_a_written_teguran_with_a_pdf_letter(monev):
    o = obligation(monev.desa_a, "RKPDES")
    response = _sanction(monev.client(monev.kasi_tapem), o)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["desa"], body["obligation"], body["level"], body["letter_number"]) == (
        DESA_A,
        o.pk,
        "tertulis_1",
        "140/12/2026",
    )
    assert body["letter_url"] == reverse("api:sanction-letter", args=[body["id"]])
    letter = monev.client(monev.kasi_tapem).get(body["letter_url"])
    assert letter.status_code == 200
    assert letter["Content-Type"] == "application/pdf"
    assert letter["Content-Disposition"].startswith("attachment")
    assert content(letter).startswith(b"%PDF")
    own = monev.client(monev.operator_a).get(body["letter_url"])
    assert own.status_code == 200 and content(own).startswith(b"%PDF")


def test_teguran_refused_when_not_late_or_not_allowed(monev):
    not_late = obligation(monev.desa_a, "LPPD")  # due 31/03/2027
    response = _sanction(monev.client(monev.kasi_tapem), not_late)
    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"] == ["Teguran hanya untuk kewajiban yang terlambat."]
    late = obligation(monev.desa_a, "RKPDES")
    assert _sanction(monev.client(monev.operator_a), late).status_code == 403
    assert _sanction(monev.client(monev.outsider), late).status_code == 404
    assert not Sanction.objects.exists()


def test_outsider_sees_no_teguran_of_pucuk(monev):
    response = _sanction(monev.client(monev.kasi_tapem), obligation(monev.desa_a, "RKPDES"))
    pk = response.json()["id"]
    outsider = monev.client(monev.outsider)
    assert listing(outsider, "api:sanction-list") == []
    assert outsider.get(reverse("api:sanction-detail", args=[pk])).status_code == 404
    assert outsider.get(reverse("api:sanction-letter", args=[pk])).status_code == 404
    assert monev.client(monev.operator_b).get(reverse("api:sanction-detail", args=[pk])).status_code == 404
    assert [r["id"] for r in listing(monev.client(monev.operator_a), "api:sanction-list")] == [pk]


def test_sanction_letter_web_download_is_scoped(monev, client):
    pk = _sanction(monev.client(monev.kasi_tapem), obligation(monev.desa_a, "RKPDES")).json()["id"]
    url = reverse("monev-sanction-letter", args=[pk])
    assert monev.web(client, monev.outsider).get(url).status_code == 404
    client.logout()
    response = monev.web(client, monev.operator_a).get(url)
    assert response.status_code == 200 and content(response).startswith(b"%PDF")


def test_desa_page_shows_the_teguran_history(monev, client):
    pk = _sanction(monev.client(monev.kasi_tapem), obligation(monev.desa_a, "RKPDES")).json()["id"]
    page = monev.web(client, monev.operator_a).get(reverse("monev-desa", args=[DESA_A]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="sanctions"' in html
    assert "Teguran tertulis I" in html and reverse("monev-sanction-letter", args=[pk]) in html


# Web inbox and settings ------------------------------------------------------------------------------------


def test_web_inbox_lists_own_and_shows_the_unread_badge(alerted, client):
    mine = Notification.objects.filter(recipient=alerted.operator_a)
    page = alerted.web(client, alerted.operator_a).get(reverse("inbox"))
    html = page.content.decode()
    assert page.status_code == 200
    for note in mine:
        assert reverse("inbox-read", args=[note.pk]) in html
    for note in Notification.objects.exclude(recipient=alerted.operator_a):
        assert reverse("inbox-read", args=[note.pk]) not in html
    badge = re.search(r'data-testid="unread-count">(\d+)<', html)
    assert badge and int(badge.group(1)) == mine.count()

    foreign = Notification.objects.filter(recipient=alerted.kasi_tapem).first()
    assert client.post(reverse("inbox-read", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.read_at is None
    response = client.post(reverse("inbox-read", args=[mine.first().pk]))
    assert response.status_code == 302 and response["Location"] == mine.first().link
    html = client.get(reverse("inbox")).content.decode()
    assert re.search(r'data-testid="unread-count">(\d+)<', html).group(1) == str(mine.count() - 1)
    client.post(reverse("inbox-read-all"))
    assert 'data-testid="unread-count"' not in client.get(reverse("inbox")).content.decode()
    assert Notification.objects.filter(recipient=alerted.kasi_tapem, read_at__isnull=True).exists()


def test_preferences_refuse_email_notifications_without_an_address(monev, client):
    web = monev.web(client, monev.operator_a)
    response = web.post(reverse("preferences"), {"email": "", "phone": "", "notify_email": "on"})
    assert response.status_code == 200
    assert "Isi alamat email untuk menerima pemberitahuan lewat email." in response.content.decode()
    monev.operator_a.refresh_from_db()
    assert monev.operator_a.email == "op_a@example.test"
    response = web.post(reverse("preferences"), {"email": "", "phone": ""})
    assert response.status_code == 302
    monev.operator_a.refresh_from_db()
    assert (monev.operator_a.email, monev.operator_a.notify_email) == ("", False)
