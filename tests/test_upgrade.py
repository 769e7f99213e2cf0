"""Upgrade from the previous release (``portal.releases``) on a database that holds data, as an install runs it.

A fresh database is brought to the previous release's schema by its own migrations, filled through the
*historical* models of that schema (the code of today cannot write the old tables): kecamatan, desa, perangkat,
users, obligations with transitions, extensions, submissions and their files, deliveries with attempts and
notices, devices and their users, half a year of punches (so the punch partition migration moves real rows, a
stray from 2000 into the default partition), device days, daily statuses, push uploads with their events, IKU
figures and a Musrenbang meeting. Then ``manage.py migrate`` runs, as the README's upgrade steps say, and:

* every row of every table is still there with the same values (each table's rows compared whole, on the
  columns both schemas have), and the new columns and tables hold what their migration promised;
* the guards added since hold on the upgraded data (punch immutability and device check on the partitioned
  table, deliveries for a missing user refused, addressees fixed, users with deliveries kept);
* nothing is left for ``makemigrations`` or ``migrate``;
* going back to the previous release gives back its schema and every row, and forward again the upgraded one.

It runs on the suite's database engine: PostgreSQL under CI (in an extra database ``pantau_upgrade_<pid>``,
dropped at the end), a temporary file on SQLite. PostgreSQL-only guards are checked on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from portal.releases import previous_release
from tests.conftest import IN_CI

PREVIOUS = previous_release()
ZONE = dt.timezone(dt.timedelta(hours=7))  # WIB; the data are written as a Jakarta install writes them

# Tables that may gain rows on upgrade: the migration ledger, and the content types and permissions that
# ``migrate``'s post_migrate step adds for new models (going back leaves those, as Django always does).
GROWING = {"django_migrations", "django_content_type", "auth_permission"}
# Columns a migration writes anew each time it runs (compared without them): when a migration was applied, and
# the rollup that attendance 0008 backfills (new ids, new ``computed_at``) after a way back and forth.
VOLATILE = {"django_migrations": ("id", "applied"), "attendance_desamonthrollup": ("id", "computed_at")}

# Months of punches: half a year, so the partition migration spreads them over six monthly partitions.
MONTHS = [dt.date(2026, month, 1) for month in range(6, 12)]
STRAY = dt.datetime(2000, 1, 1, 0, 3, tzinfo=ZONE)  # a clock reset: its punch goes to the default partition
DAY_KINDS = [  # (status, codes, late, early, missing_in, missing_out)
    ("H", "", 0, 0, 0, 0),
    ("TL", "TL1", 12, 0, 0, 0),
    ("TL", "TL2/PSW1", 45, 20, 0, 0),
    ("PSW", "PSW3", 0, 70, 0, 0),
    ("TAM", "TAM", 0, 0, 30, 0),
    ("TAP", "TAP", 0, 0, 0, 240),
    ("H", "", 0, 0, 0, 0),
    ("I", "I", 0, 0, 0, 0),
    ("S", "S", 0, 0, 0, 0),
    ("C", "C", 0, 0, 0, 0),
    ("DL", "DL", 0, 0, 0, 0),
    ("TK", "TK", 0, 0, 0, 0),
    ("ND", "", 0, 0, 0, 0),
    ("L", "", 0, 0, 0, 0),
]


# The scratch database -------------------------------------------------------------------------------------


def _pg_admin(sql: str) -> None:
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        admin.execute(sql)


@contextmanager
def scratch_database(tmp_dir):
    """The default connection pointed at a new, empty database for the duration (RunPython code of old
    migrations writes through the default connection, so the default it must be)."""
    saved = connection.settings_dict["NAME"]
    connection.close()
    if connection.vendor == "postgresql":
        name = f"pantau_upgrade_{os.getpid()}"
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{name}"')
    else:
        name = str(tmp_dir / "upgrade.sqlite3")
    connection.settings_dict["NAME"] = name
    ContentType.objects.clear_cache()
    try:
        yield name
    finally:
        connection.close()
        connection.settings_dict["NAME"] = saved
        ContentType.objects.clear_cache()
        if connection.vendor == "postgresql":
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def need_postgresql(why: str) -> None:
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail(f"{why}: CI runs the suite on PostgreSQL (DATABASE_URL)")
        pytest.skip(f"{why} (CI runs this)")


def migrate_to(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


# What a database holds --------------------------------------------------------------------------------------


def _tables() -> list[str]:
    names = connection.introspection.table_names()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname FROM pg_class WHERE relispartition")
            partitions = {name for (name,) in cursor.fetchall()}
        names = [name for name in names if name not in partitions]  # read through their parent
    return sorted(names)


def _plain(value):
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


@dataclass
class Rows:
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rows: dict[str, Counter] = field(default_factory=dict)

    def on(self, table: str, columns: tuple[str, ...]) -> Counter:
        """The table's rows cut down to ``columns`` (a multiset: no order, duplicates counted)."""
        index = [self.columns[table].index(c) for c in columns]
        return Counter(tuple(row[i] for i in index) for row in self.rows[table].elements())


def rows_read() -> Rows:
    found = Rows()
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in _tables():
            columns = tuple(
                c.name
                for c in connection.introspection.get_table_description(cursor, table)
                if c.name not in VOLATILE.get(table, ())
            )
            cursor.execute(f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)}")  # noqa: S608
            found.columns[table] = columns
            found.rows[table] = Counter(tuple(_plain(v) for v in row) for row in cursor.fetchall())
    return found


def _constraint_name(name: str, spec: dict) -> str:
    """SQLite names foreign keys by position (``fk_0``) and leaves some constraints unnamed: no name to keep."""
    if name.startswith("__unnamed") or (connection.vendor == "sqlite" and spec["foreign_key"]):
        return ""
    return name


def schema_read() -> dict[str, object]:
    """Tables with their columns and constraints (names included), and on PostgreSQL the triggers and the
    functions behind them: what a migration back must restore."""
    schema: dict[str, object] = {}
    with connection.cursor() as cursor:
        for table in _tables():
            columns = sorted(
                (c.name, str(c.type_code), c.null_ok)
                for c in connection.introspection.get_table_description(cursor, table)
            )
            constraints = sorted(
                (
                    _constraint_name(name, spec),
                    tuple(spec["columns"] or ()),
                    bool(spec["primary_key"]),
                    bool(spec["unique"]),
                    tuple(spec["foreign_key"] or ()),
                    bool(spec["check"]),
                    bool(spec["index"]),
                )
                for name, spec in connection.introspection.get_constraints(cursor, table).items()
            )
            schema[table] = (columns, constraints)
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND NOT c.relispartition"
            )
            schema["triggers"] = sorted(cursor.fetchall())
            cursor.execute(
                "SELECT p.proname, md5(p.prosrc) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public'"
            )
            schema["functions"] = sorted(cursor.fetchall())
            # What introspection leaves out: partial and expression indexes, check conditions, FK actions.
            cursor.execute(
                "SELECT c.relname, i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.tablename "
                "WHERE i.schemaname = 'public' AND NOT c.relispartition"
            )
            schema["indexes"] = sorted(cursor.fetchall())
            cursor.execute(
                "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
                "JOIN pg_class c ON c.oid = k.conrelid WHERE NOT c.relispartition"
            )
            schema["constraints"] = sorted(cursor.fetchall())
    return schema


# The data of an install of the previous release ------------------------------------------------------------


@dataclass
class Filled:
    punches: int = 0
    punch_months: Counter = field(default_factory=Counter)
    statuses: list = field(default_factory=list)  # (desa_id, date, status, codes, late, early, miss_in, miss_out)
    user_ids: dict = field(default_factory=dict)
    kecamatan_id: int = 0
    desa_ids: list = field(default_factory=list)
    device_ids: list = field(default_factory=list)
    delivery_user_id: int = 0


def fill(apps) -> Filled:
    """Rows of every kind a running install has, through the old schema's historical models."""
    model = apps.get_model
    Kecamatan, Desa, Perangkat, User = (model("portal", n) for n in ("Kecamatan", "Desa", "Perangkat", "User"))
    out = Filled()
    pucuk = Kecamatan.objects.create(kode="35.24.13", nama="Pucuk", kabupaten="Lamongan", provinsi="Jawa Timur")
    sukodadi = Kecamatan.objects.create(kode="35.24.14", nama="Sukodadi", kabupaten="Lamongan")
    desa = [
        Desa.objects.create(kode=f"35.24.13.200{i}", nama=name, kecamatan=pucuk)
        for i, name in enumerate(["Pucuk", "Gempolpading", "Warungering"], start=1)
    ]
    desa.append(Desa.objects.create(kode="35.24.14.2001", nama="Sukodadi", kecamatan=sukodadi))
    out.kecamatan_id, out.desa_ids = pucuk.pk, [d.pk for d in desa]
    perangkat = [
        Perangkat.objects.create(desa=d, nama=f"Perangkat {d.nama} {n}", jabatan=jabatan, nik=f"35241300000{i}{n}")
        for i, d in enumerate(desa)
        for n, jabatan in ((1, "kepala_desa"), (2, "sekretaris_desa"))
    ]

    def user(username, role, **scope):
        return User.objects.create(username=username, password="!", role=role, email=f"{username}@example.id", **scope)

    admin = user("admin1", "admin", is_staff=True, is_superuser=True)
    kasi = user("tapem", "kasi_tapem", kecamatan=pucuk, nip="198001012005011001")
    operator = user("op.pucuk", "operator_desa", kecamatan=pucuk, desa=desa[0], phone="081234567890")
    out.user_ids = {"admin": admin.pk, "kasi": kasi.pk, "operator": operator.pk}

    _fill_monev(apps, desa, kasi, operator, pucuk)
    _fill_notices(apps, kasi, operator, pucuk, desa[0])
    out.delivery_user_id = kasi.pk
    _fill_attendance(apps, desa, perangkat, kasi, out)
    _fill_iku(apps, pucuk, kasi)
    Meeting = model("musrenbang", "Meeting")
    Meeting.objects.create(
        kecamatan=pucuk,
        desa=desa[0],
        kind="musdes",
        year=2026,
        window_start=dt.date(2026, 6, 1),
        window_end=dt.date(2026, 6, 30),
        held_date=dt.date(2026, 6, 12),
        place="Balai Desa",
    )
    return out


def _fill_monev(apps, desa, kasi, operator, pucuk) -> None:
    model = apps.get_model
    DocumentType = model("monev", "DocumentType")
    Obligation, Transition = model("monev", "Obligation"), model("monev", "Transition")
    Submission, SubmissionFile = model("monev", "Submission"), model("monev", "SubmissionFile")
    Extension, Sanction = model("monev", "Extension"), model("monev", "Sanction")
    types = list(DocumentType.objects.order_by("pk")[:3])  # seeded by monev 0002
    assert types, "monev 0002 seeds the document types"
    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)
    for d in desa:
        for n, doc in enumerate(types):
            due = dt.date(2026, 3, 31) + dt.timedelta(days=7 * n)
            state = ("belum", "terlambat", "diterima")[n]
            o = Obligation.objects.create(
                desa=d,
                document_type=doc,
                year=2026,
                due_date=due,
                legal_due_date=due,
                state=state,
                accepted_at=at if state == "diterima" else None,
                on_time=True if state == "diterima" else None,
                next_alert_at=at + dt.timedelta(days=30) if state != "diterima" else None,
                next_alert_stage="reminder:7" if state != "diterima" else "",
            )
            Transition.objects.create(
                obligation=o,
                from_state="belum",
                to_state="belum",
                at=at,
                due_date=due,
                note="pembuatan",
                processed_at=at,
            )
            if state == "terlambat":
                Transition.objects.create(
                    obligation=o,
                    from_state="belum",
                    to_state="terlambat",
                    at=at + dt.timedelta(days=31),
                    due_date=due,  # unprocessed: the outbox still holds it
                )
                Sanction.objects.create(desa=d, obligation=o, level="tertulis_1", issued_by=kasi, note="Teguran I")
            if state == "diterima":
                sub = Submission.objects.create(
                    obligation=o,
                    version=1,
                    submitted_by=operator,
                    submitted_at=at,
                    document_number="1/2026",
                    status="diterima",
                    reviewed_by=kasi,
                    reviewed_at=at + dt.timedelta(hours=3),
                )
                Transition.objects.create(
                    obligation=o,
                    from_state="belum",
                    to_state="diterima",
                    at=at,
                    by=kasi,
                    due_date=due,
                    processed_at=at,
                )
                SubmissionFile.objects.create(
                    submission=sub,
                    role="dokumen",
                    original_name="perdes apbdes.pdf",
                    stored_path=f"monev/{d.kode}/{o.pk}/v1.pdf",
                    size=123456,
                    sha256="a" * 64,
                    content_type="application/pdf",
                )
            if n == 0:
                Extension.objects.create(
                    obligation=o,
                    previous_due_date=due,
                    new_due_date=due + dt.timedelta(days=14),
                    reason="Banjir",
                    granted_by=kasi,
                )


def _fill_notices(apps, kasi, operator, pucuk, desa) -> None:
    model = apps.get_model
    Delivery, DeliveryAttempt = model("portal", "Delivery"), model("portal", "DeliveryAttempt")
    Notification = model("portal", "Notification")
    now = dt.datetime(2026, 11, 3, 7, 0, tzinfo=ZONE)
    for n, (who, channel, status) in enumerate(
        [
            (kasi, "inapp", "sent"),
            (kasi, "email", "failed"),
            (operator, "inapp", "pending"),
            (operator, "email", "sent"),
        ]
    ):
        d = Delivery.objects.create(
            event_key=f"obl:{n}:late",
            kind="late",
            channel=channel,
            recipient=who,
            kecamatan=pucuk,
            desa=desa,
            payload={"title": "Terlambat", "message": f"Laporan {n} terlambat", "desa": desa.kode},
            status=status,
            attempts=1 if status != "pending" else 0,
            next_attempt_at=now,
            sent_at=now if status == "sent" else None,
            last_error="SMTP 550" if status == "failed" else "",
        )
        if status != "pending":
            DeliveryAttempt.objects.create(delivery=d, outcome=status, error=d.last_error)
        if channel == "inapp" and status == "sent":
            Notification.objects.create(
                recipient=who,
                delivery=d,
                kind="late",
                title="Terlambat",
                message="Laporan terlambat",
                desa_kode=desa.kode,
                read_at=now,
            )


def _fill_attendance(apps, desa, perangkat, kasi, out: Filled) -> None:
    model = apps.get_model
    Device, DeviceUser, Punch = (
        model("attendance", "Device"),
        model("attendance", "DeviceUser"),
        model("attendance", "Punch"),
    )
    DeviceDay, DailyStatus = model("attendance", "DeviceDay"), model("attendance", "DailyStatus")
    StatusDirty = model("attendance", "StatusDirty")
    PushRequest, DeviceEvent = model("attendance", "PushRequest"), model("attendance", "DeviceEvent")
    devices = [
        Device.objects.create(serial_number="PUCUK-1", desa=desa[0], name="Balai desa", host="10.0.0.21"),
        Device.objects.create(serial_number="GEMPOL-1", desa=desa[1], name="Kantor", protocol="push", host=""),
        Device.objects.create(serial_number="SUKO-1", desa=desa[3], name="Kantor", host="10.0.0.31", comm_key=7),
    ]
    out.device_ids = [d.pk for d in devices]
    for device in devices:
        for n, p in enumerate(p for p in perangkat if p.desa_id == device.desa_id):
            DeviceUser.objects.create(device=device, pin=str(n + 1), name=p.nama[:100], perangkat=p, linked_by=kasi)
    punches, days = [], []
    for device in devices:
        for month in MONTHS:
            for day in range(1, 21):
                date = month.replace(day=day)
                days.append(DeviceDay(device=device, date=date, punched=True, pulled_at=_at(date, 17)))
                for pin in ("1", "2"):
                    for hour, minute, state in ((7, 10 + day, 0), (16, day, 1)):
                        punched = dt.datetime(date.year, date.month, day, hour, minute, tzinfo=ZONE)
                        punches.append(
                            Punch(
                                device=device,
                                pin=pin,
                                punched_at=punched,
                                punch_state=state,
                                verify_mode=1,
                                source="push" if device.protocol == "push" else "pull",
                            )
                        )
                        out.punch_months[month] += 1
    punches.append(Punch(device=devices[0], pin="1", punched_at=STRAY, verify_mode=1))
    punches.append(Punch(device=devices[0], pin="9", punched_at=_at(MONTHS[0], 7), verify_mode=15, work_code=3))
    out.punch_months[MONTHS[0]] += 1
    Punch.objects.bulk_create(punches, batch_size=2000)
    out.punches = len(punches)
    DeviceDay.objects.bulk_create(days)

    statuses = []
    for p in perangkat:
        for month in MONTHS:
            for day in range(1, 29):
                kind = DAY_KINDS[(day + p.pk) % len(DAY_KINDS)]
                date = month.replace(day=day)
                status, codes, late, early, miss_in, miss_out = kind
                statuses.append(
                    DailyStatus(
                        perangkat=p,
                        desa_id=p.desa_id,
                        date=date,
                        status=status,
                        codes=codes,
                        arrival_at=_at(date, 7) if status in ("H", "TL", "PSW", "TAP") else None,
                        departure_at=_at(date, 16) if status in ("H", "TL", "PSW", "TAM") else None,
                        late_minutes=late,
                        early_minutes=early,
                        missing_in_minutes=miss_in,
                        missing_out_minutes=miss_out,
                        corrected=day == 3,
                        computed_at=_at(date, 23),
                    )
                )
                out.statuses.append((p.desa_id, date, *kind))
    DailyStatus.objects.bulk_create(statuses, batch_size=2000)
    StatusDirty.objects.create(desa=desa[0], date=dt.date(2026, 11, 30))

    received = dt.datetime(2026, 11, 2, 7, 30, tzinfo=ZONE)
    body = "1\t2026-11-02 07:30:00\t0\t1\t0\n"
    done = PushRequest.objects.create(
        serial_number="GEMPOL-1",
        device=devices[1],
        table="ATTLOG",
        query="SN=GEMPOL-1&table=ATTLOG&Stamp=9",
        body=body + "garbage line\n",
        received_at=received,
        remote_addr="36.66.1.2",
        outcome="processed",
        processed_at=received,
        lines_ok=1,
        lines_new=1,
        lines_bad=1,
    )
    DeviceEvent.objects.create(
        device=devices[1], at=received, kind="malformed", detail="Baris 2: garbage", request=done
    )
    PushRequest.objects.create(
        serial_number="GEMPOL-1",
        device=devices[1],
        table="OPERLOG",
        body="OPLOG 4\t0\t2026-11-02 07:31:00\n",
        received_at=received,
        outcome="failed",
        error="ValueError: bad",
        processed_at=received,
    )
    PushRequest.objects.create(
        serial_number="UNKNOWN-9", table="ATTLOG", body=body, received_at=received, outcome="unregistered"
    )


def _fill_iku(apps, kecamatan, kasi) -> None:
    model = apps.get_model
    period = model("monev", "PlanPeriod").objects.create(
        kecamatan=kecamatan, name="Renstra Kecamatan 2026-2030", start_year=2026, end_year=2030
    )
    Indicator = model("monev", "Indicator")
    manual = Indicator.objects.create(
        plan_period=period,
        code="IKM",
        name="Indeks kepuasan masyarakat",
        unit="nilai",
        source="manual",
        baseline=Decimal("78.50"),
    )
    Indicator.objects.create(
        plan_period=period,
        code="APBDES-TEPAT",
        name="Desa yang APBDes-nya tepat waktu",
        unit="persen",
        source="hitung",
        formula_key="monev.apbdes_on_time",
        sort_order=2,
    )
    model("monev", "IndicatorTarget").objects.create(
        indicator=manual, year=2026, value=Decimal("80.00"), q1=Decimal("79.00"), q4=Decimal("80.00"), note="Renstra"
    )
    model("monev", "IndicatorValue").objects.create(
        indicator=manual,
        year=2026,
        quarter=2,
        value=Decimal("81.25"),
        note="Survei TW II",
        evidence_path="iku/2026/ikm-tw2.pdf",
        evidence_name="survei.pdf",
        evidence_sha256="b" * 64,
        evidence_kind="pdf",
        entered_by=kasi,
    )


def _at(date: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(date.year, date.month, date.day, hour, tzinfo=ZONE)


# The upgrade, once for the module -----------------------------------------------------------------------


@dataclass
class Upgrade:
    filled: Filled
    schema_before: dict
    rows_before: Rows
    schema_after: dict
    rows_after: Rows


@pytest.fixture(scope="module")
def upgrade(django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), scratch_database(tmp_path_factory.mktemp("upgrade")):
        migrate_to(PREVIOUS.targets())
        old_apps = MigrationLoader(connection).project_state(PREVIOUS.targets()).apps
        with transaction.atomic():
            filled = fill(old_apps)
        schema_before, rows_before = schema_read(), rows_read()

        call_command("migrate", interactive=False, verbosity=0)  # what `docker compose run --rm migrate` runs

        yield Upgrade(filled, schema_before, rows_before, schema_read(), rows_read())


@pytest.fixture
def upgraded(upgrade, django_db_blocker):
    """Each test reads and writes the upgraded scratch database; what it writes it rolls back."""
    with django_db_blocker.unblock():
        yield upgrade


def assert_rows_kept(old: Rows, new: Rows) -> None:
    """Every row of every old table is in the new one with the same values on the columns both have; only the
    tables in ``GROWING`` may hold more."""
    gone = sorted(set(old.rows) - set(new.rows))
    assert not gone, f"tables dropped: {gone}"
    for table in old.rows:
        common = tuple(c for c in old.columns[table] if c in new.columns[table])
        before, after = old.on(table, common), new.on(table, common)
        missing = before - after
        assert not missing, f"{table}: {sum(missing.values())} rows lost or changed, e.g. {next(iter(missing))}"
        if table not in GROWING:
            extra = after - before
            assert not extra, f"{table}: {sum(extra.values())} rows appeared, e.g. {next(iter(extra))}"


# The tests -----------------------------------------------------------------------------------------------


def test_every_row_survives_the_upgrade(upgraded):
    old, new = upgraded.rows_before, upgraded.rows_after
    assert_rows_kept(old, new)
    # The data are really there (a fill that silently wrote nothing would pass the comparison above).
    counts = {table: sum(rows.values()) for table, rows in old.rows.items()}
    assert counts["attendance_punch"] == upgraded.filled.punches == 3 * 6 * 20 * 4 + 2
    assert counts["attendance_dailystatus"] == len(upgraded.filled.statuses) == 8 * 6 * 28
    expected = {
        "portal_kecamatan": 2,
        "portal_desa": 4,
        "portal_perangkat": 8,
        "portal_user": 3,
        "monev_obligation": 12,
        "monev_transition": 20,
        "monev_submission": 4,
        "monev_submissionfile": 4,
        "monev_extension": 4,
        "monev_sanction": 4,
        "portal_delivery": 4,
        "portal_deliveryattempt": 3,
        "portal_notification": 1,
        "attendance_device": 3,
        "attendance_deviceuser": 6,
        "attendance_deviceday": 3 * 6 * 20,
        "attendance_statusdirty": 1,
        "attendance_pushrequest": 3,
        "attendance_deviceevent": 1,
        "monev_planperiod": 1,
        "monev_indicator": 2,
        "monev_indicatortarget": 1,
        "monev_indicatorvalue": 1,
        "musrenbang_meeting": 1,
    }
    assert {table: counts[table] for table in expected} == expected


def test_new_columns_and_tables_hold_what_their_migrations_promise(upgraded):
    from attendance.models import DesaMonthRollup, Device
    from attendance.rollup import rebuild

    # attendance 0008: the pull prefix starts empty on every existing device.
    assert set(Device.objects.values_list("pull_prefix_records", "pull_prefix_sha256")) == {(0, "")}
    # ... and the monthly rollup is backfilled from the statuses already there: what the rollup code of today
    # sums from the same statuses, and (by hand, for one desa-month) what the statuses say.
    fields = [f.name for f in DesaMonthRollup._meta.fields if f.name not in ("id", "computed_at")]
    backfilled = sorted(DesaMonthRollup.objects.values_list(*fields))
    assert len(backfilled) == 4 * 6  # four desa with statuses, six months
    with transaction.atomic():
        rebuild()
        assert sorted(DesaMonthRollup.objects.values_list(*fields)) == backfilled
        transaction.set_rollback(True)
    desa, month = upgraded.filled.desa_ids[0], MONTHS[2]
    days = [s for s in upgraded.filled.statuses if s[0] == desa and s[1].replace(day=1) == month]
    row = DesaMonthRollup.objects.get(desa_id=desa, month=month)
    assert row.hari_kerja == sum(1 for s in days if s[2] != "L")
    assert row.tl == sum(1 for s in days if "TL" in s[3]) > 0
    assert row.tl_minutes == sum(s[4] for s in days) > 0
    assert row.present_missing == sum(1 for s in days if s[2] in ("TAM", "TAP")) > 0


def test_punches_are_partitioned_by_month_with_their_ids(upgraded):
    need_postgresql("punch partitions exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, count(*) FROM attendance_punch GROUP BY 1")
        where = dict(cursor.fetchall())
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'attendance_punch'::regclass")
        assert cursor.fetchone() is not None
    months = upgraded.filled.punch_months
    assert where == {
        **{f"attendance_punch_p{month:%Y%m}": count for month, count in months.items()},
        "attendance_punch_default": 1,  # the punch of 2000
    }


def test_guards_hold_on_the_upgraded_data(upgraded):
    from attendance.models import Device, Punch
    from attendance.store import punches_insert
    from attendance.zk.parser import RawRecord
    from portal.models import Delivery, Kecamatan, User

    need_postgresql("the database guards are PostgreSQL triggers")
    punch = Punch.objects.order_by("pk").first()
    for sql in ("UPDATE attendance_punch SET pin = 'x' WHERE id = %s", "DELETE FROM attendance_punch WHERE id = %s"):
        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [punch.pk])
    with pytest.raises(IntegrityError, match="device that does not exist"), transaction.atomic():
        Punch.objects.create(device_id=10**9, pin="1", punched_at=dt.datetime(2026, 7, 1, 7, tzinfo=ZONE))
    # The identity goes on after the highest id the copy carried.
    top = Punch.objects.order_by("-pk").values_list("pk", flat=True).first()
    with transaction.atomic():
        device = Device.objects.get(pk=upgraded.filled.device_ids[0])
        stored = punches_insert(device=device, records=[RawRecord("1", None, dt.datetime(2026, 11, 30, 7, 5), 1, 0, 0)])
        assert stored.new == 1
        assert Punch.objects.order_by("-pk").values_list("pk", flat=True).first() > top
        transaction.set_rollback(True)

    # portal 0007: deliveries check their addressees with triggers instead of foreign keys.
    kecamatan = Kecamatan.objects.get(pk=upgraded.filled.kecamatan_id)
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        Delivery.objects.create(
            event_key="x",
            kind="late",
            channel="inapp",
            recipient_id=10**9,
            kecamatan=kecamatan,
            payload={},
            next_attempt_at=dt.datetime(2026, 12, 1, tzinfo=ZONE),
        )
    delivery = Delivery.objects.order_by("pk").first()
    with pytest.raises(IntegrityError, match="never change"), transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(recipient_id=upgraded.filled.user_ids["admin"])
    with pytest.raises(IntegrityError, match="has deliveries"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM portal_user WHERE id = %s", [upgraded.filled.delivery_user_id])
    assert User.objects.filter(pk=upgraded.filled.delivery_user_id).exists()


def test_nothing_is_left_to_migrate(upgraded, capsys):
    call_command("migrate", "--check", verbosity=0)  # exits non-zero when a migration is unapplied
    call_command("makemigrations", "--check", "--dry-run", verbosity=1)  # exits non-zero when models drifted
    assert "No changes detected" in capsys.readouterr().out


def test_back_to_the_previous_release_and_forward_again(upgraded):
    """Every migration since the release can be undone (``manage.py migrate <app> <head>`` per app): the old
    schema comes back exactly, with every row; forward again gives the upgraded database back."""
    loader = MigrationLoader(connection)
    released = {node for head in PREVIOUS.targets() for node in loader.graph.forwards_plan(head)}
    since = [key for key in loader.graph.nodes if key not in released]
    irreversible = [
        (key, op.describe()) for key in since for op in loader.get_migration(*key).operations if not op.reversible
    ]
    assert not irreversible

    migrate_to(PREVIOUS.targets())
    assert schema_read() == upgraded.schema_before
    back = rows_read()
    assert set(back.rows) == set(upgraded.rows_before.rows)
    assert_rows_kept(upgraded.rows_before, back)  # and no row appeared but content types and permissions

    call_command("migrate", interactive=False, verbosity=0)
    assert schema_read() == upgraded.schema_after
    assert_rows_kept(upgraded.rows_after, rows_read())
