"""Koreksi absen: a forgotten punch, requested by the desa and decided like leave. The raw punches never
change; an approved correction is read by the daily status as one more punch, the day is marked corrected in
the grid and the exports, and approving after the day was computed recomputes it. Every page and endpoint is
scoped: the operator of desa B and another kecamatan's Kasi and operator get 404 and change nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import load_workbook

from attendance import corrections, daily, recap
from attendance.exports import recap_workbook
from attendance.models import DailyStatus, Device, DeviceUser, Punch, PunchCorrection, StatusDirty, WorkSchedule
from attendance.schedules import schedule_save
from monev.demo import demo_pdf
from portal.choices import Jabatan
from tests.attendance.conftest import punch
from tests.factories import PerangkatFactory
from tests.helpers import WIB

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]
MON = dt.date(2026, 8, 3)
AUG = dt.date(2026, 8, 1)
FOREIGN = ["operator_b", "outsider", "outsider_operator"]


@pytest.fixture
def office(tenancy):
    """Desa A's machine, pulled the next morning. MON: Slamet (the Kepala Desa) 07:20–16:05; Rina (staff) only
    left at 16:05: she forgot the morning punch (TAM)."""
    device = Device.objects.create(
        serial_number="A-1",
        desa=tenancy.desa_a,
        name="Balai",
        last_success_at=dt.datetime(2026, 8, 4, 8, 0, tzinfo=WIB),
    )
    rina = PerangkatFactory(desa=tenancy.desa_a, nama="Rina Wati", jabatan=Jabatan.KAUR_KEUANGAN)
    DeviceUser.objects.create(device=device, pin="1", perangkat=tenancy.perangkat_a)
    DeviceUser.objects.create(device=device, pin="2", perangkat=rina)
    punch(device, "1", MON, "07:20"), punch(device, "1", MON, "16:05"), punch(device, "2", MON, "16:05")
    daily.statuses_recompute(desa_ids=[tenancy.desa_a.pk], date_from=MON, date_to=MON)
    StatusDirty.objects.all().delete()
    return type("Office", (), {"device": device, "slamet": tenancy.perangkat_a, "rina": rina, "desa": tenancy.desa_a})


def hhmm(value: str) -> dt.time:
    return dt.time(*map(int, value.split(":")))


def request(
    tenancy,
    perangkat,
    *,
    who="operator_a",
    day=MON,
    kind="in",
    time="07:25",
    reason="Lupa absen masuk",
    attachment=None,
) -> PunchCorrection:
    return corrections.correction_request(
        actor=getattr(tenancy, who),
        perangkat=perangkat,
        date=day,
        kind=kind,
        time=hhmm(time),
        reason=reason,
        attachment=attachment,
    )


def status(perangkat, day=MON) -> DailyStatus:
    return DailyStatus.objects.get(perangkat=perangkat, date=day)


def raw_punches() -> set:
    return set(Punch.objects.values_list("pk", "device_id", "pin", "punched_at", "source", "received_at"))


def pdf(name="bukti.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, demo_pdf("Surat keterangan"), content_type="application/pdf")


# The status follows the approved correction ----------------------------------------------------------------


@pytest.mark.parametrize(("time", "label", "late"), [("07:25", "H", 0), ("08:10", "TL2", 40)])
def test_a_correction_approved_after_the_day_was_computed(client, tenancy, office, time, label, late):
    assert status(office.rina).label == "TAM"
    before = raw_punches()
    correction = request(tenancy, office.rina, time=time, attachment=pdf())
    assert status(office.rina).label == "TAM" and not StatusDirty.objects.exists()  # a request changes nothing
    corrections.correction_decide(actor=tenancy.kades_a, correction=correction, approve=True, note="Benar")
    assert StatusDirty.objects.filter(desa=office.desa, date=MON).exists()  # the computed day is marked dirty
    daily.status_dirty_process()
    row = status(office.rina)
    assert (row.label, row.late_minutes, row.corrected) == (label, late, True)
    assert row.arrival_at == dt.datetime.combine(MON, hhmm(time), WIB)
    assert status(office.slamet).corrected is False
    assert raw_punches() == before  # the raw punch store is untouched
    # The grid marks the day: the selector, the page (asterisk + legend) and the Excel recap.
    grid = recap.desa_grid(user=tenancy.camat, desa=office.desa, month=AUG)
    rina_row = next(r for r in grid.rows if r.perangkat == office.rina)
    assert (rina_row.cells[2], rina_row.corrected[2]) == (label, True)
    client.force_login(tenancy.camat)
    html = client.get(reverse("attendance-desa-month", args=[office.desa.kode]), {"bulan": "2026-08"}).content.decode()
    assert f'data-code="{label}" data-corrected="1"' in html and f"{label}<sup>*</sup>" in html
    assert 'data-testid="legend-corrected"' in html
    sheet = load_workbook(io.BytesIO(recap_workbook(user=tenancy.camat, month=AUG, desa=office.desa)))["Pucuk"]
    values = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert f"{label}*" in values
    assert any(isinstance(v, str) and v.startswith("Keterangan:") and "* dikoreksi" in v for v in values)
    # Revoking the approved correction recomputes the day without it.
    corrections.correction_cancel(actor=tenancy.kades_a, correction=correction, note="Salah input")
    daily.status_dirty_process()
    assert (status(office.rina).label, status(office.rina).corrected) == ("TAM", False)
    assert correction.history.count() == 3  # requested, approved, cancelled


def test_a_forgotten_departure_and_the_later_punch_wins(tenancy, office):
    punch(office.device, "2", dt.date(2026, 8, 4), "07:28")
    daily.statuses_recompute(desa_ids=[office.desa.pk], date_from=dt.date(2026, 8, 4), date_to=dt.date(2026, 8, 4))
    Device.objects.filter(pk=office.device.pk).update(last_success_at=dt.datetime(2026, 8, 5, 8, 0, tzinfo=WIB))
    daily.statuses_recompute(desa_ids=[office.desa.pk], date_from=dt.date(2026, 8, 4), date_to=dt.date(2026, 8, 4))
    assert status(office.rina, dt.date(2026, 8, 4)).label == "TAP"
    fix = request(tenancy, office.rina, day=dt.date(2026, 8, 4), kind="out", time="16:02", reason="Lupa absen pulang")
    corrections.correction_decide(actor=tenancy.kasi_tapem, correction=fix, approve=True)
    daily.status_dirty_process()
    row = status(office.rina, dt.date(2026, 8, 4))
    assert (row.label, row.corrected) == ("H", True)


def test_a_departure_after_midnight_belongs_to_its_day(tenancy, office):
    late_shift = WorkSchedule(kecamatan=tenancy.kecamatan, name="Dasar", departure_after_minutes=600)
    schedule_save(
        actor=tenancy.kasi_tapem, schedule=late_shift, days={d: (hhmm("07:30"), hhmm("16:00")) for d in range(5)}
    )
    punch(office.device, "1", dt.date(2026, 8, 4), "07:20")
    fix = request(
        tenancy,
        office.slamet,
        who="kasi_tapem",
        day=dt.date(2026, 8, 4),
        kind="out",
        time="00:30",
        reason="Rapat malam",
    )
    assert fix.punched_at == dt.datetime(2026, 8, 5, 0, 30, tzinfo=WIB)  # the next calendar day, for Tuesday
    corrections.correction_decide(actor=tenancy.camat, correction=fix, approve=True)
    Device.objects.filter(pk=office.device.pk).update(last_success_at=dt.datetime(2026, 8, 5, 8, 0, tzinfo=WIB))
    daily.status_dirty_process()
    row = status(office.slamet, dt.date(2026, 8, 4))
    assert (row.label, row.corrected, row.departure_at) == ("H", True, fix.punched_at)


# Refusals --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"time": "12:00"}, "time", "Jam masuk harus di antara 04:30 dan 11:30."),
        ({"kind": "out", "time": "11:00"}, "time", "Jam pulang harus di antara 12:00 dan 00:00."),
        ({"day": dt.date(2026, 8, 8)}, "date", "08/08/2026 bukan hari kerja desa ini."),  # a Saturday
        ({"day": dt.date(2026, 8, 17)}, "date", "17/08/2026 bukan hari kerja desa ini."),  # HUT RI
        ({"day": dt.date(2099, 1, 5)}, "date", "Koreksi hanya untuk hari ini atau hari yang sudah lewat."),
        ({"reason": "  "}, "reason", "Isi alasan koreksi."),
        ({"kind": "out", "time": "16:30"}, None, "Mesin sudah mencatat absen pulang pukul 16:05 pada 03/08/2026"),
    ],
)
def test_requests_that_are_refused_in_bahasa_indonesia(tenancy, office, changes, field, words):
    with pytest.raises(ValidationError) as info:
        request(tenancy, office.rina, **changes)
    messages = info.value.message_dict.get(field, []) if field else info.value.messages
    assert any(words in m for m in messages), info.value
    assert not PunchCorrection.objects.exists()


def test_one_open_correction_per_day_and_punch(tenancy, office):
    first = request(tenancy, office.rina)
    with pytest.raises(ValidationError, match="Sudah ada koreksi absen masuk 03/08/2026 yang diajukan"):
        request(tenancy, office.rina, time="07:10")
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
        PunchCorrection.objects.create(
            perangkat=office.rina,
            date=MON,
            kind="in",
            punched_at=first.punched_at,
            reason="x",
            requested_by=tenancy.camat,
        )
    corrections.correction_decide(actor=tenancy.kades_a, correction=first, approve=False, note="Tidak benar")
    assert request(tenancy, office.rina, time="07:10").state == PunchCorrection.State.REQUESTED  # after a rejection


def test_the_operator_requests_but_does_not_decide(tenancy, office):
    staff = request(tenancy, office.rina)
    for user in (tenancy.operator_a, tenancy.operator_b):
        with pytest.raises(PermissionDenied):
            corrections.correction_decide(actor=user, correction=staff, approve=True)
    staff.refresh_from_db()
    assert (staff.state, staff.decided_by) == (PunchCorrection.State.REQUESTED, None)
    with pytest.raises(PermissionDenied):  # nor requests for another desa
        request(tenancy, tenancy.perangkat_b)


def test_the_kepala_desa_cannot_decide_his_own_correction(tenancy, office):
    punch(office.device, "1", dt.date(2026, 8, 4), "16:10")  # Slamet forgot the morning punch on Tuesday
    own = request(tenancy, office.slamet, who="kades_a", day=dt.date(2026, 8, 4), time="07:15")
    with pytest.raises(PermissionDenied):
        corrections.correction_decide(actor=tenancy.kades_a, correction=own, approve=True)
    decided = corrections.correction_decide(actor=tenancy.camat, correction=own, approve=True)
    assert (decided.state, decided.decided_by) == (PunchCorrection.State.APPROVED, tenancy.camat)
    with pytest.raises(ValidationError, match="sudah diputuskan"):
        corrections.correction_decide(actor=tenancy.kasi_tapem, correction=own, approve=False)


# API ---------------------------------------------------------------------------------------------------------


def api_request(client, perangkat, fmt="json", **extra):
    body = {
        "perangkat": perangkat.pk,
        "date": MON.isoformat(),
        "kind": "in",
        "time": "07:25",
        "reason": "Lupa absen masuk",
        **extra,
    }
    return client.post(reverse("api:punch-correction-list"), body, format=fmt)


def api_action(client, pk, name, note=""):
    return client.post(reverse(f"api:punch-correction-{name}", args=[pk]), {"note": note}, format="json")


def test_api_request_approve_and_download(tenancy, office):
    operator = tenancy.client(tenancy.operator_a)
    response = api_request(operator, office.rina, fmt="multipart", attachment=pdf("surat tugas.pdf"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["perangkat"], body["desa"], body["kind"], body["kind_display"], body["state"]) == (
        office.rina.pk,
        "35.24.13.2001",
        "in",
        "Masuk",
        "diajukan",
    )
    assert body["punched_at"] == "2026-08-03T07:25:00+07:00"
    assert body["attachment_url"] == reverse("api:punch-correction-attachment", args=[body["id"]])
    download = operator.get(body["attachment_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert api_action(operator, body["id"], "approve").status_code == 403
    approved = api_action(tenancy.client(tenancy.kades_a), body["id"], "approve", "Benar lupa")
    assert approved.status_code == 200, approved.content
    assert (approved.json()["state"], approved.json()["decided_by"], approved.json()["decision_note"]) == (
        "disetujui",
        "kades_a",
        "Benar lupa",
    )
    again = api_action(tenancy.client(tenancy.camat), body["id"], "reject")
    assert again.status_code == 400 and "sudah diputuskan" in again.json()["fields"]["non_field_errors"][0]
    daily.status_dirty_process()
    daily_row = tenancy.client(tenancy.camat).get(reverse("api:daily-status-list"), {"perangkat": office.rina.pk})
    assert [(r["label"], r["corrected"]) for r in daily_row.json()["results"]] == [("H", True)]
    grid = tenancy.client(tenancy.camat).get(
        reverse("api:attendance-recap"), {"month": "2026-08", "desa": "35.24.13.2001"}
    )
    rina = next(r for r in grid.json()["rows"] if r["perangkat"] == office.rina.pk)
    assert (rina["cells"][2], rina["corrected"][2]) == ("H", True)


def test_api_errors_are_field_errors(tenancy, office):
    api = tenancy.client(tenancy.operator_a)
    late = api_request(api, office.rina, time="12:30")
    assert late.status_code == 400 and "Jam masuk harus di antara" in late.json()["fields"]["time"][0]
    fake = api_request(api, office.rina, fmt="multipart", attachment=SimpleUploadedFile("a.pdf", b"MZ bukan pdf"))
    assert fake.status_code == 400 and "attachment" in fake.json()["fields"]
    assert api_request(api, office.rina, kind="siang").status_code == 400
    assert not PunchCorrection.objects.exists()


def test_api_reject_cancel_and_filters(tenancy, office):
    kades = tenancy.client(tenancy.kades_a)
    first = api_request(kades, office.rina).json()["id"]
    assert api_action(kades, first, "reject", "Tidak benar").json()["state"] == "ditolak"
    second = api_request(kades, office.rina, time="07:29").json()["id"]
    cancelled = api_action(kades, second, "cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "dibatalkan"
    assert api_action(kades, second, "cancel").status_code == 400
    api = tenancy.client(tenancy.camat)

    def ids(**params):
        return {r["id"] for r in api.get(reverse("api:punch-correction-list"), params).json()["results"]}

    assert ids() == {first, second} and ids(state="ditolak") == {first}
    assert ids(desa="35.24.13.2002") == set() and ids(perangkat=office.rina.pk, kind="in") == {first, second}
    assert ids(date_from="2026-08-04") == set() and ids(date_to="2026-08-03") == {first, second}


@pytest.mark.parametrize("who", FOREIGN)
def test_api_outsiders_get_404_and_change_nothing(tenancy, office, who):
    row = request(tenancy, office.rina, attachment=pdf())
    api = tenancy.client(getattr(tenancy, who))
    listing = api.get(reverse("api:punch-correction-list"), {"desa": "35.24.13.2001"})
    assert listing.status_code == 200 and listing.json()["results"] == []
    assert api.get(reverse("api:punch-correction-detail", args=[row.pk])).status_code == 404
    assert api.get(reverse("api:punch-correction-attachment", args=[row.pk])).status_code == 404
    for name in ("approve", "reject", "cancel"):
        assert api_action(api, row.pk, name).status_code == 404
    created = api_request(api, office.rina, time="07:10")
    assert created.status_code == 400 and "perangkat" in created.json()["fields"]
    row.refresh_from_db()
    assert (row.state, row.decided_by) == (PunchCorrection.State.REQUESTED, None)
    assert PunchCorrection.objects.count() == 1


# Web pages ---------------------------------------------------------------------------------------------------


def form_data(perangkat, **fields) -> dict:
    return {
        "perangkat": perangkat.pk,
        "date": "03/08/2026",
        "kind": "in",
        "time": "07:25",
        "reason": "Lupa absen masuk",
        **fields,
    }


def test_web_request_then_approval_by_the_kepala_desa(client, tenancy, office):
    client.force_login(tenancy.operator_a)
    page = client.get(reverse("attendance-correction-new")).content.decode()
    for name in ("perangkat", "date", "kind", "time", "reason", "attachment"):
        assert f'for="id_{name}"' in page  # every field is labelled
    response = client.post(reverse("attendance-correction-new"), form_data(office.rina, attachment=pdf()))
    assert response.status_code == 302
    row = PunchCorrection.objects.get()
    assert (row.perangkat, row.requested_by, row.attachment_name) == (office.rina, tenancy.operator_a, "bukti.pdf")
    html = client.get(reverse("attendance-corrections")).content.decode()
    assert "Koreksi absen" in html and 'data-testid="approve"' not in html and 'data-testid="cancel"' in html
    assert client.post(reverse("attendance-correction-approve", args=[row.pk])).status_code == 403
    client.force_login(tenancy.kades_a)
    html = client.get(reverse("attendance-corrections")).content.decode()
    assert reverse("attendance-correction-approve", args=[row.pk]) in html and "07:25" in html
    response = client.post(reverse("attendance-correction-approve", args=[row.pk]), {"note": "Benar"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.state, row.decided_by, row.decision_note) == (PunchCorrection.State.APPROVED, tenancy.kades_a, "Benar")
    response = client.post(reverse("attendance-correction-reject", args=[row.pk]), follow=True)
    assert "Pengajuan ini sudah diputuskan." in response.content.decode()
    for user in (tenancy.operator_a, tenancy.camat):
        client.force_login(user)
        response = client.get(reverse("attendance-correction-attachment", args=[row.pk]))
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_web_form_errors_in_bahasa_indonesia(client, tenancy, office):
    client.force_login(tenancy.operator_a)
    response = client.post(reverse("attendance-correction-new"), form_data(office.rina, time="13:00"))
    assert response.status_code == 200
    assert "Jam masuk harus di antara 04:30 dan 11:30." in response.context["form"].errors["time"]
    response = client.post(reverse("attendance-correction-new"), form_data(office.rina, date="08/08/2026"))
    assert "08/08/2026 bukan hari kerja desa ini." in response.context["form"].errors["date"]
    response = client.post(reverse("attendance-correction-new"), form_data(office.rina, kind="out", time="16:30"))
    assert "Mesin sudah mencatat absen pulang pukul 16:05" in response.content.decode()
    response = client.post(reverse("attendance-correction-new"), form_data(tenancy.perangkat_b))
    assert "perangkat" in response.context["form"].errors  # another desa is not a choice
    assert not PunchCorrection.objects.exists()


def test_the_tab_row_has_koreksi_absen(client, tenancy):
    client.force_login(tenancy.camat)
    html = client.get(reverse("attendance-today")).content.decode()
    assert f'href="{reverse("attendance-corrections")}"' in html and "Koreksi absen" in html


@pytest.mark.parametrize("who", FOREIGN)
def test_web_outsiders_get_404_and_change_nothing(client, tenancy, office, who):
    row = request(tenancy, office.rina, attachment=pdf())
    client.force_login(getattr(tenancy, who))
    for name in ("attendance-correction-approve", "attendance-correction-reject", "attendance-correction-cancel"):
        assert client.post(reverse(name, args=[row.pk])).status_code == 404
    assert client.get(reverse("attendance-correction-attachment", args=[row.pk])).status_code == 404
    html = client.get(reverse("attendance-corrections")).content.decode()
    assert "Rina Wati" not in html
    response = client.post(reverse("attendance-correction-new"), form_data(office.rina, time="07:10"))
    assert response.status_code == 200 and "perangkat" in response.context["form"].errors  # not a choice for them
    row.refresh_from_db()
    assert (row.state, row.decided_by) == (PunchCorrection.State.REQUESTED, None)
    assert PunchCorrection.objects.count() == 1


def test_list_endpoint_queries_do_not_grow_with_rows(tenancy, office):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = tenancy.client(tenancy.camat)

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(reverse("api:punch-correction-list"), {"page_size": 100})
        assert response.status_code == 200
        return len(queries)

    request(tenancy, office.rina)
    one = measure()
    for day in (4, 5, 6):
        punch(office.device, "2", dt.date(2026, 8, day), "16:05")
        request(tenancy, office.rina, day=dt.date(2026, 8, day), attachment=pdf())
    assert measure() == one
