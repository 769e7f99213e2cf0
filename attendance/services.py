"""The pull: one device at a time (a lease claimed with a conditional UPDATE), everything stored or nothing,
a sync-run row for every attempt, health on the device, alerts after repeated failures or a nearly full log.

A pull parses and stores only the records after the log prefix the last stored pull saw, when the device's
log still starts with it (``attendance.zk.prefix``); the prefix moves in the transaction that stores the pull."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop
from zk.exception import ZKErrorConnection, ZKErrorResponse, ZKNetworkError

from attendance import daily, dirty
from attendance.choices import RunOutcome, Transport
from attendance.models import DailyStatus, Device, DeviceAudit, DeviceUser, Punch, SyncRun
from attendance.network import HostNotAllowed
from attendance.store import punches_insert
from attendance.zk.client import DeviceRead, DeviceUnreachable, SerialMismatch, read_device
from attendance.zk.parser import ParseError, RawRecord
from attendance.zk.prefix import LogPrefix, log_split
from portal import notify, permissions
from portal.choices import Role
from portal.models import Notification, Perangkat, User

log = logging.getLogger(__name__)


@dataclass
class PullBatch:
    """What one pull stores: the records after the log's known prefix (all of them when it has none)."""

    records: list[RawRecord]
    known: int  # leading records of the log stored by an earlier pull, not parsed again
    prefix: LogPrefix  # the whole log read, remembered once its records are stored


@dataclass
class PullResult:
    outcome: str
    read: int = 0
    new: int = 0
    duplicates: int = 0
    error: str = ""
    run_id: int | None = None


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.ATTENDANCE_PULL_LEASE_SECONDS)


def device_claim(device_id: int, *, now: dt.datetime) -> bool:
    """Take the device's pull lease. Only one pull of a device runs at a time, whatever the number of workers."""
    free = Q(pull_lock_until__isnull=True) | Q(pull_lock_until__lt=now)
    return bool(Device.objects.filter(free, pk=device_id).update(pull_lock_until=now + _lease()))


# One text for every way a connection can fail before a ZKTeco machine answers (refused, timed out, unreachable,
# a service that is not a ZKTeco machine): told apart, they would make the device form a port scanner. Stored as
# is (sync runs, the device's last error), translated only where it is shown.
UNREACHABLE = gettext_noop(
    "Mesin tidak dapat dihubungi: koneksi gagal. Periksa mesin menyala dan tersambung ke jaringan, serta alamat IP, "
    "port dan TCP/UDP yang terdaftar."
)


class DeviceError(Exception):
    """A device action (set the clock, clear the log) could not talk to the device; nothing was changed. The
    message is for the user (``explain``)."""


def can_set_time(user) -> bool:
    return permissions.is_kecamatan_staff(user)


def can_clear_log(user) -> bool:
    return user.is_authenticated and (
        user.is_portal_admin or (permissions.is_kecamatan_staff(user) and user.role in (Role.CAMAT, Role.KASI_TAPEM))
    )


def error_detail(exc: BaseException) -> str:
    """The technical cause, for the server log and ``SyncRun.error_detail`` (never shown to users)."""
    cause = exc.__cause__ if isinstance(exc, DeviceUnreachable) and exc.__cause__ is not None else exc
    return f"{cause.__class__.__name__}: {cause}"[:2000]


def explain(exc: BaseException, device: Device) -> str:
    """The error in words a Kasi can act on."""
    timeout = settings.ATTENDANCE_PULL_TIMEOUT
    if isinstance(exc, DeviceUnreachable):
        return UNREACHABLE
    if isinstance(exc, HostNotAllowed):
        return str(exc)
    if isinstance(exc, SerialMismatch):
        return (
            f"Nomor seri mesin di alamat ini ({exc.found or '-'}) tidak sama dengan yang terdaftar "
            f"({device.serial_number}). Tidak ada data yang disimpan; periksa alamat IP mesin."
        )
    if isinstance(exc, ZKErrorResponse) and "Unauth" in str(exc):
        return "Comm key salah: mesin menolak kunci komunikasi. Samakan comm key di portal dengan di menu mesin."
    if isinstance(exc, ConnectionRefusedError) or "refused" in str(exc).lower():
        return f"Mesin menolak koneksi di {device.host}:{device.port}. Periksa mesin menyala dan port benar."
    if isinstance(exc, (socket.timeout, TimeoutError)) or "timed out" in str(exc).lower():
        return f"Mesin tidak menjawab dalam {timeout} detik (jaringan putus atau mesin sibuk). Akan dicoba lagi."
    if isinstance(exc, ParseError):
        return f"Data dari mesin rusak atau tidak lengkap ({exc}). Tidak ada yang disimpan; akan dicoba lagi."
    if isinstance(exc, (ZKNetworkError, ZKErrorConnection, ConnectionError, OSError)):
        return (
            f"Koneksi ke mesin terputus di tengah pengiriman data ({exc}). Tidak ada yang disimpan; akan dicoba lagi."
        )
    return f"Galat tak terduga: {exc.__class__.__name__}: {exc}"


def _backoff(failures: int, device: Device) -> dt.timedelta:
    return min(dt.timedelta(minutes=2 ** min(failures, 10)), dt.timedelta(minutes=device.pull_interval_minutes))


def device_pull(*, device_id: int, trigger: str = "beat") -> PullResult:
    now = timezone.now()
    if not device_claim(device_id, now=now):
        return PullResult(RunOutcome.SKIPPED, error="Penarikan lain untuk mesin ini sedang berjalan.")
    try:
        device = Device.objects.select_related("desa__kecamatan").get(pk=device_id)
        run = SyncRun.objects.create(device=device, trigger=trigger, started_at=now)
        try:
            data = read_device(
                host=device.host,
                port=device.port,
                udp=device.transport == Transport.UDP,
                comm_key=device.comm_key,
                timeout=settings.ATTENDANCE_PULL_TIMEOUT,
                expected_serial=device.serial_number,
            )
            batch = pull_batch(device, data)
        except Exception as exc:  # every failure ends the run cleanly; nothing was stored
            return _failed(device, run, explain(exc, device), detail=error_detail(exc))
        return _stored(device, run, data, batch)
    finally:
        Device.objects.filter(pk=device_id).update(pull_lock_until=None)


def pull_batch(device: Device, data: DeviceRead, *, trust_prefix: bool = True) -> PullBatch:
    """Parse what the pull must store. The prefix was saved with the punches it covers, and punches are never
    deleted, so records it covers are stored; ``trust_prefix=False`` parses the whole log anyway."""
    stored = LogPrefix(device.pull_prefix_records, device.pull_prefix_sha256)
    split = log_split(data.log, stored=stored, context=device.timezone, users_by_uid=data.users_by_uid)
    known = split.known if trust_prefix else 0
    return PullBatch(data.records(start=known), known, split.prefix)


def _aware(device: Device, naive: dt.datetime) -> dt.datetime:
    return naive.replace(tzinfo=device.tz)


@transaction.atomic
def _stored(device: Device, run: SyncRun, data: DeviceRead, batch: PullBatch) -> PullResult:
    """Store every new record or none (one transaction); duplicates are skipped by the unique key."""
    now = timezone.now()
    read = data.log.count
    stored = punches_insert(device=device, records=batch.records)
    new = stored.new
    _mark_days(device, stored.days, now)
    device_users_sync(device, data.users)
    offset = int((_aware(device, data.device_time) - now).total_seconds())
    Device.objects.filter(pk=device.pk).update(
        last_contact_at=now,
        last_success_at=now,
        consecutive_failures=0,
        last_error="",
        clock_offset_seconds=offset,
        records_on_device=data.record_count,
        record_capacity=data.record_capacity,
        users_on_device=data.user_count,
        next_pull_at=now + dt.timedelta(minutes=device.pull_interval_minutes),
        pull_prefix_records=batch.prefix.records,
        pull_prefix_sha256=batch.prefix.sha256,
    )
    run.finished_at, run.outcome = now, RunOutcome.SUCCESS
    run.records_read, run.records_new, run.duplicates, run.users_read = read, new, read - new, len(data.users)
    run.save()
    device_capacity_check(device, data.record_count, data.record_capacity)
    return PullResult(RunOutcome.SUCCESS, read=read, new=new, duplicates=read - new, run_id=run.pk)


def _mark_days(device: Device, new_days: set[dt.date], now: dt.datetime) -> None:
    """Evidence and recompute. The device holds punches of the days of its new punches; this pull covers every
    day since the last successful pull up to today (whether it proves a day reported depends on the day's
    arrival window, judged at recompute). Those days, and the day before each new punch's day (a departure
    after midnight), get their statuses recomputed."""
    today = now.astimezone(device.tz).date()
    since = device.last_success_at.astimezone(device.tz).date() if device.last_success_at else today
    covered = set(dirty.dates_between(min(since, today), today))
    daily.device_days_pulled(device_id=device.pk, days=covered, at=now)
    daily.device_days_punched(pairs=((device.pk, day) for day in new_days))
    days = covered | new_days | {day - daily.ONE_DAY for day in new_days}
    dirty.status_mark_dirty((device.desa_id, day) for day in days)


def device_users_sync(device: Device, users: list[tuple[str, str, int]]) -> None:
    """New PINs are added and changed names follow the device (the last entry of a PIN wins); PINs gone from
    the device stay, with their links. One read when nothing changed, whatever the number of users."""
    stored = {
        pin: (pk, name) for pk, pin, name in DeviceUser.objects.filter(device=device).values_list("pk", "pin", "name")
    }
    names = {pin: name for pin, name, _priv in users}
    fresh: dict[str, DeviceUser] = {}
    for pin, _name, priv in users:
        if pin not in stored and pin not in fresh:
            fresh[pin] = DeviceUser(device=device, pin=pin, name=names[pin], privilege=priv)
    # ignore_conflicts: a PIN added meanwhile by a push of the same device is kept as it is.
    DeviceUser.objects.bulk_create(fresh.values(), ignore_conflicts=True)
    renamed = [DeviceUser(pk=pk, name=names[pin]) for pin, (pk, name) in stored.items() if names.get(pin, name) != name]
    DeviceUser.objects.bulk_update(renamed, ["name"], batch_size=1000)


def _failed(device: Device, run: SyncRun, error: str, *, detail: str = "") -> PullResult:
    now = timezone.now()
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(consecutive_failures=F("consecutive_failures") + 1, last_error=error)
        device.refresh_from_db(fields=["consecutive_failures"])
        Device.objects.filter(pk=device.pk).update(next_pull_at=now + _backoff(device.consecutive_failures, device))
        run.finished_at, run.outcome, run.error, run.error_detail = now, RunOutcome.FAILED, error, detail
        run.save()
        if device.consecutive_failures == settings.ATTENDANCE_FAILURE_ALERT_AFTER:
            device_alert(device, f"dev:{device.pk}:down:{run.pk}", device_down_payload(device, error))
    log.warning("pull of device %s failed: %s (%s)", device.serial_number, error, detail)
    return PullResult(RunOutcome.FAILED, error=error, run_id=run.pk)


def device_capacity_check(device: Device, records: int, capacity: int) -> None:
    """A full device silently deletes its oldest punches: warn at 80 %, once per day."""
    if capacity and records >= capacity * settings.ATTENDANCE_CAPACITY_ALERT / 100:
        key = f"dev:{device.pk}:cap:{timezone.localdate():%Y%m%d}"
        device_alert(device, key, device_full_payload(device, records, capacity))


def device_down_payload(device: Device, error: str) -> dict:
    """The Kasi's notice that pulling a device keeps failing (``consecutive_failures`` in a row)."""
    title = notify.text(gettext_noop("Mesin absensi %(name)s gagal ditarik"), name=device.name)
    message = notify.text(
        gettext_noop(
            "Mesin %(name)s (Desa %(desa)s, nomor seri %(serial)s) gagal ditarik %(n)s kali berturut-turut. "
            "Galat terakhir: %(error)s"
        ),
        name=device.name,
        desa=device.desa.nama,
        serial=device.serial_number,
        n=device.consecutive_failures,
        error=gettext_lazy(error),  # UNREACHABLE is a msgid; any other error is shown as it is
    )
    return _device_payload(device, title, message)


def device_full_payload(device: Device, records: int, capacity: int) -> dict:
    """The Kasi's notice that a device's memory is nearly full (it would delete its oldest punches)."""
    title = notify.text(
        gettext_noop("Memori mesin %(name)s %(percent)s%% penuh"), name=device.name, percent=records * 100 // capacity
    )
    message = notify.text(
        gettext_noop(
            "Mesin %(name)s (Desa %(desa)s) menyimpan %(records)s dari %(capacity)s rekaman. Mesin yang penuh "
            "menghapus rekaman terlama; kosongkan log mesin setelah penarikan berhasil."
        ),
        name=device.name,
        desa=device.desa.nama,
        records=records,
        capacity=capacity,
    )
    return _device_payload(device, title, message)


def device_silent_payload(device: Device, since: dt.datetime) -> dict:
    """The Kasi's notice that a push (ADMS) machine stopped calling the server."""
    title = notify.text(gettext_noop("Mesin absensi %(name)s tidak mengirim data"), name=device.name)
    message = notify.text(
        gettext_noop(
            "Mesin %(name)s (Desa %(desa)s, nomor seri %(serial)s) tidak menghubungi server sejak %(since)s. "
            "Periksa listrik, jaringan internet kantor desa dan alamat server di menu Cloud Server mesin."
        ),
        name=device.name,
        desa=device.desa.nama,
        serial=device.serial_number,
        since=timezone.localtime(since).strftime("%d/%m/%Y %H:%M"),
    )
    return _device_payload(device, title, message)


def _device_payload(device: Device, title, message) -> dict:
    return notify.payload_build(
        title=title,
        message=message,
        url_name="attendance-device",
        args=[device.pk],
        kind="device",
        desa=device.desa.kode,
    )


def device_alert(device: Device, key: str, payload: dict) -> None:
    kasi = User.objects.filter(kecamatan_id=device.desa.kecamatan_id, role=Role.KASI_TAPEM, is_active=True)
    notify.deliveries_create(
        event_key=key,
        kind=Notification.Kind.DEVICE,
        recipients=kasi,
        kecamatan_id=device.desa.kecamatan_id,
        desa_id=device.desa_id,
        payload=payload,
    )


def devices_due(*, now: dt.datetime) -> list[int]:
    """Enabled pull devices whose next pull time has come and that no pull holds."""
    return list(
        Device.objects.filter(enabled=True, protocol="pull")
        .filter(Q(next_pull_at__isnull=True) | Q(next_pull_at__lte=now))
        .filter(Q(pull_lock_until__isnull=True) | Q(pull_lock_until__lt=now))
        .values_list("id", flat=True)
    )


@transaction.atomic
def device_user_link(*, actor: User, device_user: DeviceUser, perangkat: Perangkat | None) -> DeviceUser:
    """Link a PIN to a perangkat of the same desa. Punches are attributed through this link, so every past
    punch of the PIN belongs to the perangkat from now on."""
    from django.core.exceptions import ValidationError

    if perangkat is not None and perangkat.desa_id != device_user.device.desa_id:
        raise ValidationError({"perangkat": "Perangkat harus dari desa yang sama dengan mesin."})
    device_user.perangkat = perangkat
    device_user.linked_by, device_user.linked_at = actor, timezone.now()
    device_user.save()
    # Every day this PIN punched now belongs to someone else: recompute those days for the desa.
    zone = device_user.device.tz
    days = (
        Punch.objects.filter(device_id=device_user.device_id, pin=device_user.pin)
        .annotate(day=TruncDate("punched_at", tzinfo=zone))
        .values_list("day", flat=True)
        .order_by()  # the default ordering would put punched_at into the DISTINCT
        .distinct()
    )
    desa_id = device_user.device.desa_id
    marked = {d for day in days for d in (day, day - daily.ONE_DAY)}
    # A linked perangkat without punches is TK rather than ND on the days the machine was reporting.
    first = DailyStatus.objects.filter(desa_id=desa_id).aggregate(first=Min("date"))["first"]
    if first is not None:
        marked |= set(dirty.dates_between(first, timezone.localdate()))
    dirty.status_mark_dirty((desa_id, day) for day in marked)
    return device_user


def device_set_time(*, actor: User, device: Device) -> DeviceAudit:
    """Only on an admin's explicit request (never during a pull): set the device clock to the server's time
    in the device's zone, and keep an audit row with the offset it had."""
    from attendance.zk.client import set_device_time

    if not can_set_time(actor):
        raise PermissionDenied
    target = timezone.now().astimezone(device.tz).replace(tzinfo=None, microsecond=0)
    try:
        read_back = set_device_time(
            host=device.host,
            port=device.port,
            udp=device.transport == Transport.UDP,
            comm_key=device.comm_key,
            timeout=settings.ATTENDANCE_PULL_TIMEOUT,
            when=target,
        )
    except Exception as exc:  # the device did not answer (or not as a ZKTeco machine): its clock is unchanged
        log.warning("set-time on device %s failed: %s", device.serial_number, error_detail(exc))
        raise DeviceError(explain(exc, device)) from exc
    detail = f"Selisih sebelum: {device.clock_offset_seconds} detik; jam mesin disetel ke {target:%d/%m/%Y %H:%M:%S}."
    offset = int((read_back - target).total_seconds())
    Device.objects.filter(pk=device.pk).update(clock_offset_seconds=offset)
    return DeviceAudit.objects.create(device=device, action="set_time", detail=detail, by=actor)


class ClearRefused(Exception):
    pass


def device_clear_log(*, actor: User, device: Device) -> DeviceAudit:
    """Clear the device's attendance log — only inside a pull that has just proven every record on the device
    is stored. The device stays disabled from the read to the clear, so no punch can slip in between."""
    if not can_clear_log(actor):
        raise PermissionDenied  # before the lease and any connection
    if not device_claim(device.pk, now=timezone.now()):
        raise ClearRefused("Penarikan lain untuk mesin ini sedang berjalan; coba lagi sebentar lagi.")
    cleared: dict = {}

    def verify_then_clear(conn, data: DeviceRead) -> None:
        # Every record is parsed and checked, whatever an earlier pull stored: the log is about to go.
        batch = pull_batch(device, data, trust_prefix=False)
        run = SyncRun.objects.create(device=device, trigger="clear", started_at=timezone.now())
        _stored(device, run, data, batch)
        wanted = {(r.user_id, _aware(device, r.timestamp)) for r in batch.records}
        have = set(Punch.objects.filter(device=device).values_list("pin", "punched_at"))
        missing = wanted - have
        if missing:
            raise ClearRefused(f"{len(missing)} rekaman mesin belum tersimpan; log mesin TIDAK dikosongkan.")
        conn.clear_attendance()
        cleared["count"] = len(wanted)

    try:
        read_device(
            host=device.host,
            port=device.port,
            udp=device.transport == Transport.UDP,
            comm_key=device.comm_key,
            timeout=settings.ATTENDANCE_PULL_TIMEOUT,
            expected_serial=device.serial_number,
            before_enable=verify_then_clear,
        )
    except ClearRefused:
        raise
    except Exception as exc:  # the device did not answer or sent something unreadable: nothing was cleared
        log.warning("clear-log on device %s failed: %s", device.serial_number, error_detail(exc))
        raise DeviceError(explain(exc, device)) from exc
    finally:
        Device.objects.filter(pk=device.pk).update(pull_lock_until=None)
    Device.objects.filter(pk=device.pk).update(records_on_device=0)
    return DeviceAudit.objects.create(
        device=device,
        action="clear_log",
        by=actor,
        detail=f"{cleared['count']} rekaman dipastikan tersimpan di portal, lalu log mesin dikosongkan.",
    )
