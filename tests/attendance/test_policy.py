"""The kecamatan's missing-punch policy. The daily status stays TAM/TAP (one pure definition); the recap, the
ranking, the flags and the exports count it: by default TAM as TL4 with the whole arrival window after the
start as late minutes (240 with the default hours), so skipping the morning punch never ranks better than
arriving at 09:05 (TL4, 95 minutes); or "not counted present" (out of the present days, not TK)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from attendance import daily, recap
from attendance.choices import MissingPunchPolicy
from attendance.exports import recap_workbook
from attendance.models import AttendancePolicy, DailyStatus, Device, DeviceUser
from attendance.status import DayRule, missing_minutes
from attendance.store import punches_insert
from attendance.zk.parser import RawRecord
from tests.helpers import WIB

pytestmark = pytest.mark.django_db
MON = dt.date(2026, 8, 3)
AUG = dt.date(2026, 8, 1)


def set_policy(tenancy, value: str) -> None:
    AttendancePolicy.objects.update_or_create(kecamatan=tenancy.kecamatan, defaults={"missing_punch": value})


@pytest.fixture
def tam_vs_late(tenancy):
    """MON: Slamet (desa A) forgot the morning punch and left at 16:05 (TAM); Siti (desa B) arrived at 09:05
    and left at 16:05 (TL4, 95 minutes). Both machines pulled the next morning."""
    for desa, person, pin, times in (
        (tenancy.desa_a, tenancy.perangkat_a, "1", ["16:05"]),
        (tenancy.desa_b, tenancy.perangkat_b, "7", ["09:05", "16:05"]),
    ):
        device = Device.objects.create(
            serial_number=f"S-{desa.kode}",
            desa=desa,
            name="Balai",
            last_success_at=dt.datetime(2026, 8, 4, 8, 0, tzinfo=WIB),
        )
        DeviceUser.objects.create(device=device, pin=pin, perangkat=person)
        records = [
            RawRecord(pin, None, dt.datetime.combine(MON, dt.time(*map(int, t.split(":")))), 1, 0) for t in times
        ]
        punches_insert(device=device, records=records)
    daily.statuses_recompute(desa_ids=[tenancy.desa_a.pk, tenancy.desa_b.pk], date_from=MON, date_to=MON)
    tam = DailyStatus.objects.get(perangkat=tenancy.perangkat_a, date=MON)
    late = DailyStatus.objects.get(perangkat=tenancy.perangkat_b, date=MON)
    assert (tam.label, tam.late_minutes, tam.missing_in_minutes) == ("TAM", 0, 240)  # the status stays TAM
    assert (late.label, late.late_minutes) == ("TL4", 95)
    return tenancy


def ranking(user) -> list[tuple[str, int, int, int, float | None]]:
    return [
        (r.desa.nama, r.rank, r.totals.tl, r.totals.tl_minutes, r.totals.rate)
        for r in recap.desa_month(user=user, month=AUG)
    ]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # Default: TAM counts as TL4 with 240 late minutes: worse than 95 minutes late, same rate.
        (None, [("Gempolpading", 1, 1, 95, 100.0), ("Pucuk", 2, 1, 240, 100.0)]),
        (MissingPunchPolicy.AS_LATE, [("Gempolpading", 1, 1, 95, 100.0), ("Pucuk", 2, 1, 240, 100.0)]),
        # Not counted present: the TAM day is out of the present days (rate 0 %), and it is not TK.
        (MissingPunchPolicy.NOT_PRESENT, [("Gempolpading", 1, 1, 95, 100.0), ("Pucuk", 2, 0, 0, 0.0)]),
    ],
)
def test_tam_ranks_worse_than_arriving_at_09_05(tam_vs_late, policy, expected):
    if policy is not None:
        set_policy(tam_vs_late, policy)
    assert ranking(tam_vs_late.camat) == expected
    pucuk = recap.desa_month(user=tam_vs_late.camat, month=AUG)[1]
    assert (pucuk.totals.tam, pucuk.totals.tk, pucuk.totals.hari_kerja) == (1, 0, 1)
    assert pucuk.policy == (policy or MissingPunchPolicy.AS_LATE)


def test_tap_counts_as_psw4_with_the_departure_window(tenancy):
    totals = recap.Totals()
    totals.add("TL", "TL1 TAP", 10, 0, 0, 240)
    assert (totals.counted(MissingPunchPolicy.AS_LATE).psw, totals.counted(MissingPunchPolicy.AS_LATE).psw_minutes) == (
        1,
        240,
    )
    assert totals.counted(MissingPunchPolicy.NOT_PRESENT).present == 0
    assert totals.counted(MissingPunchPolicy.NOT_PRESENT).tl_minutes == 10


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (DayRule(dt.time(7, 30), dt.time(16, 0)), (240, 240)),  # the default windows
        (DayRule(dt.time(7, 30), dt.time(12, 0)), (135, 135)),  # a short day: the windows split at 09:45
        (DayRule(dt.time(7, 30), dt.time(16, 0), arrival_after=30, departure_before=15), (91, 91)),  # TL4 floor
    ],
)
def test_missing_punch_minutes_cover_the_whole_window(rule, expected):
    assert missing_minutes(MON, rule) == expected


def test_the_grid_the_month_page_and_the_exports_say_which_policy_applies(client, tam_vs_late):
    tenancy = tam_vs_late
    client.force_login(tenancy.camat)
    html = client.get(reverse("attendance-desa-month", args=["35.24.13.2001"]), {"bulan": "2026-08"}).content.decode()
    assert "TAM dihitung TL4" in html
    assert "TAM dihitung TL4" in client.get(reverse("attendance-month"), {"bulan": "2026-08"}).content.decode()
    set_policy(tenancy, MissingPunchPolicy.NOT_PRESENT)
    html = client.get(reverse("attendance-desa-month", args=["35.24.13.2001"]), {"bulan": "2026-08"}).content.decode()
    assert "tidak dihitung hadir" in html
    sheet = load_workbook(io.BytesIO(recap_workbook(user=tenancy.camat, month=AUG, desa=tenancy.desa_a)))["Pucuk"]
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert any(t.startswith("Keterangan:") and "tidak dihitung hadir" in t for t in texts)
    body = tenancy.client(tenancy.camat).get(
        reverse("api:attendance-recap"), {"month": "2026-08", "desa": "35.24.13.2001"}
    )
    assert (body.json()["missing_punch"], body.json()["totals"]["present"]) == ("not_present", 0)


# Setting the policy: kecamatan staff of that kecamatan only ----------------------------------------------------


def test_kasi_sets_the_policy_through_the_api(tenancy):
    api = tenancy.client(tenancy.kasi_tapem)
    url = reverse("api:attendance-policy")
    assert api.get(url).json()["missing_punch"] == "tl4_psw4"
    response = api.put(url, {"missing_punch": "not_present"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["kecamatan"], response.json()["missing_punch"], response.json()["updated_by"]) == (
        "35.24.13",
        "not_present",
        "kasitapem",
    )
    assert tenancy.client(tenancy.operator_a).get(url).json()["missing_punch"] == "not_present"  # desa users read
    assert api.put(url, {"missing_punch": "sesuka"}, format="json").status_code == 400
    history = AttendancePolicy.objects.get().history.count()
    assert history == 1


def test_desa_users_cannot_set_the_policy(tenancy):
    for user in (tenancy.operator_a, tenancy.kades_a):
        response = tenancy.client(user).put(
            reverse("api:attendance-policy"), {"missing_punch": "not_present"}, format="json"
        )
        assert response.status_code == 403
    assert not AttendancePolicy.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "outsider_operator"])
def test_another_kecamatan_gets_404_on_our_policy(client, tenancy, who):
    user = getattr(tenancy, who)
    api = tenancy.client(user)
    url = reverse("api:attendance-policy")
    assert api.get(url, {"kecamatan": "35.24.13"}).status_code == 404
    assert api.put(f"{url}?kecamatan=35.24.13", {"missing_punch": "not_present"}, format="json").status_code == 404
    client.force_login(user)
    response = client.post(
        reverse("attendance-policy"), {"kecamatan": "35.24.13", f"{tenancy.kecamatan.pk}-missing_punch": "not_present"}
    )
    assert response.status_code == 404
    assert not AttendancePolicy.objects.filter(kecamatan=tenancy.kecamatan).exists()
    assert "35.24.13" not in client.get(reverse("attendance-schedules")).content.decode()


def test_camat_sets_the_policy_on_the_working_hours_page(client, tenancy):
    client.force_login(tenancy.camat)
    page = client.get(reverse("attendance-schedules")).content.decode()
    assert 'data-testid="policy-form"' in page and "TAM dihitung TL4" in page
    response = client.post(
        reverse("attendance-policy"), {"kecamatan": "35.24.13", f"{tenancy.kecamatan.pk}-missing_punch": "not_present"}
    )
    assert response.status_code == 302
    assert AttendancePolicy.objects.get(kecamatan=tenancy.kecamatan).missing_punch == "not_present"
    client.force_login(tenancy.operator_a)
    page = client.get(reverse("attendance-schedules")).content.decode()
    assert 'data-testid="policy-form"' not in page and "tidak dihitung hadir" in page
    response = client.post(
        reverse("attendance-policy"), {"kecamatan": "35.24.13", f"{tenancy.kecamatan.pk}-missing_punch": "tl4_psw4"}
    )
    assert response.status_code == 403
    assert AttendancePolicy.objects.get(kecamatan=tenancy.kecamatan).missing_punch == "not_present"
