"""Every notification payload the apps build (monev alerts and digest, attendance flag and device notices,
musrenbang meeting alerts) comes from ``portal.notify.payload_build``: its link is made by ``reverse()`` and
resolves, its texts went through the translation catalogue, and they are in the office language
(settings.LANGUAGE_CODE), whatever language the request that caused the event was in."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.urls import resolve
from django.utils import translation

from attendance import notices, recap
from attendance import services as attendance_services
from attendance.models import Device
from monev import alerts, digest
from monev.choices import State
from monev.models import DocumentType, Obligation
from musrenbang import services as musrenbang_services
from musrenbang.choices import MeetingKind
from musrenbang.models import Meeting
from portal import notify
from portal.choices import Jabatan

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 7, 15)  # a Wednesday
MONEV_KINDS = list(alerts.MESSAGES)


@pytest.fixture
def made(tenancy):
    """One real row behind every kind of payload."""
    desa = tenancy.desa_a
    lppd = DocumentType.objects.get(code="LPPD")
    late = Obligation.objects.create(
        desa=desa,
        document_type=lppd,
        year=2025,
        due_date=dt.date(2026, 3, 31),
        state=State.TERLAMBAT,
        correction_due_date=dt.date(2026, 7, 20),
    )
    Obligation.objects.create(desa=desa, document_type=lppd, year=2026, due_date=dt.date(2026, 7, 17))
    device = Device.objects.create(
        serial_number="SN-PAYLOAD", desa=desa, name="Mesin Balai Desa", host="127.0.0.1", consecutive_failures=3
    )
    meeting = Meeting.objects.create(
        kecamatan=tenancy.kecamatan,
        desa=desa,
        kind=MeetingKind.MUSDES,
        year=2027,
        window_start=dt.date(2026, 6, 1),
        window_end=dt.date(2026, 8, 31),
        planned_date=dt.date(2026, 7, 22),
        place="Balai Desa Pucuk, Jl. Raya No. 1.",  # typed with its own closing period
    )
    tenancy.perangkat_a.jabatan = Jabatan.SEKRETARIS_DESA
    return {"tenancy": tenancy, "obligation": late, "device": device, "meeting": meeting}


def every_payload(made) -> dict[str, dict]:
    """Each kind's payload, built the way its app builds it."""
    t, o = made["tenancy"], made["obligation"]
    streak = recap.Flag(kind="tk_streak", desa=t.desa_a, perangkat=t.perangkat_a, count=3, detail="02/03/2026")
    late = recap.Flag(kind="chronic_late", desa=t.desa_a, perangkat=t.perangkat_a, count=6)
    built = {
        f"monev:{kind}": alerts.message(o, kind, days=7, note="Tanda tangan BPD belum ada.") for kind in MONEV_KINDS
    }
    built |= {f"monev:{kind}:kasi": alerts.message(o, kind, days=7, audience="kasi") for kind in alerts.FOLLOW_UP}
    built |= {
        "monev:digest": digest.digest_payload(t.kecamatan, TODAY),
        "attendance:tk_streak": notices.notice_payload(streak, dt.date(2026, 3, 1)),
        "attendance:chronic_late": notices.notice_payload(late, dt.date(2026, 3, 1)),
        "attendance:device_down": attendance_services.device_down_payload(
            made["device"], attendance_services.UNREACHABLE
        ),
        "attendance:device_full": attendance_services.device_full_payload(made["device"], 90_000, 100_000),
        "musrenbang:reminder": musrenbang_services.meeting_reminder_payload(made["meeting"], 7),
        "musrenbang:late": musrenbang_services.meeting_late_payload(made["meeting"]),
    }
    return built


EXPECTED_VIEWS = {
    "monev": {"monev-obligation", "monev-board"},
    "attendance": {"attendance-desa-month", "attendance-device"},
    "musrenbang": {"musrenbang-meeting"},
}


def test_every_link_resolves_to_a_page_of_its_app(made):
    payloads = every_payload(made)
    assert len(payloads) == len(MONEV_KINDS) + len(alerts.FOLLOW_UP) + 7
    for name, payload in payloads.items():
        link = urlsplit(payload["link"])
        assert payload["link"].startswith("/") and not link.netloc, name
        assert resolve(link.path).url_name in EXPECTED_VIEWS[name.split(":")[0]], name
    assert payloads["attendance:tk_streak"]["link"] == "/absensi/rekap/35.24.13.2001/?bulan=2026-03"
    assert payloads["monev:digest"]["link"] == "/monev/"


def test_every_text_goes_through_the_translation_catalogue(made, monkeypatch):
    # Mark what gettext returns: a text that skipped the catalogue (an f-string, a literal) shows unmarked.
    monkeypatch.setattr(notify, "gettext", lambda msgid: f"«{msgid}»")
    for name, payload in every_payload(made).items():
        for field in ("title", "message"):
            lines = [line for line in payload[field].splitlines() if line]
            assert lines and all(line.startswith("«") and line.endswith("»") for line in lines), (name, field)


def test_texts_are_in_the_office_language_not_the_requests(made, settings):
    with translation.override("en"):  # a user browsing in English caused the event
        payloads = every_payload(made)
    assert payloads["attendance:tk_streak"]["title"] == "TK berturut-turut: Slamet Riyadi, Desa Pucuk"
    assert "(Sekretaris Desa, Desa Pucuk)" in payloads["attendance:tk_streak"]["message"]
    assert payloads["musrenbang:reminder"]["title"] == "Musdes perencanaan Pucuk 2027 7 hari lagi"
    settings.LANGUAGE_CODE = "en"  # an English office: values (choice labels, a meeting's kind) follow too
    payloads = every_payload(made)
    assert payloads["attendance:tk_streak"]["title"] == "Consecutive TK days: Slamet Riyadi, Village Pucuk"
    assert "(Village Secretary, Village Pucuk)" in payloads["attendance:tk_streak"]["message"]
    assert payloads["musrenbang:reminder"]["title"] == "Planning Musdes Pucuk 2027 in 7 day(s)"


def test_the_digest_lists_due_and_late_per_desa(made):
    message = digest.digest_payload(made["tenancy"].kecamatan, TODAY)["message"]
    assert message.splitlines() == [
        "Ringkasan minggu 13/07/2026–19/07/2026, Kecamatan Pucuk.",
        "",
        "Jatuh tempo minggu ini:",
        "- Desa Pucuk: LPPD (tenggat 17/07/2026)",
        "",
        "Terlambat (1):",
        "- Desa Pucuk: LPPD (tenggat 31/03/2026)",
    ]


def test_a_typed_value_ending_with_a_period_gets_no_second_one(made):
    # The fixture's review note and meeting place end with "." as people type them.
    for name, payload in every_payload(made).items():
        for field in ("title", "message"):
            assert not re.search(r"(?<!\.)\.\.(?!\.)", payload[field]), (name, payload[field])
    returned = every_payload(made)["monev:returned"]["message"]
    assert returned.endswith("Catatan: Tanda tangan BPD belum ada.")


def test_a_text_that_skips_the_builder_is_refused():
    with pytest.raises(TypeError):
        notify.payload_build(title="Judul", message=notify.text("Pesan"), url_name="inbox")
