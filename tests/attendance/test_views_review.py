"""The Camat's attendance review pages: today, the month ranking, a desa's grid with notes and teguran,
working hours and leave. Every page is scoped: a desa operator sees only their desa, an outsider (another
kecamatan) gets 404, and a refused POST changes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from attendance import rollup
from attendance.models import AttendanceWarning, DailyStatus, Device, Leave, ReviewNote, ScheduleDay, WorkSchedule
from monev.demo import demo_pdf
from portal.choices import Jabatan
from tests.factories import DesaFactory, PerangkatFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]
MARCH = dt.date(2026, 3, 1)
BULAN = "2026-03"


def status(perangkat, day: dt.date, code: str, late: int = 0, early: int = 0) -> DailyStatus:
    """A DailyStatus as the recompute would store it: ``code`` is the grid label ("TL1/PSW1", "H", "L" …)."""
    codes = code.replace("/", " ") if code not in ("H", "L", "ND") else ""
    family = code.split("/")[0].rstrip("0123456789")
    row = DailyStatus.objects.create(
        perangkat=perangkat,
        desa=perangkat.desa,
        date=day,
        status=family,
        codes=codes,
        late_minutes=late,
        early_minutes=early,
        computed_at=timezone.now(),
    )
    # As the recompute does in the transaction that writes a status: its desa's month is summed again.
    rollup.months_refresh(desa_ids=[row.desa_id], date_from=row.date, date_to=row.date)
    return row


def month_data(tenancy) -> None:
    """March 2026: desa B (Gempolpading) all on time; desa A (Pucuk) late twice, one TK, one ND day. Desa A's
    code is lower, so a ranking by rate (B first) is not the default order by code."""
    a, b = tenancy.perangkat_a, tenancy.perangkat_b
    status(a, dt.date(2026, 3, 2), "TL2", late=45)
    status(a, dt.date(2026, 3, 3), "TK")
    status(a, dt.date(2026, 3, 4), "H")
    status(a, dt.date(2026, 3, 5), "H")
    status(a, dt.date(2026, 3, 6), "TL1/PSW1", late=10, early=15)
    status(a, dt.date(2026, 3, 7), "L")
    status(a, dt.date(2026, 3, 8), "L")
    status(a, dt.date(2026, 3, 9), "ND")
    for day in range(2, 7):
        status(b, dt.date(2026, 3, day), "H")
    status(b, dt.date(2026, 3, 7), "L")
    status(b, dt.date(2026, 3, 8), "L")


def get(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params)


def post(client, user, name, *args, data=None, **extra):
    client.force_login(user)
    return client.post(reverse(name, args=args), data or {}, **extra)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def schedule_data(name: str, days: dict[int, tuple[str, str]], **fields) -> dict:
    data = {
        "name": name,
        "desa": "",
        "valid_from": "",
        "valid_to": "",
        "tolerance_minutes": "0",
        "arrival_before_minutes": "180",
        "arrival_after_minutes": "240",
        "departure_before_minutes": "240",
        "departure_after_minutes": "480",
    }
    for weekday, (start, end) in days.items():
        data.update({f"day_{weekday}_on": "on", f"day_{weekday}_start": start, f"day_{weekday}_end": end})
    data.update(fields)
    return data


FIVE_DAYS = {d: ("07:30", "16:00") for d in range(5)}


# Pages render, scoped --------------------------------------------------------------------------------------

PAGES = [
    ("attendance-today", (), {}),
    ("attendance-month", (), {"bulan": BULAN}),
    ("attendance-desa-month", ("35.24.13.2001",), {"bulan": BULAN}),
    ("attendance-schedules", (), {}),
    ("attendance-schedule-new", (), {}),
    ("attendance-leave", (), {}),
    ("attendance-leave-new", (), {}),
]


@pytest.mark.parametrize("who", ["camat", "kasi_tapem"])
@pytest.mark.parametrize(("name", "args", "params"), PAGES)
def test_pages_render_for_kecamatan_staff(client, tenancy, who, name, args, params):
    month_data(tenancy)
    response = get(client, getattr(tenancy, who), name, *args, **params)
    assert response.status_code == 200


def test_nav_has_one_entry_and_the_pages_share_tabs(client, tenancy):
    response = get(client, tenancy.operator_a, "attendance-today")
    assert ("Absensi", reverse("attendance-today")) in response.context["nav_items"]
    html = response.content.decode()
    for name in ("attendance-month", "attendance-leave", "attendance-schedules", "attendance-devices"):
        assert f'href="{reverse(name)}"' in html


def test_month_ranks_desa_by_attendance_rate(client, tenancy):
    month_data(tenancy)
    response = get(client, tenancy.camat, "attendance-month", bulan=BULAN)
    rows = response.context["rows"]
    assert [(r.rank, r.desa.nama) for r in rows] == [(1, "Gempolpading"), (2, "Pucuk")]
    a = rows[1].totals
    assert (a.hari_kerja, a.h, a.tl, a.tl_minutes, a.psw, a.tk, a.nd, a.rate) == (6, 2, 2, 55, 1, 1, 1, 80.0)
    html = response.content.decode()
    assert html.index("Gempolpading") < html.index('data-desa="35.24.13.2001"')
    assert "80,0%" in html and "100,0%" in html
    assert f"{reverse('attendance-month-xlsx')}?bulan={BULAN}" in html
    assert "?bulan=2026-02" in html and "?bulan=2026-04" in html  # previous / next month
    assert "<polyline" in html  # the trend chart of a desa with data


def test_month_flags_chronic_lateness_and_tk_streak(client, tenancy, settings):
    settings.ATTENDANCE_CHRONIC_LATE = 2
    settings.ATTENDANCE_TK_STREAK = 1
    month_data(tenancy)
    response = get(client, tenancy.camat, "attendance-month", bulan=BULAN)
    kinds = {(f.kind, f.perangkat.nama if f.perangkat else None) for f in response.context["flags"]}
    assert ("chronic_late", "Slamet Riyadi") in kinds
    assert ("tk_streak", "Slamet Riyadi") in kinds
    assert "Sering terlambat" in response.content.decode()


def test_operator_sees_only_their_desa(client, tenancy):
    month_data(tenancy)
    for name, params in (("attendance-month", {"bulan": BULAN}), ("attendance-today", {})):
        response = get(client, tenancy.operator_a, name, **params)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-desa="35.24.13.2001"' in html
        assert "Gempolpading" not in html and "35.24.13.2002" not in html
    response = get(client, tenancy.operator_a, "attendance-month", bulan=BULAN)
    assert [r.desa.kode for r in response.context["rows"]] == ["35.24.13.2001"]


def test_desa_grid_shows_codes_and_totals(client, tenancy):
    month_data(tenancy)
    response = get(client, tenancy.operator_a, "attendance-desa-month", "35.24.13.2001", bulan=BULAN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-code="TL2"' in html and 'data-code="TL1/PSW1"' in html
    assert 'class="att-day table-danger fw-semibold" data-code="TK"' in html
    assert 'class="att-day table-warning" data-code="TL2"' in html
    assert 'class="att-day table-secondary text-muted" data-code="L"' in html
    row = response.context["grid"].rows[0]
    assert row.perangkat == tenancy.perangkat_a and row.totals.tl_minutes == 55
    assert reverse("attendance-desa-month-xlsx", args=["35.24.13.2001"]) in html
    assert reverse("attendance-desa-month-pdf", args=["35.24.13.2001"]) in html
    # Not a reviewer: no note or teguran form.
    assert 'data-testid="note-form"' not in html and 'data-testid="warning-form"' not in html


@pytest.mark.parametrize(
    ("who", "kode"),
    [("operator_a", "35.24.13.2002"), ("outsider", "35.24.13.2001"), ("outsider_operator", "35.24.13.2001")],
)
@pytest.mark.parametrize("name", ["attendance-desa-month", "attendance-desa-month-xlsx", "attendance-desa-month-pdf"])
def test_desa_pages_outside_scope_answer_404(client, tenancy, who, kode, name):
    month_data(tenancy)
    assert get(client, getattr(tenancy, who), name, kode, bulan=BULAN).status_code == 404


def test_month_pages_of_an_outsider_hold_none_of_our_desa(client, tenancy):
    month_data(tenancy)
    response = get(client, tenancy.outsider, "attendance-month", bulan=BULAN)
    assert [r.desa.nama for r in response.context["rows"]] == ["Sukodadi"]
    assert "Gempolpading" not in response.content.decode()


def test_excel_downloads(client, tenancy):
    month_data(tenancy)
    response = get(client, tenancy.camat, "attendance-month-xlsx", bulan=BULAN)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert {"Pucuk", "Gempolpading"} <= set(workbook.sheetnames)
    response = get(client, tenancy.operator_a, "attendance-month-xlsx", bulan=BULAN)
    workbook = load_workbook(io.BytesIO(response.content))
    assert "Pucuk" in workbook.sheetnames and "Gempolpading" not in workbook.sheetnames
    response = get(client, tenancy.operator_a, "attendance-desa-month-xlsx", "35.24.13.2001", bulan=BULAN)
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["Pucuk"]
    response = get(client, tenancy.camat, "attendance-desa-month-pdf", "35.24.13.2001", bulan=BULAN)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_today_counts_and_device_health(client, tenancy):
    today = timezone.localdate()
    status(tenancy.perangkat_a, today, "TL1", late=5)
    status(tenancy.perangkat_b, today, "TK")
    Device.objects.create(serial_number="A-1", desa=tenancy.desa_a, name="Mesin Balai Desa", consecutive_failures=2)
    response = get(client, tenancy.camat, "attendance-today")
    rows = {r.desa.kode: r for r in response.context["rows"]}
    assert (rows["35.24.13.2001"].arrived, rows["35.24.13.2001"].late) == (1, 1)
    assert rows["35.24.13.2002"].absent == 1
    html = response.content.decode()
    assert 'data-health="failing"' in html and "Mesin Balai Desa" in html


def test_month_page_queries_do_not_grow_with_desa(client, tenancy):
    def add_desa(n: int):
        for i in range(n):
            desa = DesaFactory(kecamatan=tenancy.kecamatan, kode=f"35.24.13.{2101 + i}", nama=f"Desa Tambahan {i}")
            person = PerangkatFactory(desa=desa, jabatan=Jabatan.STAF)
            Device.objects.create(serial_number=f"X-{desa.kode}", desa=desa, name="Mesin")
            status(person, dt.date(2026, 3, 2), "TL2", late=40)
            status(person, dt.date(2026, 3, 3), "TK")
            status(person, dt.date(2026, 2, 3), "H")

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("attendance-month"), {"bulan": BULAN})
        assert response.status_code == 200
        return len(queries)

    month_data(tenancy)
    Device.objects.create(serial_number="A-1", desa=tenancy.desa_a, name="Mesin A")
    client.force_login(tenancy.camat)
    measure()  # warm caches
    two = measure()
    add_desa(4)
    six = measure()
    assert len(client.get(reverse("attendance-month"), {"bulan": BULAN}).context["rows"]) == 6
    assert six == two, (two, six)
    assert two > 5  # the page really ran its reads inside the measurement


# Notes and teguran -----------------------------------------------------------------------------------------


def test_camat_adds_a_note_and_a_written_warning_with_a_letter(client, tenancy):
    month_data(tenancy)
    response = post(
        client,
        tenancy.camat,
        "attendance-note-create",
        "35.24.13.2001",
        data={"bulan": BULAN, "text": "Mohon tertibkan jam masuk.", "perangkat": tenancy.perangkat_a.pk},
    )
    assert response.status_code == 302
    note = ReviewNote.objects.get()
    assert (note.desa, note.month, note.perangkat, note.author) == (
        tenancy.desa_a,
        MARCH,
        tenancy.perangkat_a,
        tenancy.camat,
    )
    response = post(
        client,
        tenancy.camat,
        "attendance-warning-create",
        "35.24.13.2001",
        data={
            "bulan": BULAN,
            "perangkat": tenancy.perangkat_a.pk,
            "level": "tertulis_1",
            "letter_number": "800/17/2026",
            "note": "Terlambat dan TK berulang.",
        },
    )
    assert response.status_code == 302, texts(response)
    warning = AttendanceWarning.objects.get()
    assert warning.level == "tertulis_1" and warning.month == MARCH and warning.letter_path
    grid = get(client, tenancy.camat, "attendance-desa-month", "35.24.13.2001", bulan=BULAN).content.decode()
    assert "Mohon tertibkan jam masuk." in grid and "800/17/2026" in grid
    assert reverse("attendance-warning-letter", args=[warning.pk]) in grid
    for user in (tenancy.camat, tenancy.operator_a):
        response = get(client, user, "attendance-warning-letter", warning.pk)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    for user in (tenancy.operator_b, tenancy.outsider, tenancy.outsider_operator):
        assert get(client, user, "attendance-warning-letter", warning.pk).status_code == 404


def test_verbal_warning_has_no_letter(client, tenancy):
    post(
        client,
        tenancy.kasi_tapem,
        "attendance-warning-create",
        "35.24.13.2001",
        data={"bulan": BULAN, "perangkat": tenancy.perangkat_a.pk, "level": "lisan", "note": "Sering terlambat."},
    )
    warning = AttendanceWarning.objects.get()
    assert not warning.letter_path
    assert get(client, tenancy.camat, "attendance-warning-letter", warning.pk).status_code == 404


def test_reviewer_sees_the_forms(client, tenancy):
    html = get(client, tenancy.camat, "attendance-desa-month", "35.24.13.2001", bulan=BULAN).content.decode()
    assert 'data-testid="note-form"' in html and 'data-testid="warning-form"' in html


@pytest.mark.parametrize(
    ("who", "expected"), [("outsider", 404), ("outsider_operator", 404), ("operator_a", 403), ("kades_a", 403)]
)
def test_notes_and_warnings_refused_for_others(client, tenancy, who, expected):
    user = getattr(tenancy, who)
    response = post(
        client, user, "attendance-note-create", "35.24.13.2001", data={"bulan": BULAN, "text": "Catatan liar"}
    )
    assert response.status_code == expected
    response = post(
        client,
        user,
        "attendance-warning-create",
        "35.24.13.2001",
        data={"bulan": BULAN, "perangkat": tenancy.perangkat_a.pk, "level": "tertulis_1", "note": "Teguran liar"},
    )
    assert response.status_code == expected
    assert not ReviewNote.objects.exists() and not AttendanceWarning.objects.exists()


def test_reviewer_cannot_warn_a_perangkat_of_another_desa_through_this_desa(client, tenancy):
    response = post(
        client,
        tenancy.camat,
        "attendance-warning-create",
        "35.24.13.2001",
        data={"bulan": BULAN, "perangkat": tenancy.other_perangkat.pk, "level": "lisan", "note": "x"},
    )
    assert response.status_code == 302
    assert not AttendanceWarning.objects.exists()


# Working hours ---------------------------------------------------------------------------------------------


def test_schedule_list_shows_the_builtin_default_until_a_base_exists(client, tenancy):
    response = get(client, tenancy.operator_a, "attendance-schedules")
    html = response.content.decode()
    assert 'data-schedule="bawaan"' in html and "Jam kerja bawaan" in html
    assert "07:30–16:30" in html  # the built-in Friday
    assert 'data-testid="schedule-new"' not in html  # desa users only read


def test_camat_creates_a_six_day_schedule(client, tenancy):
    days = {d: ("07:00", "14:00") for d in range(4)} | {4: ("07:00", "11:00"), 5: ("07:00", "12:30")}
    response = post(
        client, tenancy.camat, "attendance-schedule-new", data=schedule_data("Enam hari", days, tolerance_minutes="5")
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else None
    schedule = WorkSchedule.objects.get()
    assert (schedule.kecamatan, schedule.desa, schedule.tolerance_minutes) == (tenancy.kecamatan, None, 5)
    got = {d.weekday: (f"{d.start:%H:%M}", f"{d.end:%H:%M}") for d in ScheduleDay.objects.filter(schedule=schedule)}
    assert got == days
    html = get(client, tenancy.camat, "attendance-schedules").content.decode()
    assert "Enam hari" in html and "07:00–12:30" in html and 'data-schedule="bawaan"' not in html


def test_desa_ramadan_override_and_service_errors_on_the_form(client, tenancy):
    post(client, tenancy.camat, "attendance-schedule-new", data=schedule_data("Dasar", FIVE_DAYS))
    # A second base schedule for the kecamatan: the service refuses, the form says why.
    response = post(client, tenancy.camat, "attendance-schedule-new", data=schedule_data("Dasar lagi", FIVE_DAYS))
    assert response.status_code == 200
    assert "Jam kerja dasar untuk wilayah ini sudah ada" in response.content.decode()
    # Only one date of the pair.
    data = schedule_data("Ramadan", FIVE_DAYS, valid_from="18/02/2026")
    response = post(client, tenancy.camat, "attendance-schedule-new", data=data)
    assert "Isi kedua tanggal berlaku" in " ".join(response.context["form"].errors["valid_to"])
    # A departure window past 06:00 the next morning: the service's message under its field.
    data = schedule_data("Malam", {0: ("07:30", "23:00")}, desa=tenancy.desa_a.pk, departure_after_minutes="480")
    response = post(client, tenancy.camat, "attendance-schedule-new", data=data)
    assert "pukul 06.00" in " ".join(response.context["form"].errors["departure_after_minutes"])
    # A desa of another kecamatan is not a choice.
    data = schedule_data("Asing", FIVE_DAYS, desa=tenancy.other_desa.pk)
    response = post(client, tenancy.camat, "attendance-schedule-new", data=data)
    assert "desa" in response.context["form"].errors
    ramadan = {d: ("08:00", "15:00") for d in range(5)}
    data = schedule_data(
        "Ramadan Pucuk", ramadan, desa=tenancy.desa_a.pk, valid_from="18/02/2026", valid_to="19/03/2026"
    )
    assert post(client, tenancy.camat, "attendance-schedule-new", data=data).status_code == 302
    override = WorkSchedule.objects.get(name="Ramadan Pucuk")
    assert (override.desa, override.valid_from, override.valid_to) == (
        tenancy.desa_a,
        dt.date(2026, 2, 18),
        dt.date(2026, 3, 19),
    )
    assert WorkSchedule.objects.count() == 2
    # Desa A's operator sees the kecamatan's base and their override; desa B's operator not the override.
    assert "Ramadan Pucuk" in get(client, tenancy.operator_a, "attendance-schedules").content.decode()
    html = get(client, tenancy.operator_b, "attendance-schedules").content.decode()
    assert "Ramadan Pucuk" not in html and "Dasar" in html


def test_schedule_edit_and_delete(client, tenancy):
    post(client, tenancy.camat, "attendance-schedule-new", data=schedule_data("Dasar", FIVE_DAYS))
    schedule = WorkSchedule.objects.get()
    response = get(client, tenancy.kasi_tapem, "attendance-schedule-edit", schedule.pk)
    assert response.status_code == 200 and response.context["form"]["day_4_on"].value() is True
    assert response.context["form"]["day_5_on"].value() is False
    data = schedule_data("Dasar baru", {0: ("08:00", "15:00")})
    assert post(client, tenancy.kasi_tapem, "attendance-schedule-edit", schedule.pk, data=data).status_code == 302
    schedule.refresh_from_db()
    assert schedule.name == "Dasar baru" and list(schedule.days.values_list("weekday", flat=True)) == [0]
    assert post(client, tenancy.camat, "attendance-schedule-delete", schedule.pk).status_code == 302
    assert not WorkSchedule.objects.exists()


def test_schedule_form_preset(client, tenancy):
    form = get(client, tenancy.camat, "attendance-schedule-new", pola="6").context["form"]
    assert [form[f"day_{d}_on"].value() for d in range(7)] == [True] * 6 + [False]


@pytest.mark.parametrize(("who", "expected"), [("outsider", 404), ("outsider_operator", 404), ("operator_a", 403)])
def test_schedule_writes_refused_for_others(client, tenancy, who, expected):
    post(client, tenancy.camat, "attendance-schedule-new", data=schedule_data("Dasar", FIVE_DAYS))
    schedule = WorkSchedule.objects.get()
    user = getattr(tenancy, who)
    assert get(client, user, "attendance-schedule-edit", schedule.pk).status_code == expected
    data = schedule_data("Dibajak", {6: ("01:00", "02:00")})
    assert post(client, user, "attendance-schedule-edit", schedule.pk, data=data).status_code == expected
    assert post(client, user, "attendance-schedule-delete", schedule.pk).status_code == expected
    schedule.refresh_from_db()
    assert schedule.name == "Dasar" and schedule.days.count() == 5
    # Creating needs kecamatan staff.
    if who != "outsider":
        assert post(client, user, "attendance-schedule-new", data=schedule_data("Baru", FIVE_DAYS)).status_code == 403
    assert WorkSchedule.objects.count() == 1


# Leave -----------------------------------------------------------------------------------------------------


@pytest.fixture
def staf_a(tenancy):
    return PerangkatFactory(desa=tenancy.desa_a, nama="Budi Santoso", jabatan=Jabatan.KAUR_KEUANGAN)


def leave_data(perangkat, **fields) -> dict:
    data = {
        "perangkat": perangkat.pk,
        "kind": "S",
        "date_from": "02/03/2026",
        "date_to": "03/03/2026",
        "reason": "Demam",
    }
    data.update(fields)
    return data


def test_leave_request_then_approval_by_the_kepala_desa(client, tenancy, staf_a):
    note = SimpleUploadedFile("surat dokter.pdf", demo_pdf("Surat keterangan sakit"), content_type="application/pdf")
    response = post(
        client,
        tenancy.operator_a,
        "attendance-leave-new",
        data=leave_data(staf_a, date_to="05/03/2026", attachment=note),
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else None
    leave = Leave.objects.get()
    assert (leave.perangkat, leave.kind, leave.state, leave.requested_by) == (
        staf_a,
        "S",
        Leave.State.REQUESTED,
        tenancy.operator_a,
    )
    assert (leave.date_from, leave.date_to, leave.attachment_name) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 5),
        "surat dokter.pdf",
    )
    # The operator cannot decide: no buttons, and a POST is refused.
    html = get(client, tenancy.operator_a, "attendance-leave").content.decode()
    assert 'data-testid="approve"' not in html and 'data-testid="cancel"' in html
    assert post(client, tenancy.operator_a, "attendance-leave-approve", leave.pk).status_code == 403
    # The Kepala Desa sees the buttons and approves.
    html = get(client, tenancy.kades_a, "attendance-leave").content.decode()
    assert reverse("attendance-leave-approve", args=[leave.pk]) in html
    response = post(client, tenancy.kades_a, "attendance-leave-approve", leave.pk, data={"note": "Semoga lekas sembuh"})
    assert response.status_code == 302
    leave.refresh_from_db()
    assert (leave.state, leave.decided_by, leave.decision_note) == (
        Leave.State.APPROVED,
        tenancy.kades_a,
        "Semoga lekas sembuh",
    )
    # Deciding twice is refused with a message in Bahasa Indonesia.
    response = post(client, tenancy.camat, "attendance-leave-reject", leave.pk)
    assert "Pengajuan ini sudah diputuskan." in texts(response)
    leave.refresh_from_db()
    assert leave.state == Leave.State.APPROVED
    # The attachment: desa A and the kecamatan yes, others 404.
    for user in (tenancy.operator_a, tenancy.camat):
        response = get(client, user, "attendance-leave-attachment", leave.pk)
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    for user in (tenancy.operator_b, tenancy.outsider, tenancy.outsider_operator):
        assert get(client, user, "attendance-leave-attachment", leave.pk).status_code == 404


def test_kepala_desa_cannot_decide_his_own_leave(client, tenancy):
    post(client, tenancy.operator_a, "attendance-leave-new", data=leave_data(tenancy.perangkat_a, kind="C"))
    leave = Leave.objects.get()
    assert post(client, tenancy.kades_a, "attendance-leave-approve", leave.pk).status_code == 403
    leave.refresh_from_db()
    assert leave.state == Leave.State.REQUESTED
    assert (
        post(client, tenancy.camat, "attendance-leave-reject", leave.pk, data={"note": "Tidak ada"}).status_code == 302
    )
    leave.refresh_from_db()
    assert (leave.state, leave.decided_by) == (Leave.State.REJECTED, tenancy.camat)


def test_leave_errors_in_bahasa_indonesia(client, tenancy, staf_a, settings):
    settings.ATTENDANCE_SICK_NOTE_AFTER_DAYS = 2
    response = post(client, tenancy.operator_a, "attendance-leave-new", data=leave_data(staf_a, date_to="06/03/2026"))
    assert response.status_code == 200
    assert "surat keterangan dokter" in " ".join(response.context["form"].errors["attachment"])
    post(client, tenancy.operator_a, "attendance-leave-new", data=leave_data(staf_a, kind="I"))
    response = post(client, tenancy.operator_a, "attendance-leave-new", data=leave_data(staf_a, kind="C"))
    assert "Tumpang tindih dengan izin 02/03/2026–03/03/2026 yang diajukan." in response.content.decode()
    response = post(client, tenancy.operator_a, "attendance-leave-new", data=leave_data(staf_a, date_from="05/03/2026"))
    assert "Tanggal akhir tidak boleh sebelum tanggal mulai." in response.context["form"].errors["date_to"]
    bogus = SimpleUploadedFile("surat.pdf", b"bukan pdf", content_type="application/pdf")
    response = post(
        client,
        tenancy.operator_a,
        "attendance-leave-new",
        data=leave_data(staf_a, date_from="10/03/2026", date_to="10/03/2026", attachment=bogus),
    )
    assert response.context["form"].errors["attachment"]
    assert Leave.objects.count() == 1


def test_leave_request_for_a_perangkat_outside_scope_is_refused(client, tenancy):
    for user in (tenancy.operator_a, tenancy.outsider):
        response = post(client, user, "attendance-leave-new", data=leave_data(tenancy.perangkat_b))
        assert response.status_code == 200 and "perangkat" in response.context["form"].errors
    assert not Leave.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "outsider_operator", "operator_b"])
def test_leave_actions_refused_outside_scope(client, tenancy, staf_a, who):
    post(client, tenancy.operator_a, "attendance-leave-new", data=leave_data(staf_a))
    leave = Leave.objects.get()
    user = getattr(tenancy, who)
    for name in ("attendance-leave-approve", "attendance-leave-reject", "attendance-leave-cancel"):
        assert post(client, user, name, leave.pk).status_code == 404
    leave.refresh_from_db()
    assert leave.state == Leave.State.REQUESTED and leave.decided_by is None
    html = get(client, user, "attendance-leave").content.decode()
    assert "Budi Santoso" not in html


def test_leave_list_filters(client, tenancy, staf_a):
    post(client, tenancy.operator_a, "attendance-leave-new", data=leave_data(staf_a))
    post(client, tenancy.operator_b, "attendance-leave-new", data=leave_data(tenancy.perangkat_b, kind="I"))
    assert Leave.objects.count() == 2
    page = get(client, tenancy.camat, "attendance-leave").context["page"]
    assert {leave.perangkat.nama for leave in page} == {"Budi Santoso", "Siti Aminah"}
    page = get(client, tenancy.camat, "attendance-leave", desa="35.24.13.2002").context["page"]
    assert [leave.perangkat.nama for leave in page] == ["Siti Aminah"]
    post(client, tenancy.operator_a, "attendance-leave-cancel", Leave.objects.get(perangkat=staf_a).pk)
    page = get(client, tenancy.camat, "attendance-leave", status="dibatalkan").context["page"]
    assert [leave.perangkat.nama for leave in page] == ["Budi Santoso"]
    page = get(client, tenancy.operator_b, "attendance-leave").context["page"]
    assert [leave.perangkat.nama for leave in page] == ["Siti Aminah"]


@pytest.mark.parametrize("bulan", ["9999-12", "2026-13", "kemarin", "0-1"])
def test_a_bad_month_falls_back_to_this_month(client, tenancy, bulan):
    response = get(client, tenancy.camat, "attendance-month", bulan=bulan)
    assert response.status_code == 200
    assert response.context["month"] == timezone.localdate().replace(day=1)
