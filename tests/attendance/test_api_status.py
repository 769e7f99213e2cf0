"""Attendance API II: working hours, leave, daily statuses, the monthly recap and its exports, the Camat's
notes and teguran. The rightful user gets their data; an outsider (operator of desa B, a Kasi or an operator
of another kecamatan) gets a 404 or an empty list and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance import rollup
from attendance.models import AttendanceWarning, DailyStatus, Leave, ReviewNote, ScheduleDay, WorkSchedule
from portal.choices import Jabatan
from tests.factories import DesaFactory, PerangkatFactory
from tests.helpers import blank_pdf, content, rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]
FOREIGN = ["operator_b", "outsider", "outsider_operator"]  # none of them may see or touch desa A's rows
AUG = dt.date(2026, 8, 1)
MON = dt.date(2026, 8, 3)  # a Monday


def day(offset: int) -> dt.date:
    return MON + dt.timedelta(days=offset)


def status_row(perangkat, date: dt.date, status: str, codes: str = "", late: int = 0, early: int = 0):
    row = DailyStatus.objects.create(
        perangkat=perangkat,
        desa=perangkat.desa,
        date=date,
        status=status,
        codes=codes,
        late_minutes=late,
        early_minutes=early,
        computed_at=timezone.now(),
    )
    # As the recompute does in the transaction that writes a status: its desa's month is summed again.
    rollup.months_refresh(desa_ids=[row.desa_id], date_from=row.date, date_to=row.date)
    return row


# Working hours ----------------------------------------------------------------------------------------------

WEEK = [{"weekday": d, "start": "07:30", "end": "16:00"} for d in range(4)] + [
    {"weekday": 4, "start": "07:30", "end": "16:30"}
]
RAMADAN = {
    "name": "Ramadan 1447 H",
    "valid_from": "2026-02-18",
    "valid_to": "2026-03-19",
    "days": [{"weekday": d, "start": "08:00", "end": "15:00"} for d in range(5)],
}


def create_schedule(client, **body):
    return client.post(reverse("api:work-schedule-list"), {"name": "Jam kerja", "days": WEEK, **body}, format="json")


@pytest.fixture
def hours(tenancy):
    """Kasi Tapem entered the kecamatan's base hours, desa A's own and the kecamatan's Ramadan hours."""
    api = tenancy.client(tenancy.kasi_tapem)
    base = create_schedule(api, name="Jam kerja Kecamatan Pucuk")
    own = create_schedule(api, name="Jam kerja Desa Pucuk", desa=tenancy.desa_a.kode, tolerance_minutes=5)
    ramadan = create_schedule(api, **RAMADAN)
    assert [r.status_code for r in (base, own, ramadan)] == [201, 201, 201], (base.content, own.content)
    return type(
        "Hours",
        (),
        {
            k: WorkSchedule.objects.get(pk=r.json()["id"])
            for k, r in (("base", base), ("own", own), ("ramadan", ramadan))
        },
    )


def test_kasi_creates_desa_override_and_ramadan_range(tenancy, hours):
    assert (hours.base.kecamatan, hours.base.desa) == (tenancy.kecamatan, None)
    assert (hours.own.desa, hours.own.tolerance_minutes) == (tenancy.desa_a, 5)
    assert (hours.ramadan.valid_from, hours.ramadan.valid_to) == (dt.date(2026, 2, 18), dt.date(2026, 3, 19))
    assert sorted(ScheduleDay.objects.filter(schedule=hours.ramadan).values_list("weekday", "start", "end")) == [
        (d, dt.time(8), dt.time(15)) for d in range(5)
    ]
    detail = tenancy.client(tenancy.kasi_tapem).get(reverse("api:work-schedule-detail", args=[hours.own.pk])).json()
    assert detail["kecamatan"] == "35.24.13" and detail["desa"] == "35.24.13.2001"
    assert detail["days"][4] == {"weekday": 4, "start": "07:30", "end": "16:30"} and len(detail["days"]) == 5


def test_kasi_changes_and_deletes_a_schedule_through_the_service(tenancy, hours):
    api = tenancy.client(tenancy.kasi_tapem)
    url = reverse("api:work-schedule-detail", args=[hours.own.pk])
    renamed = api.patch(url, {"name": "Jam kerja baru"}, format="json")
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["name"] == "Jam kerja baru" and len(renamed.json()["days"]) == 5  # days kept
    saturday = api.patch(url, {"days": [{"weekday": 5, "start": "08:00", "end": "12:00"}]}, format="json")
    assert saturday.json()["days"] == [{"weekday": 5, "start": "08:00", "end": "12:00"}]
    assert list(ScheduleDay.objects.filter(schedule=hours.own).values_list("weekday", flat=True)) == [5]
    assert api.delete(url).status_code == 204
    assert not WorkSchedule.objects.filter(pk=hours.own.pk).exists()


def test_second_base_schedule_for_the_same_area_is_refused(tenancy, hours):
    response = create_schedule(tenancy.client(tenancy.kasi_tapem), name="Dobel", desa=tenancy.desa_a.kode)
    assert response.status_code == 400 and "sudah ada" in response.json()["fields"]["non_field_errors"][0]
    assert WorkSchedule.objects.filter(desa=tenancy.desa_a).count() == 1


@pytest.mark.parametrize("who", ["operator_a", "kades_a"])
def test_desa_users_cannot_write_schedules(tenancy, hours, who):
    api = tenancy.client(getattr(tenancy, who))
    assert (
        create_schedule(
            api, name="Buatan desa", desa=tenancy.desa_a.kode, valid_from="2026-09-01", valid_to="2026-09-30"
        ).status_code
        == 403
    )
    url = reverse("api:work-schedule-detail", args=[hours.own.pk])
    assert api.patch(url, {"name": "Diubah"}, format="json").status_code == 403
    assert api.delete(url).status_code == 403
    assert (
        WorkSchedule.objects.count() == 3 and WorkSchedule.objects.get(pk=hours.own.pk).name == "Jam kerja Desa Pucuk"
    )


def test_desa_users_read_the_kecamatan_default_and_only_their_own_override(tenancy, hours):
    b_own = create_schedule(tenancy.client(tenancy.kasi_tapem), name="Jam kerja Gempolpading", desa=tenancy.desa_b.kode)
    assert b_own.status_code == 201
    seen = {r["name"] for r in rows(tenancy.client(tenancy.operator_a), "api:work-schedule-list")}
    assert seen == {"Jam kerja Kecamatan Pucuk", "Jam kerja Desa Pucuk", "Ramadan 1447 H"}
    api_b = tenancy.client(tenancy.operator_b)
    assert {r["name"] for r in rows(api_b, "api:work-schedule-list")} == {
        "Jam kerja Kecamatan Pucuk",
        "Jam kerja Gempolpading",
        "Ramadan 1447 H",
    }
    assert api_b.get(reverse("api:work-schedule-detail", args=[hours.own.pk])).status_code == 404


@pytest.mark.parametrize("who", ["outsider", "outsider_operator"])
def test_other_kecamatan_sees_and_changes_no_schedule(tenancy, hours, who):
    api = tenancy.client(getattr(tenancy, who))
    assert rows(api, "api:work-schedule-list") == []
    for schedule in (hours.base, hours.own):
        url = reverse("api:work-schedule-detail", args=[schedule.pk])
        assert api.get(url).status_code == 404
        assert api.patch(url, {"name": "Diubah"}, format="json").status_code in (403, 404)
        assert api.delete(url).status_code in (403, 404)
    assert sorted(WorkSchedule.objects.values_list("name", flat=True)) == [
        "Jam kerja Desa Pucuk",
        "Jam kerja Kecamatan Pucuk",
        "Ramadan 1447 H",
    ]


def test_outsider_kasi_cannot_create_schedules_for_pucuk(tenancy):
    api = tenancy.client(tenancy.outsider)
    on_desa = create_schedule(api, desa=tenancy.desa_a.kode)
    assert on_desa.status_code == 400 and "desa" in on_desa.json()["fields"]
    on_kecamatan = create_schedule(api, kecamatan=tenancy.kecamatan.kode)
    assert on_kecamatan.status_code == 400 and "kecamatan" in on_kecamatan.json()["fields"]
    assert not WorkSchedule.objects.filter(kecamatan=tenancy.kecamatan).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"days": [{"weekday": 0, "start": "16:00", "end": "07:30"}]}, "days"),
        ({"days": [{"weekday": 0, "start": "7.30", "end": "16:00"}]}, "days.0.start"),
        ({"days": [{"weekday": 7, "start": "07:30", "end": "16:00"}]}, "days.0.weekday"),
        (
            {"days": [{"weekday": 0, "start": "07:30", "end": "20:00"}], "departure_after_minutes": 700},
            "departure_after_minutes",
        ),
        ({"days": [{"weekday": 0, "start": "02:00", "end": "10:00"}]}, "arrival_before_minutes"),
        ({"valid_from": "2026-03-01"}, "valid_to"),
        ({"days": []}, "days"),
        ({"days": WEEK + [{"weekday": 0, "start": "08:00", "end": "12:00"}]}, "days"),
    ],
)
def test_invalid_schedules_are_field_errors(tenancy, body, field):
    response = create_schedule(tenancy.client(tenancy.kasi_tapem), **body)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"], response.json()
    assert not WorkSchedule.objects.exists()


def effective(client, desa, date=None):
    return client.get(reverse("api:work-schedule-effective"), {"desa": desa.kode, **({"date": date} if date else {})})


def test_effective_schedule_follows_ramadan_range_and_desa_override(tenancy, hours):
    api = tenancy.client(tenancy.operator_a)
    inside = effective(api, tenancy.desa_a, "2026-03-02")
    assert inside.status_code == 200, inside.content
    body = inside.json()
    assert (body["schedule_id"], body["source"], body["start"], body["end"]) == (
        hours.ramadan.pk,
        "kecamatan_range",
        "08:00",
        "15:00",
    )
    outside = effective(api, tenancy.desa_a, "2026-08-07").json()  # a Friday
    assert (outside["schedule_id"], outside["source"], outside["end"], outside["tolerance_minutes"]) == (
        hours.own.pk,
        "desa",
        "16:30",
        5,
    )
    b = effective(tenancy.client(tenancy.operator_b), tenancy.desa_b, "2026-08-08").json()  # a Saturday
    assert (b["schedule_id"], b["source"], b["working_day"], b["start"]) == (hours.base.pk, "kecamatan", False, None)


def test_effective_schedule_without_any_row_is_the_builtin_default(tenancy):
    body = effective(tenancy.client(tenancy.kasi_tapem), tenancy.desa_a, "2026-08-03").json()
    assert (body["schedule_id"], body["source"], body["start"], body["end"]) == (None, "bawaan", "07:30", "16:00")
    assert [d["weekday"] for d in body["days"]] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("who", FOREIGN)
def test_effective_schedule_of_a_foreign_desa_is_404(tenancy, hours, who):
    assert effective(tenancy.client(getattr(tenancy, who)), tenancy.desa_a, "2026-08-03").status_code == 404


def test_effective_schedule_needs_a_desa_and_a_valid_date(tenancy):
    api = tenancy.client(tenancy.kasi_tapem)
    assert "desa" in api.get(reverse("api:work-schedule-effective")).json()["fields"]
    assert "date" in effective(api, tenancy.desa_a, "03/08/2026").json()["fields"]


# Leave ------------------------------------------------------------------------------------------------------


@pytest.fixture
def staff_a(tenancy):
    return PerangkatFactory(desa=tenancy.desa_a, nama="Rina Wati", jabatan=Jabatan.KAUR_KEUANGAN)


def request_leave(client, perangkat, kind="I", start=MON, end=None, fmt="json", **extra):
    body = {
        "perangkat": perangkat.pk,
        "kind": kind,
        "date_from": start.isoformat(),
        "date_to": (end or start).isoformat(),
        "reason": "Keperluan keluarga",
        **extra,
    }
    return client.post(reverse("api:leave-list"), body, format=fmt)


def leave_action(client, leave_id, name, note=""):
    return client.post(reverse(f"api:leave-{name}", args=[leave_id]), {"note": note}, format="json")


def test_operator_requests_leave_for_own_perangkat_but_cannot_approve(tenancy, staff_a):
    api = tenancy.client(tenancy.operator_a)
    response = request_leave(api, staff_a, "C", MON, day(2))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["perangkat"], body["desa"], body["kind"], body["kind_display"], body["days"]) == (
        staff_a.pk,
        "35.24.13.2001",
        "C",
        "Cuti",
        3,
    )
    assert (body["state"], body["state_display"], body["requested_by"], body["decided_by"]) == (
        "diajukan",
        "Diajukan",
        "op_a",
        None,
    )
    assert leave_action(api, body["id"], "approve").status_code == 403
    assert leave_action(api, body["id"], "reject").status_code == 403
    assert Leave.objects.get(pk=body["id"]).state == Leave.State.REQUESTED


def test_kades_approves_staff_leave_but_his_own_needs_the_kecamatan(tenancy, staff_a):
    kades = tenancy.client(tenancy.kades_a)
    staff_leave = request_leave(kades, staff_a).json()["id"]
    approved = leave_action(kades, staff_leave, "approve", "Silakan")
    assert approved.status_code == 200, approved.content
    assert (approved.json()["state"], approved.json()["decided_by"], approved.json()["decision_note"]) == (
        "disetujui",
        "kades_a",
        "Silakan",
    )
    assert approved.json()["decided_at"] is not None
    own = request_leave(kades, tenancy.perangkat_a).json()["id"]
    assert leave_action(kades, own, "approve").status_code == 403
    assert Leave.objects.get(pk=own).state == Leave.State.REQUESTED
    by_kasi = leave_action(tenancy.client(tenancy.kasi_tapem), own, "approve")
    assert by_kasi.status_code == 200 and by_kasi.json()["decided_by"] == "kasitapem"


def test_deciding_twice_is_refused(tenancy, staff_a):
    api = tenancy.client(tenancy.kasi_tapem)
    leave_id = request_leave(api, staff_a).json()["id"]
    assert leave_action(api, leave_id, "approve").status_code == 200
    again = leave_action(api, leave_id, "approve")
    assert again.status_code == 400 and "sudah diputuskan" in again.json()["fields"]["non_field_errors"][0]
    assert leave_action(api, leave_id, "reject").status_code == 400
    assert Leave.objects.get(pk=leave_id).state == Leave.State.APPROVED


def test_reject_and_cancel(tenancy, staff_a):
    kades = tenancy.client(tenancy.kades_a)
    first = request_leave(kades, staff_a, start=MON).json()["id"]
    rejected = leave_action(kades, first, "reject", "Tidak cukup alasan")
    assert (rejected.json()["state"], rejected.json()["decision_note"]) == ("ditolak", "Tidak cukup alasan")
    operator = tenancy.client(tenancy.operator_a)
    second = request_leave(operator, staff_a, start=day(7)).json()["id"]
    cancelled = leave_action(operator, second, "cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "dibatalkan"
    assert leave_action(operator, second, "cancel").status_code == 400


def test_overlapping_leave_is_refused_in_bahasa_indonesia(tenancy, staff_a):
    api = tenancy.client(tenancy.operator_a)
    assert request_leave(api, staff_a, "I", MON, day(1)).status_code == 201
    clash = request_leave(api, staff_a, "C", day(1), day(4))
    assert clash.status_code == 400
    message = clash.json()["fields"]["non_field_errors"][0]
    assert message.startswith("Tumpang tindih dengan izin 03/08/2026") and "diajukan" in message
    assert Leave.objects.filter(perangkat=staff_a).count() == 1


def test_long_sick_leave_needs_a_doctor_note(tenancy, staff_a):
    api = tenancy.client(tenancy.operator_a)
    refused = request_leave(api, staff_a, "S", MON, day(2))
    assert refused.status_code == 400 and "surat keterangan dokter" in refused.json()["fields"]["attachment"][0]
    assert not Leave.objects.exists()
    pdf = blank_pdf()
    note = SimpleUploadedFile("surat-dokter.pdf", pdf, content_type="application/pdf")
    accepted = request_leave(api, staff_a, "S", MON, day(2), fmt="multipart", attachment=note)
    assert accepted.status_code == 201, accepted.content
    body = accepted.json()
    assert body["attachment_name"] == "surat-dokter.pdf"
    assert body["attachment_url"] == reverse("api:leave-attachment", args=[body["id"]])
    download = api.get(body["attachment_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert content(download) == pdf and pdf.startswith(b"%PDF")
    assert Leave.objects.get(pk=body["id"]).attachment_sha256 != ""


def test_a_fake_pdf_attachment_is_a_field_error(tenancy, staff_a):
    fake = SimpleUploadedFile("surat.pdf", b"MZ\x90\x00 bukan pdf", content_type="application/pdf")
    response = request_leave(
        tenancy.client(tenancy.operator_a), staff_a, "S", MON, day(3), fmt="multipart", attachment=fake
    )
    assert response.status_code == 400 and "attachment" in response.json()["fields"]
    assert not Leave.objects.exists()


def test_short_sick_leave_needs_no_attachment_and_has_none_to_download(tenancy, staff_a):
    api = tenancy.client(tenancy.operator_a)
    body = request_leave(api, staff_a, "S", MON, day(1)).json()
    assert (body["attachment_name"], body["attachment_url"]) == ("", None)
    assert api.get(reverse("api:leave-attachment", args=[body["id"]])).status_code == 404


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_users_cannot_request_leave_for_desa_a(tenancy, staff_a, who):
    response = request_leave(tenancy.client(getattr(tenancy, who)), staff_a)
    assert response.status_code == 400 and "perangkat" in response.json()["fields"]
    assert not Leave.objects.exists()


@pytest.fixture
def sick_leave(tenancy, staff_a):
    note = SimpleUploadedFile("surat-dokter.pdf", blank_pdf(), content_type="application/pdf")
    response = request_leave(
        tenancy.client(tenancy.operator_a), staff_a, "S", MON, day(3), fmt="multipart", attachment=note
    )
    assert response.status_code == 201, response.content
    return Leave.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_users_see_and_decide_no_leave_of_desa_a(tenancy, sick_leave, who):
    api = tenancy.client(getattr(tenancy, who))
    assert rows(api, "api:leave-list") == [] and rows(api, "api:leave-list", desa=tenancy.desa_a.kode) == []
    assert api.get(reverse("api:leave-detail", args=[sick_leave.pk])).status_code == 404
    assert api.get(reverse("api:leave-attachment", args=[sick_leave.pk])).status_code == 404
    for name in ("approve", "reject", "cancel"):
        assert leave_action(api, sick_leave.pk, name).status_code == 404
    sick_leave.refresh_from_db()
    assert (sick_leave.state, sick_leave.decided_by) == (Leave.State.REQUESTED, None)


def test_attachment_download_for_the_rightful_users(tenancy, sick_leave):
    for user in (tenancy.operator_a, tenancy.kades_a, tenancy.camat):
        response = tenancy.client(user).get(reverse("api:leave-attachment", args=[sick_leave.pk]))
        assert response.status_code == 200 and content(response).startswith(b"%PDF")
        assert "attachment" in response["Content-Disposition"]


def test_leave_filters(tenancy, staff_a):
    api = tenancy.client(tenancy.kasi_tapem)
    izin = request_leave(api, staff_a, "I", MON, day(1)).json()["id"]
    cuti = request_leave(api, staff_a, "C", day(7), day(11)).json()["id"]
    dinas = request_leave(api, tenancy.perangkat_b, "DL", day(3), day(3)).json()["id"]
    leave_action(api, cuti, "approve")

    def ids(**params):
        return {r["id"] for r in rows(api, "api:leave-list", **params)}

    assert ids() == {izin, cuti, dinas}
    assert ids(desa=tenancy.desa_a.kode) == {izin, cuti}
    assert ids(perangkat=tenancy.perangkat_b.pk) == {dinas}
    assert ids(state="disetujui") == {cuti} and ids(state="diajukan") == {izin, dinas}
    assert ids(kind="DL") == {dinas}
    assert ids(date_from=day(1).isoformat(), date_to=day(3).isoformat()) == {izin, dinas}  # overlap, not inside
    assert ids(date_from=day(9).isoformat()) == {cuti}
    assert ids(date_to=day(0).isoformat()) == {izin}


# Daily statuses ---------------------------------------------------------------------------------------------


@pytest.fixture
def statuses(tenancy, staff_a):
    return {
        "a_h": status_row(tenancy.perangkat_a, day(0), "H"),
        "a_tl2": status_row(tenancy.perangkat_a, day(1), "TL", "TL2 PSW1", late=45, early=10),
        "a_tk": status_row(tenancy.perangkat_a, day(2), "TK", "TK"),
        "staff_tl1": status_row(staff_a, day(1), "TL", "TL1", late=5),
        "staff_psw2": status_row(staff_a, day(2), "PSW", "PSW2", early=40),
        "b_tl2": status_row(tenancy.perangkat_b, day(1), "TL", "TL2", late=50),
        "other": status_row(tenancy.other_perangkat, day(1), "TL", "TL2", late=35),
    }


def daily_ids(client, **params) -> set[int]:
    return {r["id"] for r in rows(client, "api:daily-status-list", **params)}


def test_daily_rows_and_filters(tenancy, statuses):
    s = {k: v.pk for k, v in statuses.items()}
    api = tenancy.client(tenancy.kasi_tapem)
    assert daily_ids(api) == set(s.values()) - {s["other"]}
    assert daily_ids(api, desa=tenancy.desa_a.kode) == {
        s["a_h"],
        s["a_tl2"],
        s["a_tk"],
        s["staff_tl1"],
        s["staff_psw2"],
    }
    assert daily_ids(api, perangkat=tenancy.perangkat_a.pk) == {s["a_h"], s["a_tl2"], s["a_tk"]}
    assert daily_ids(api, date_from=day(1).isoformat(), date_to=day(1).isoformat()) == {
        s["a_tl2"],
        s["staff_tl1"],
        s["b_tl2"],
    }
    assert daily_ids(api, date_from=day(2).isoformat()) == {s["a_tk"], s["staff_psw2"]}
    assert daily_ids(api, status="TL") == {s["a_tl2"], s["staff_tl1"], s["b_tl2"]}
    assert daily_ids(api, status="TK") == {s["a_tk"]}
    assert daily_ids(api, code="TL2") == {s["a_tl2"], s["b_tl2"]}
    assert daily_ids(api, code="PSW1") == {s["a_tl2"]}  # the second code of "TL2 PSW1"
    assert daily_ids(api, code="TL") == set()  # codes are matched whole: TL1/TL2 are not "TL"
    row = next(r for r in rows(api, "api:daily-status-list") if r["id"] == s["a_tl2"])
    assert row == {
        "id": s["a_tl2"],
        "perangkat": tenancy.perangkat_a.pk,
        "perangkat_nama": "Slamet Riyadi",
        "desa": "35.24.13.2001",
        "date": "2026-08-04",
        "status": "TL",
        "codes": ["TL2", "PSW1"],
        "label": "TL2/PSW1",
        "arrival_at": None,
        "departure_at": None,
        "late_minutes": 45,
        "early_minutes": 10,
        "missing_in_minutes": 0,
        "missing_out_minutes": 0,
        "corrected": False,
    }


def test_desa_operator_sees_only_own_desa_statuses(tenancy, statuses):
    api = tenancy.client(tenancy.operator_a)
    assert {r["desa"] for r in rows(api, "api:daily-status-list")} == {"35.24.13.2001"}
    assert daily_ids(api, desa=tenancy.desa_b.kode) == set()


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_users_see_no_daily_status_of_desa_a(tenancy, statuses, who):
    api = tenancy.client(getattr(tenancy, who))
    listed = rows(api, "api:daily-status-list")
    assert "35.24.13.2001" not in {r["desa"] for r in listed} and len(listed) == 1
    assert daily_ids(api, desa=tenancy.desa_a.kode) == set()
    assert api.get(reverse("api:daily-status-detail", args=[statuses["a_tl2"].pk])).status_code == 404
    changed = api.patch(reverse("api:daily-status-detail", args=[statuses["a_tl2"].pk]), {"status": "H"})
    assert changed.status_code in (404, 405)
    assert DailyStatus.objects.get(pk=statuses["a_tl2"].pk).status == "TL"


def test_daily_list_is_paged_and_queries_do_not_grow_with_rows(tenancy, statuses):
    api = tenancy.client(tenancy.kasi_tapem)
    url = reverse("api:daily-status-list")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(url, {"page_size": 1000})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(6):
        desa = DesaFactory(kecamatan=tenancy.kecamatan)
        for person in PerangkatFactory.create_batch(2, desa=desa):
            status_row(person, day(i % 5), "H")
    assert len(rows(api, "api:daily-status-list")) == 18
    assert count() == before
    paged = api.get(url, {"page_size": 5}).json()
    assert (paged["count"], len(paged["results"])) == (18, 5) and paged["next"]


# Recap ------------------------------------------------------------------------------------------------------


@pytest.fixture
def month(tenancy, staff_a):
    """August 2026: desa A all present (one late day), desa B half absent with a TK streak, desa C no data."""
    desa_c = DesaFactory(kecamatan=tenancy.kecamatan, kode="35.24.13.2003", nama="Babatan")
    status_row(tenancy.perangkat_a, day(0), "H")
    status_row(tenancy.perangkat_a, day(1), "TL", "TL1", late=10)
    status_row(staff_a, day(0), "H")
    status_row(staff_a, day(1), "S", "S")
    for person in (tenancy.perangkat_a, staff_a):
        status_row(person, day(5), "L")  # Saturday: a day off for everyone
    status_row(tenancy.perangkat_b, day(0), "H")
    for i in (1, 2, 3):
        status_row(tenancy.perangkat_b, day(i), "TK", "TK")
    status_row(tenancy.perangkat_b, day(4), "H")
    status_row(tenancy.perangkat_b, dt.date(2026, 7, 31), "TK", "TK")  # another month
    status_row(tenancy.other_perangkat, day(0), "TK", "TK")
    return desa_c


def recap(client, **params):
    return client.get(reverse("api:attendance-recap"), params)


def test_recap_month_ranks_desa_and_counts_totals(tenancy, month):
    response = recap(tenancy.client(tenancy.camat), month="2026-08")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["month"] == "2026-08"
    assert [(r["rank"], r["desa"], r["nama"]) for r in body["desa"]] == [
        (1, "35.24.13.2001", "Pucuk"),
        (2, "35.24.13.2002", "Gempolpading"),
        (3, "35.24.13.2003", "Babatan"),
    ]
    a, b, c = (r["totals"] for r in body["desa"])
    assert (a["hari_kerja"], a["h"], a["tl"], a["tl_minutes"], a["s"], a["present"], a["rate"]) == (
        4,
        2,
        1,
        10,
        1,
        3,
        75.0,
    )
    assert (b["hari_kerja"], b["h"], b["tk"], b["rate"]) == (5, 2, 3, 40.0)
    assert (c["hari_kerja"], c["rate"]) == (0, None)
    assert set(a) == {
        "hari_kerja",
        "h",
        "tl",
        "tl_minutes",
        "psw",
        "psw_minutes",
        "tam",
        "tap",
        "i",
        "s",
        "c",
        "dl",
        "tk",
        "nd",
        "present",
        "rate",
    }
    streaks = [f for f in body["flags"] if f["kind"] == "tk_streak"]
    assert [(f["desa"], f["perangkat"], f["count"]) for f in streaks] == [("35.24.13.2002", tenancy.perangkat_b.pk, 3)]


def test_recap_month_is_scoped(tenancy, month):
    own = recap(tenancy.client(tenancy.operator_a), month="2026-08").json()
    assert [r["desa"] for r in own["desa"]] == ["35.24.13.2001"] and own["flags"] == []
    for who in FOREIGN:
        body = recap(tenancy.client(getattr(tenancy, who)), month="2026-08").json()
        assert "35.24.13.2001" not in {r["desa"] for r in body["desa"]}
        assert all(f["desa"] != "35.24.13.2001" for f in body["flags"])
    other = recap(tenancy.client(tenancy.outsider), month="2026-08").json()
    assert [(r["desa"], r["totals"]["tk"]) for r in other["desa"]] == [("35.24.14.2001", 1)]


def test_recap_desa_grid(tenancy, month, staff_a):
    response = recap(tenancy.client(tenancy.operator_a), month="2026-08", desa=tenancy.desa_a.kode)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["month"], body["desa"], len(body["days"]), body["days"][0]) == (
        "2026-08",
        "35.24.13.2001",
        31,
        "2026-08-01",
    )
    # Every day off by the schedule, Saturdays and Sundays alike, not only the one Saturday that happens to have
    # stored "L" statuses (#14: Saturdays were blank while Sundays showed L). This test's calendar has no holidays.
    weekend = [i for i in range(31) if dt.date(2026, 8, i + 1).weekday() >= 5]
    assert [i for i, off in enumerate(body["day_off"]) if off] == weekend
    by_id = {r["perangkat"]: r for r in body["rows"]}
    assert set(by_id) == {tenancy.perangkat_a.pk, staff_a.pk}
    slamet = by_id[tenancy.perangkat_a.pk]
    assert (slamet["nama"], slamet["jabatan"]) == ("Slamet Riyadi", "Kepala Desa")
    assert slamet["cells"][2:5] == ["H", "TL1", ""] and slamet["cells"][7] == "L"
    assert by_id[staff_a.pk]["cells"][3] == "S"
    assert (slamet["totals"]["hari_kerja"], slamet["totals"]["tl_minutes"]) == (2, 10)
    assert (body["totals"]["hari_kerja"], body["totals"]["present"], body["totals"]["rate"]) == (4, 3, 75.0)


@pytest.mark.parametrize("who", FOREIGN)
def test_recap_grid_of_a_foreign_desa_is_404(tenancy, month, who):
    assert recap(tenancy.client(getattr(tenancy, who)), month="2026-08", desa=tenancy.desa_a.kode).status_code == 404


def test_recap_month_must_be_yyyy_mm(tenancy):
    response = recap(tenancy.client(tenancy.camat), month="Agustus")
    assert response.status_code == 400 and "month" in response.json()["fields"]


# Exports ----------------------------------------------------------------------------------------------------


def export(client, kind: str, **params):
    return client.get(reverse(f"api:attendance-recap-{kind}"), params)


def test_recap_exports_xlsx_and_pdf(tenancy, month):
    api = tenancy.client(tenancy.camat)
    one = export(api, "xlsx", month="2026-08", desa=tenancy.desa_a.kode)
    assert one.status_code == 200, one.content[:500]
    assert one["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert one["Content-Disposition"] == 'attachment; filename="rekap-absensi-2026-08-35.24.13.2001.xlsx"'
    assert one.content.startswith(b"PK")
    every = export(api, "xlsx", month="2026-08")
    assert every.status_code == 200 and every.content.startswith(b"PK")
    assert every["Content-Disposition"] == 'attachment; filename="rekap-absensi-2026-08-35.24.13.xlsx"'
    pdf = export(api, "pdf", month="2026-08", desa=tenancy.desa_a.kode)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == 'attachment; filename="rekap-absensi-2026-08-35.24.13.2001.pdf"'


def test_pdf_export_needs_a_desa_and_a_valid_month(tenancy):
    api = tenancy.client(tenancy.camat)
    assert "desa" in export(api, "pdf", month="2026-08").json()["fields"]
    assert "month" in export(api, "xlsx", month="2026-13").json()["fields"]


@pytest.mark.parametrize("who", FOREIGN)
@pytest.mark.parametrize("kind", ["xlsx", "pdf"])
def test_exports_of_a_foreign_desa_are_404(tenancy, month, who, kind):
    response = export(tenancy.client(getattr(tenancy, who)), kind, month="2026-08", desa=tenancy.desa_a.kode)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


# The Camat's notes ------------------------------------------------------------------------------------------


def note(client, desa, text="Keterlambatan perlu dibina.", month_value="2026-08", **extra):
    body = {"desa": desa.kode, "month": month_value, "text": text, **extra}
    return client.post(reverse("api:review-note-list"), body, format="json")


def test_kasi_writes_a_note_and_the_desa_reads_it(tenancy, staff_a):
    response = note(tenancy.client(tenancy.kasi_tapem), tenancy.desa_a, perangkat=staff_a.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["desa"], body["month"], body["perangkat"], body["author"]) == (
        "35.24.13.2001",
        "2026-08",
        staff_a.pk,
        "kasitapem",
    )
    assert ReviewNote.objects.get(pk=body["id"]).month == AUG
    assert note(tenancy.client(tenancy.camat), tenancy.desa_b, month_value="2026-07").status_code == 201
    api = tenancy.client(tenancy.operator_a)
    assert [r["id"] for r in rows(api, "api:review-note-list")] == [body["id"]]
    camat = tenancy.client(tenancy.camat)
    assert len(rows(camat, "api:review-note-list")) == 2
    assert [r["desa"] for r in rows(camat, "api:review-note-list", month="2026-07")] == ["35.24.13.2002"]
    assert [r["id"] for r in rows(camat, "api:review-note-list", desa=tenancy.desa_a.kode)] == [body["id"]]


def test_only_reviewers_write_notes(tenancy, staff_a):
    for user in (tenancy.operator_a, tenancy.kades_a):
        assert note(tenancy.client(user), tenancy.desa_a).status_code == 403
    wrong_desa = note(tenancy.client(tenancy.kasi_tapem), tenancy.desa_b, perangkat=staff_a.pk)
    assert wrong_desa.status_code == 400 and "perangkat" in wrong_desa.json()["fields"]
    bad_month = note(tenancy.client(tenancy.kasi_tapem), tenancy.desa_a, month_value="08/2026")
    assert bad_month.status_code == 400 and "month" in bad_month.json()["fields"]
    assert not ReviewNote.objects.exists()


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_users_see_and_write_no_note_of_desa_a(tenancy, who):
    own = note(tenancy.client(tenancy.camat), tenancy.desa_a).json()["id"]
    api = tenancy.client(getattr(tenancy, who))
    assert rows(api, "api:review-note-list") == [] and rows(api, "api:review-note-list", desa="35.24.13.2001") == []
    assert api.get(reverse("api:review-note-detail", args=[own])).status_code == 404
    assert note(api, tenancy.desa_a).status_code in (400, 403)
    assert api.delete(reverse("api:review-note-detail", args=[own])).status_code in (403, 404, 405)
    assert list(ReviewNote.objects.values_list("id", flat=True)) == [own]


# Teguran ----------------------------------------------------------------------------------------------------


def warn(client, perangkat, level="lisan", month_value="2026-08"):
    body = {
        "perangkat": perangkat.pk,
        "month": month_value,
        "level": level,
        "note": "Terlambat 6 kali.",
        "letter_number": "800/12/2026",
    }
    return client.post(reverse("api:attendance-warning-list"), body, format="json")


def test_kasi_issues_a_spoken_teguran_without_letter(tenancy, staff_a):
    api = tenancy.client(tenancy.kasi_tapem)
    response = warn(api, staff_a)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["perangkat"], body["desa"], body["month"], body["level_display"], body["letter_url"]) == (
        staff_a.pk,
        "35.24.13.2001",
        "2026-08",
        "Teguran lisan",
        None,
    )
    assert api.get(reverse("api:attendance-warning-letter", args=[body["id"]])).status_code == 404


def test_written_teguran_comes_with_a_scoped_pdf_letter(tenancy, staff_a):
    response = warn(tenancy.client(tenancy.camat), staff_a, level="tertulis_1")
    assert response.status_code == 201, response.content
    letter_url = response.json()["letter_url"]
    assert letter_url == reverse("api:attendance-warning-letter", args=[response.json()["id"]])
    for user in (tenancy.camat, tenancy.operator_a):
        letter = tenancy.client(user).get(letter_url)
        assert letter.status_code == 200 and content(letter).startswith(b"%PDF")
    for who in FOREIGN:
        assert tenancy.client(getattr(tenancy, who)).get(letter_url).status_code == 404


def test_only_kecamatan_reviewers_issue_teguran(tenancy, staff_a):
    for user in (tenancy.operator_a, tenancy.kades_a):
        assert warn(tenancy.client(user), staff_a).status_code == 403
    bad = warn(tenancy.client(tenancy.kasi_tapem), staff_a, level="pecat")
    assert bad.status_code == 400 and "level" in bad.json()["fields"]
    assert not AttendanceWarning.objects.exists()


def test_teguran_filters(tenancy, staff_a):
    api = tenancy.client(tenancy.kasi_tapem)
    first = warn(api, staff_a).json()["id"]
    second = warn(api, tenancy.perangkat_b, month_value="2026-07").json()["id"]

    def ids(**params):
        return {r["id"] for r in rows(api, "api:attendance-warning-list", **params)}

    assert ids() == {first, second}
    assert ids(desa=tenancy.desa_a.kode) == {first}
    assert ids(perangkat=tenancy.perangkat_b.pk) == {second}
    assert ids(month="2026-08") == {first} and ids(month="2026-07") == {second}


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_users_see_and_issue_no_teguran_in_desa_a(tenancy, staff_a, who):
    own = warn(tenancy.client(tenancy.kasi_tapem), staff_a).json()["id"]
    api = tenancy.client(getattr(tenancy, who))
    listed = rows(api, "api:attendance-warning-list")
    assert listed == [] and rows(api, "api:attendance-warning-list", desa="35.24.13.2001") == []
    assert api.get(reverse("api:attendance-warning-detail", args=[own])).status_code == 404
    assert warn(api, staff_a).status_code in (400, 403)
    assert list(AttendanceWarning.objects.values_list("id", flat=True)) == [own]
