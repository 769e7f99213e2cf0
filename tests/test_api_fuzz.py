"""Schemathesis against our own OpenAPI schema (/api/schema/), in-process through the WSGI app, as a Kasi Tapem
and as an Operator Desa: no 5xx, and every status, content type and body as the schema documents it.

Reproducible and bounded: a fixed seed, derandomized Hypothesis and ``MAX_EXAMPLES`` cases per operation. Data
that breaks a business rule is legitimately refused, so the data-acceptance checks are not run; 4xx answers only
have to be documented. A failure prints a ``curl`` line that replays the request."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import strategies as st
from knox.models import AuthToken

from attendance import corrections, daily, leave, review, store
from attendance import services as attendance_services
from attendance.choices import PunchKind
from attendance.models import (
    AttendanceWarning,
    DailyStatus,
    Device,
    DeviceUser,
    Leave,
    Punch,
    SyncRun,
    WorkSchedule,
)
from attendance.zk.parser import RawRecord
from monev import services as monev_services
from monev.choices import State
from monev.models import DocumentType, Obligation, SubmissionFile
from monev.sanctions import sanction_create
from musrenbang import services as musrenbang_services
from musrenbang.choices import DocumentRole, MeetingKind
from portal import notify
from portal.calendar import holidays_sync
from portal.models import Delivery, HariLibur, Notification
from tests.monev.conftest import ensure_document_types, pdf_bytes

MAX_EXAMPLES = 12  # per operation and role: about 2 minutes for the file on 2 cores (SQLite and PostgreSQL)
# Never fuzzed, these make the server dial out to a fingerprint machine on the
# network (or queue a pull that does), which a test must not do and whose answers depend on a device.
DEVICE_ACTIONS = re.compile(r"^/api/v1/attendance/devices/\{[^}]+\}/(pull|set-time|clear-log|info)/$")
CONFIG = {
    "seed": 20261201,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    # Only the fuzzing phase: with the coverage phase added (and 25 examples) the file took 37 minutes here.
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    # None fires with this seed today, but "too slow" depends on the machine and the others on the shapes of the
    # schema's bodies: they would fail the run for how the data is made, not for what the API answers.
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large", "large_base_example"],
    "checks": {
        "enabled": False,
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
    },
}
PATH_PARAMETER = re.compile(r"/([a-z-]+)/\{(\w+)\}")

# Runs in `make test` and CI like any test (no marker deselects it); a hang fails it instead of eating CI's time.
pytestmark = pytest.mark.timeout(600)


def excluded(ctx) -> bool:
    return bool(DEVICE_ACTIONS.match(ctx.operation.path))


def world(tenancy) -> dict[str, list]:
    """Rows for the operations to find, keyed by the path segment before their id: obligations with a submission,
    a teguran, meetings with a berita acara, a proposal, a local holiday, in-app notices and deliveries."""
    ensure_document_types()
    year = timezone.localdate().year
    holidays_sync(years=[year - 1, year, year + 1])
    monev_services.obligations_generate(year=year)
    own = Obligation.objects.filter(desa=tenancy.desa_a, year=year).order_by("id")
    submission = monev_services.submission_create(
        actor=tenancy.operator_a,
        obligation=own.get(document_type__code="APBDES"),
        document=SimpleUploadedFile("apbdes.pdf", pdf_bytes(), content_type="application/pdf"),
    )
    late = own.filter(state__in=[State.BELUM, State.TERLAMBAT], due_date__lt=timezone.localdate()).first()
    sanctions = [sanction_create(actor=tenancy.kasi_tapem, obligation=late, level="lisan").pk] if late else []
    meetings = musrenbang_services.meetings_schedule(
        actor=tenancy.kasi_tapem,
        kecamatan=tenancy.kecamatan,
        year=year,
        kind=MeetingKind.MUSRENBANGDES,
        planned_date=dt.date(year - 1, 8, 10),
    )
    document = musrenbang_services.meeting_document_add(
        actor=tenancy.kasi_tapem,
        meeting=meetings[0],
        role=DocumentRole.BERITA_ACARA,
        upload=SimpleUploadedFile("ba.pdf", pdf_bytes()),
    )
    proposal = musrenbang_services.proposal_create(
        actor=tenancy.operator_a,
        desa=tenancy.desa_a,
        year=year,
        bidang="2",
        activity="Jalan rabat beton",
        volume=Decimal("250"),
        unit="m",
        estimated_cost=Decimal("185000000"),
        fund_source="dd",
        desa_rank=1,
    )
    holiday = HariLibur.objects.create(
        tanggal=dt.date(year, 6, 10), nama="Hari jadi desa", jenis=HariLibur.Jenis.LOKAL, kecamatan=tenancy.kecamatan
    )
    notify.deliveries_create(
        event_key="fuzz:1",
        kind=Notification.Kind.LATE,
        recipients=[tenancy.kasi_tapem, tenancy.operator_a],
        kecamatan_id=tenancy.kecamatan.pk,
        desa_id=tenancy.desa_a.pk,
        payload={"title": "Uji", "message": "Pesan uji", "link": "/pemberitahuan/"},
    )
    notify.dispatch_due()
    attendance_rows = attendance_world(tenancy, year=year)
    return {
        **attendance_rows,
        "obligations": list(own.values_list("pk", flat=True)[:8]),
        "submissions": [submission.pk],
        "files": list(SubmissionFile.objects.values_list("pk", flat=True)),
        "sanctions": sanctions,
        "meetings": [m.pk for m in meetings],
        "documents": [document.pk],
        "proposals": [proposal.pk],
        "holidays": [holiday.pk],
        "perangkat": [tenancy.perangkat_a.pk, tenancy.perangkat_b.pk, tenancy.other_perangkat.pk],
        "desa": [tenancy.desa_a.pk, tenancy.desa_b.pk, tenancy.other_desa.pk],
        "kecamatan": [tenancy.kecamatan.pk, tenancy.other_kecamatan.pk],
        "notifications": list(Notification.objects.values_list("pk", flat=True)),
        "deliveries": list(Delivery.objects.values_list("pk", flat=True)),
        "document-types": list(DocumentType.objects.values_list("code", flat=True)[:4]),
    }


def attendance_world(tenancy, *, year: int) -> dict[str, list]:
    """A machine in each desa of the kecamatan and one outside, its users (one linked), a week of punches and
    their statuses, a schedule, leave and a correction waiting, a review note and a teguran."""
    devices = [
        Device.objects.create(serial_number=f"FUZZ{n}", desa=desa, name=f"Balai {desa.nama}", host="127.0.0.1")
        for n, desa in enumerate([tenancy.desa_a, tenancy.desa_b, tenancy.other_desa])
    ]
    users = [DeviceUser.objects.create(device=d, pin=str(n + 1), name=f"Pengguna {n}") for n, d in enumerate(devices)]
    attendance_services.device_user_link(actor=tenancy.kasi_tapem, device_user=users[0], perangkat=tenancy.perangkat_a)
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 7)
    records = [
        RawRecord("1", None, dt.datetime.combine(monday + dt.timedelta(days=d), dt.time(h, m)), 1, 0)
        for d in range(5)
        for h, m in ((7, 40 + d), (15, 5))[: 1 if d == 0 else 2]  # Monday: no departure, to correct
    ]
    store.punches_insert(device=devices[0], records=records)
    daily.statuses_recompute(desa_ids=[tenancy.desa_a.pk], date_from=monday, date_to=monday + dt.timedelta(days=6))
    schedule = WorkSchedule.objects.create(kecamatan=tenancy.kecamatan, desa=tenancy.desa_b, name="Jadwal desa")
    leave_row = leave.leave_request(
        actor=tenancy.operator_a,
        perangkat=tenancy.perangkat_a,
        kind=Leave.Kind.values[0],
        date_from=monday + dt.timedelta(days=14),
        date_to=monday + dt.timedelta(days=15),
        reason="Keperluan keluarga",
    )
    correction = corrections.correction_request(
        actor=tenancy.operator_a,
        perangkat=tenancy.perangkat_a,
        date=monday,
        kind=PunchKind.OUT,
        time=dt.time(16, 0),
        reason="Mesin mati saat pulang",
    )
    month = monday.replace(day=1)
    note = review.note_create(actor=tenancy.kasi_tapem, desa=tenancy.desa_a, month=month, text="Perlu pembinaan")
    warning = review.warning_create(
        actor=tenancy.kasi_tapem,
        perangkat=tenancy.perangkat_a,
        month=month,
        level=AttendanceWarning.Level.values[0],
        note="Sering terlambat",
    )
    return {
        "devices": [d.pk for d in devices],
        "device-users": [u.pk for u in users],
        "punches": list(Punch.objects.values_list("pk", flat=True)[:4]),
        "sync-runs": list(SyncRun.objects.values_list("pk", flat=True)),
        "schedules": [schedule.pk],
        "leave": [leave_row.pk],
        "corrections": [correction.pk],
        "daily": list(DailyStatus.objects.values_list("pk", flat=True)[:4]),
        "review-notes": [note.pk],
        "warnings": [warning.pk],
    }


def with_real_ids(pools: dict[str, list]):
    """A ``flatmap_path_parameters`` hook: each path id is either the generated value or a real row's (in or
    out of the user's scope), so the operations also run past their lookup into the code behind it."""

    def flatmap_path_parameters(ctx, path_parameters):
        if not path_parameters:
            return st.just(path_parameters)
        strategies = {}
        for segment, name in PATH_PARAMETER.findall(ctx.operation.path):
            if name in path_parameters and pools.get(segment):
                strategies[name] = st.just(path_parameters[name]) | st.sampled_from(pools[segment])
        return st.fixed_dictionaries({**{k: st.just(v) for k, v in path_parameters.items()}, **strategies})

    return flatmap_path_parameters


@pytest.fixture(params=["kasi_tapem", "operator_a"])
def fuzz_user(request, tenancy):
    return getattr(tenancy, request.param)


@pytest.fixture
def fuzz_schema(request, fuzz_user, tenancy, private_media):
    # schemathesis 4.32 renames the test node through ``_nodeid``, which pytest 9.2 no longer has.
    request.node._nodeid = request.node.nodeid
    pools = world(tenancy)
    # Django's test client keeps the test's transaction open across requests by not closing "old" connections
    # around each one; this fuzzer calls the plain WSGI handler, so it does the same.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi(
            "/api/schema/", WSGIHandler(), config=schemathesis.Config.from_dict(CONFIG)
        )
        schema.hooks.register_hook_with_name(with_real_ids(pools), "flatmap_path_parameters")
        yield schema
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


api = schemathesis.pytest.from_fixture("fuzz_schema").exclude(func=excluded)


@api.parametrize()
def test_api_fuzz(case, fuzz_user):
    # A fresh token for every request: ``auth/token/revoke/`` is fuzzed too and revokes the token it is sent with.
    _instance, token = AuthToken.objects.create(fuzz_user)
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
