"""The home page per role and the desa hub (``portal.home`` with the sections of monev, attendance and
Musrenbang): each role sees its sections, every link resolves and stays in scope, an outsider sees nothing
of another kecamatan, and the number of queries does not grow with the number of desa."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from attendance.choices import PunchKind
from attendance.models import Device, Leave, PunchCorrection
from monev.choices import State, SubmissionStatus
from monev.models import DocumentType, Obligation, Sanction, Submission
from portal import home
from portal.choices import Jabatan, Role
from portal.models import Delivery, Notification
from tests.factories import DesaFactory, PerangkatFactory, UserFactory
from tests.helpers import login
from tests.monev.conftest import ensure_document_types

pytestmark = pytest.mark.django_db


def _type(code: str) -> DocumentType:
    return DocumentType.objects.get(code=code)


def _obligation(desa, code: str, year: int, due: dt.date, state: str = State.BELUM, **extra) -> Obligation:
    return Obligation.objects.create(
        desa=desa, document_type=_type(code), year=year, due_date=due, state=state, **extra
    )


def _notice(user, key: str) -> Notification:
    delivery = Delivery.objects.create(
        event_key=key,
        kind=Notification.Kind.REMINDER,
        channel=Delivery.Channel.INAPP,
        recipient=user,
        kecamatan=user.kecamatan,
        payload={},
        next_attempt_at=timezone.now(),
    )
    return Notification.objects.create(
        recipient=user, delivery=delivery, kind=Notification.Kind.REMINDER, title="Pengingat RKPDes", message="Uji"
    )


def _fill(desa, requester, today: dt.date, n: int) -> None:
    """What a desa brings to the home page: a late RKPDes of next year, a submission waiting for verification,
    a deadline within 14 days, a returned report and a leave request."""
    _obligation(desa, "RKPDES", today.year + 1, today - dt.timedelta(days=60))
    sent = _obligation(desa, "LPPD", today.year, today - dt.timedelta(days=3), State.DIKIRIM)
    Submission.objects.create(
        obligation=sent,
        version=1,
        submitted_by=requester,
        submitted_at=timezone.now() - dt.timedelta(days=n + 1),
        status=SubmissionStatus.MENUNGGU,
    )
    _obligation(desa, "IPPD", today.year, today + dt.timedelta(days=5))
    _obligation(
        desa,
        "LPJ_APBDES",
        today.year,
        today - dt.timedelta(days=20),
        State.DIKEMBALIKAN,
        correction_due_date=today + dt.timedelta(days=4),
    )
    staff = PerangkatFactory(desa=desa, jabatan=Jabatan.STAF)
    Leave.objects.create(perangkat=staff, kind=Leave.Kind.IZIN, date_from=today, date_to=today, requested_by=requester)
    Device.objects.create(serial_number=f"SN-{desa.kode}", desa=desa, name="Kantor desa", host="10.0.0.1")
    Sanction.objects.create(desa=desa, obligation=sent, level=Sanction.Level.LISAN, issued_by=requester)


@pytest.fixture
def filled(tenancy):
    ensure_document_types()
    today = timezone.localdate()
    for i, desa in enumerate((tenancy.desa_a, tenancy.desa_b, tenancy.other_desa)):
        _fill(desa, tenancy.operator_a, today, i)
    _notice(tenancy.operator_a, "uji:home:1")
    tenancy.kasi_pmd = UserFactory(username="kasipmd", role=Role.KASI_PMD, kecamatan=tenancy.kecamatan)
    return tenancy


def _keys(user) -> set[str]:
    return {s.key for s in home.sections(user, timezone.localdate())}


def _links(sections) -> list[str]:
    return [s.url for s in sections] + [i.url for s in sections for i in s.items]


def _assert_links_resolve(client, user, urls: list[str]) -> None:
    """Each link names a page of the portal, and that page answers the user (not 404: it is in scope)."""
    login(client, user)
    for url in set(urls):
        resolve(urlsplit(url).path)
        assert client.get(url).status_code in (200, 302), url


def test_kasi_tapem_sees_late_over_every_year_waiting_oldest_first_soon_and_escalations(client, filled):
    today = timezone.localdate()
    sections = {s.key: s for s in home.sections(filled.kasi_tapem, today)}
    assert {"monev-late", "monev-waiting", "monev-soon", "monev-escalated"} <= set(sections)
    late = sections["monev-late"]
    assert late.total == 2  # next year's RKPDes of both desa, hidden under another year on the board
    assert {i.text.split(" — ")[0] for i in late.items} == {"Pucuk", "Gempolpading"}
    assert sections["monev-escalated"].total == 2  # 60 days late, past the first escalation day
    waiting = [i.text.split(" — ")[0] for i in sections["monev-waiting"].items]
    assert waiting == ["Gempolpading", "Pucuk"]  # oldest first
    assert sections["monev-soon"].total == 2
    body = login(client, filled.kasi_tapem).get(reverse("dashboard")).content.decode()
    assert 'data-testid="section-monev-late"' in body and "Sukodadi" not in body


def test_camat_sees_attendance_today_flags_ranking_escalations_and_requests(filled):
    keys = _keys(filled.camat)
    assert {
        "attendance-today",
        "attendance-flags",
        "attendance-ranking",
        "attendance-requests",
        "monev-escalated",
    } <= keys
    assert "monev-waiting" not in keys and "musrenbang-cycle" not in keys
    today = {s.key: s for s in home.sections(filled.camat, timezone.localdate())}["attendance-today"]
    assert [i.text for i in today.items] == ["Pucuk", "Gempolpading"]


def test_operator_sees_returned_with_its_correction_deadline_due_next_requests_and_notices(client, filled):
    today = timezone.localdate()
    sections = {s.key: s for s in home.sections(filled.operator_a, today)}
    assert {"monev-returned", "monev-due", "attendance-requests", "notices"} <= set(sections)
    returned = sections["monev-returned"].items
    assert len(returned) == 1
    assert (today + dt.timedelta(days=4)).strftime("%d/%m/%Y") in returned[0].detail
    assert not any("LPJ" in i.text for i in sections["monev-due"].items)  # a returned report is not "due next"
    assert sections["notices"].total == 1
    assert sections["attendance-requests"].title.endswith("menunggu keputusan")
    assert "monev-late" not in sections and "attendance-today" not in sections
    body = login(client, filled.operator_a).get(reverse("dashboard")).content.decode()
    assert "Pengingat RKPDes" in body and "Gempolpading" not in body


def test_kepala_desa_decides_leave_of_his_perangkat(filled):
    sections = {s.key: s for s in home.sections(filled.kades_a, timezone.localdate())}
    requests = sections["attendance-requests"]
    assert requests.title.endswith("untuk diputuskan") and requests.total == 1


def test_kasi_pmd_sees_the_musrenbang_cycle(filled):
    sections = {s.key: s for s in home.sections(filled.kasi_pmd, timezone.localdate())}
    assert {"musrenbang-cycle", "musrenbang-action"} <= set(sections)
    assert "2 desa" in sections["musrenbang-cycle"].summary
    assert "monev-late" not in sections


@pytest.mark.parametrize("role", ["kasi_tapem", "camat", "operator_a", "kades_a", "kasi_pmd", "outsider"])
def test_every_home_link_resolves_and_is_in_scope(client, filled, role):
    user = getattr(filled, role)
    sections = home.sections(user, timezone.localdate())
    assert sections
    _assert_links_resolve(client, user, _links(sections))


def test_outsider_sees_nothing_of_another_kecamatan(client, filled):
    sections = home.sections(filled.outsider, timezone.localdate())
    texts = " ".join(i.text for s in sections for i in s.items)
    assert "Sukodadi" in texts and "Pucuk" not in texts and "Gempolpading" not in texts
    ids = {int(m) for url in _links(sections) for m in re.findall(r"/monev/kewajiban/(\d+)/", url)}
    assert ids and set(Obligation.objects.filter(pk__in=ids).values_list("desa_id", flat=True)) == {
        filled.other_desa.pk
    }


def _queries(client, user, url: str) -> int:
    login(client, user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["kasi_tapem", "camat", "operator_a", "kades_a", "kasi_pmd"])
def test_home_query_count_does_not_grow_with_the_number_of_desa(client, filled, role):
    user = getattr(filled, role)
    today = timezone.localdate()
    _fill(DesaFactory(kecamatan=filled.kecamatan), filled.operator_a, today, 5)  # 3 desa
    with_three = _queries(client, user, reverse("dashboard"))
    for n in range(9):  # 12 desa
        _fill(DesaFactory(kecamatan=filled.kecamatan), filled.operator_a, today, 6 + n)
    assert _queries(client, user, reverse("dashboard")) == with_three


@pytest.mark.parametrize(("role", "desa"), [("camat", "desa_b"), ("operator_a", "desa_a"), ("outsider", "other_desa")])
def test_desa_page_is_a_hub_with_links_in_scope(client, filled, role, desa):
    user, desa = getattr(filled, role), getattr(filled, desa)
    sections = {s.key: s for s in home.desa_sections(user, desa, timezone.localdate())}
    assert {"desa-monev", "desa-attendance", "desa-devices", "desa-musrenbang", "desa-sanctions"} <= set(sections)
    assert sections["desa-monev"].total == 1  # next year's RKPDes, late now
    assert len(sections["desa-devices"].items) == 1 and len(sections["desa-sanctions"].items) == 1
    body = login(client, user).get(reverse("desa-detail", args=[desa.kode])).content.decode()
    for key in sections:
        assert f'data-testid="section-{key}"' in body
    _assert_links_resolve(client, user, _links(list(sections.values())))


def test_desa_hub_of_another_kecamatan_is_404(client, filled):
    response = login(client, filled.outsider).get(reverse("desa-detail", args=[filled.desa_b.kode]))
    assert response.status_code == 404
    response = login(client, filled.operator_a).get(reverse("desa-detail", args=[filled.desa_b.kode]))
    assert response.status_code == 404


def test_desa_hub_query_count_does_not_grow_with_the_number_of_desa(client, filled):
    url = reverse("desa-detail", args=[filled.desa_a.kode])
    before = _queries(client, filled.camat, url)
    today = timezone.localdate()
    for n in range(9):
        _fill(DesaFactory(kecamatan=filled.kecamatan), filled.operator_a, today, 6 + n)
    assert _queries(client, filled.camat, url) == before


def test_requests_section_opens_the_corrections_when_only_koreksi_wait(filled):
    today = timezone.localdate()
    Leave.objects.all().delete()
    PunchCorrection.objects.create(
        perangkat=filled.perangkat_a,
        date=today,
        kind=PunchKind.IN,
        punched_at=timezone.now(),
        reason="Lupa absen",
        requested_by=filled.operator_a,
    )
    requests = {s.key: s for s in home.sections(filled.kades_a, today)}["attendance-requests"]
    assert requests.total == 1
    assert requests.url == reverse("attendance-corrections") + "?status=diajukan"


def test_todays_line_on_the_home_page_adds_up_to_the_perangkat(tenancy):
    from attendance.home import _today_text
    from attendance.recap import TodayRow

    row = TodayRow(tenancy.desa_a, on_time=3, late=2, missing_in=1, absent=1, no_data=1, day_off=2, perangkat=10)
    text = _today_text(row)
    assert text == "tepat waktu 3 · terlambat 2 · TAM 1 · TK 1 · tanpa data 1 · libur 2 (dari 10 perangkat)"
    assert sum(int(part.split()[-1]) for part in text.split(" (")[0].split(" · ")) == row.perangkat
