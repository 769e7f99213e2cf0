"""The load test's database side, run by ``bench/bench_load.py`` in a subprocess with the load stack's own
settings (``bench.load.settings``) and database, never in the bench process:

    python -m bench.load.stack build             migrate, ``load_demo``, then the load's accounts and machines
    python -m bench.load.stack prepare OUT.json  sessions for the load's users, and what locust needs to know
    python -m bench.load.stack verify SINCE      after the run: what the machines stored, what the worker did

Accounts sign in through sessions created here (what a login stores), not through the login form: 67 logins
from one address in a minute are exactly what ``AUTH_RATE_PER_MINUTE`` and django-axes exist to refuse, and the
load must not weaken either. The load's kecamatan accounts have no usable password for the same reason."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

import django

LOAD_BACKEND = "django.contrib.auth.backends.ModelBackend"


def build() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", verbosity=0)
    seed()


def seed() -> None:
    """The accounts and machines of the load, beside the Pucuk demo: 50 kecamatan staff (every kecamatan role
    in turn), 200 push machines spread over the 17 desa with the desa's perangkat enrolled (PIN 1…), and the
    demo's pull machines disabled (no emulated fleet runs during the load: their failing pulls would be the
    worker's work instead of the load's)."""
    from django.db import transaction
    from simple_history.utils import bulk_create_with_history

    from attendance.choices import Protocol
    from attendance.models import Device, DeviceUser
    from bench.load import scenario
    from portal.choices import KECAMATAN_ROLES
    from portal.models import Desa, Kecamatan, Perangkat, User

    roles = sorted(KECAMATAN_ROLES)
    kecamatan = Kecamatan.objects.get(kode="35.24.13")
    desas = list(Desa.objects.filter(kecamatan=kecamatan).order_by("kode"))
    with transaction.atomic():
        users = []
        for n in range(1, scenario.KECAMATAN_USERS + 1):
            user = User(
                username=scenario.KECAMATAN_USERNAME.format(n),
                role=roles[(n - 1) % len(roles)],
                kecamatan=kecamatan,
                first_name="Beban",
                last_name=f"{n:02d}",
                notify_email=False,
            )
            user.set_unusable_password()
            user.full_clean()
            users.append(user)
        User.objects.bulk_create(users)
        Device.objects.filter(protocol=Protocol.PULL).update(enabled=False)
        devices = []
        for n in range(1, scenario.PUSH_DEVICES + 1):
            device = Device(
                serial_number=scenario.DEVICE_SERIAL.format(n),
                desa=desas[(n - 1) % len(desas)],
                name=f"Mesin beban {n}",
                protocol=Protocol.PUSH,
                host="",
                pull_interval_minutes=5,
            )
            device.full_clean()
            devices.append(device)
        devices = bulk_create_with_history(devices, Device)
        devices = list(Device.objects.filter(serial_number__startswith="BEBAN").order_by("serial_number"))
        people = {d.pk: list(Perangkat.objects.filter(desa=d, aktif=True).order_by("pk")[:9]) for d in desas}
        enrolled = [
            DeviceUser(device=device, pin=str(pin), name=person.nama[:24], perangkat=person)
            for device in devices
            for pin, person in enumerate(people[device.desa_id], start=1)
        ]
        bulk_create_with_history(enrolled, DeviceUser)


def _session(user) -> str:
    """A signed-in session, as ``django.contrib.auth.login`` stores it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = LOAD_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _baseline() -> str:
    """``/healthz`` when the portal has it, else the login page (a page without a session or a query)."""
    from django.urls import Resolver404, resolve

    from bench.load import scenario

    for path in (scenario.BASELINE_HEALTHZ, scenario.BASELINE_HEALTHZ + "/"):
        try:
            resolve(path)
        except Resolver404:
            continue
        return path
    return scenario.BASELINE_LOGIN


def prepare(out: str) -> None:
    from django.conf import settings
    from django.db.models import Q

    from attendance.models import Device, DeviceUser
    from bench.load import scenario
    from monev.choices import Responsible, RuleKind
    from monev.models import Obligation
    from monev.rules import CLOSED
    from portal.choices import Role
    from portal.models import User

    kecamatan_users = User.objects.filter(username__startswith="beban.kec").order_by("username")
    operators = (
        User.objects.filter(role=Role.OPERATOR_DESA, desa__kecamatan__kode="35.24.13")
        .select_related("desa")
        .order_by("desa__kode")
    )
    open_obligations = (
        Obligation.objects.exclude(state__in=CLOSED)
        .exclude(document_type__outcome_required=True)
        .exclude(document_type__responsible=Responsible.KECAMATAN)
        .exclude(Q(trigger_date__isnull=True) & Q(document_type__rule_kind=RuleKind.OFFSET))
        .order_by("year", "pk")
    )
    operator_rows = []
    for user in operators:
        ids = list(open_obligations.filter(desa=user.desa).values_list("pk", flat=True)[:12])
        if not ids:
            raise SystemExit(f"desa {user.desa.kode} has no open obligation an operator can hand in")
        operator_rows.append({"username": user.username, "session": _session(user), "obligations": ids})
    pins = {}
    for serial, pin in DeviceUser.objects.filter(device__serial_number__startswith="BEBAN").values_list(
        "device__serial_number", "pin"
    ):
        pins.setdefault(serial, []).append(pin)
    devices = [
        {"serial": serial, "pins": sorted(pins[serial], key=int)}
        for serial in Device.objects.filter(serial_number__startswith="BEBAN")
        .order_by("serial_number")
        .values_list("serial_number", flat=True)
    ]
    data = {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "baseline": _baseline(),
        "desa": sorted({u.desa.kode for u in operators}),
        "kecamatan": [{"username": u.username, "session": _session(u)} for u in kecamatan_users],
        "operators": operator_rows,
        "devices": devices,
    }
    if len(data["kecamatan"]) < scenario.KECAMATAN_USERS or len(devices) < scenario.PUSH_DEVICES:
        raise SystemExit("the load's accounts or machines are missing: rebuild the template")
    with open(out, "w", encoding="utf-8") as stream:
        json.dump(data, stream)


def verify(since: str, wait: float) -> None:
    """What the push machines left and whether the worker took it up, as JSON on stdout. Waits (at most
    ``wait`` seconds) for the worker to recompute every (desa, day) the punches marked dirty."""
    from django.db.models import Count, Q, Sum
    from django.utils import timezone

    from attendance.models import DailyStatus, Device, Punch, PushRequest, StatusDirty
    from monev.models import Submission
    from portal.health import heartbeat_last

    start = dt.datetime.fromisoformat(since)
    deadline = time.monotonic() + wait
    while StatusDirty.objects.exists() and time.monotonic() < deadline:
        time.sleep(1)
    load = PushRequest.objects.filter(serial_number__startswith="BEBAN", table="ATTLOG")
    outcomes = dict(load.values_list("outcome").annotate(n=Count("pk")))
    lines = load.aggregate(ok=Sum("lines_ok"), new=Sum("lines_new"), bad=Sum("lines_bad"))
    today = timezone.localdate()
    statuses = DailyStatus.objects.filter(computed_at__gte=start, date=today)
    heartbeat = heartbeat_last()
    result = {
        "attlog_requests": load.count(),
        "outcomes": outcomes,
        "lines_ok": lines["ok"] or 0,
        "lines_new": lines["new"] or 0,
        "lines_bad": lines["bad"] or 0,
        "punches": Punch.objects.filter(device__serial_number__startswith="BEBAN").count(),
        "devices_seen": Device.objects.filter(serial_number__startswith="BEBAN", last_contact_at__gte=start).count(),
        "dirty_left": StatusDirty.objects.count(),
        "statuses_today": statuses.count(),
        "desa_recomputed": statuses.values("desa").distinct().count(),
        "statuses_from_punches": statuses.filter(Q(arrival_at__isnull=False) | Q(departure_at__isnull=False)).count(),
        "heartbeat": heartbeat.isoformat() if heartbeat else None,
        "heartbeat_fresh": bool(heartbeat and heartbeat >= start),
        "submissions": Submission.objects.filter(submitted_at__gte=start).count(),
    }
    json.dump(result, sys.stdout)


def main(argv: list[str]) -> None:
    django.setup()
    command, *rest = argv
    if command == "build":
        build()
    elif command == "prepare":
        prepare(rest[0])
    elif command == "verify":
        verify(rest[0], float(rest[1]) if len(rest) > 1 else 60.0)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
