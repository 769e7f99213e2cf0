"""Machines that call the portal (ZKTeco push / ADMS): the services behind ``/iclock/…`` and the Kasi Tapem's
commands and registrations. Punches enter the same store as a pull's (``store.punches_insert``, the same
unique key), mark the same days for recompute and leave the same evidence (``DeviceDay``), so a machine can
move between pull and push without a punch counted twice or a day judged differently.

Every upload is stored as received (templates redacted) and committed *before* it is parsed; processing is a
second step that a parser fix, or the registration of a serial that was refused, can replay."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance import adms, daily, dirty, services
from attendance.choices import Protocol, PunchSource
from attendance.models import Device, DeviceCommand, DeviceEvent, PushRequest, UnregisteredDevice
from attendance.store import punches_insert
from portal import permissions
from portal.models import Desa, User
from portal.queue import enqueue
from portal.scoping import restrict

log = logging.getLogger(__name__)

# Last contact is written at most this often (a machine polls every ``ADMS_POLL_SECONDS``), the day's
# evidence that the machine reported at most every ``EVIDENCE_STEP``.
CONTACT_STEP = dt.timedelta(seconds=20)
EVIDENCE_STEP = dt.timedelta(minutes=5)
MAX_COMMANDS_PER_POLL = 50  # the vendor server caps a reply at 200 commands / 40 kB
BACKFILL_MAX_DAYS = 400
TABLES = ("ATTLOG", "OPERLOG")


class Unregistered(Exception):
    """The serial is not a registered, enabled push machine."""


class Throttled(Exception):
    """An unregistered serial knocks too often."""


def push_device(serial: str) -> Device:
    device = (
        Device.objects.select_related("desa").filter(serial_number=serial, protocol=Protocol.PUSH, enabled=True).first()
    )
    if device is None:
        raise Unregistered(serial)
    return device


# Contact and evidence --------------------------------------------------------------------------------------


def contact_record(device: Device, *, now: dt.datetime) -> None:
    """Last contact = last request. The evidence that the machine reported today (``DeviceDay.pulled_at``,
    judged against the arrival window at recompute, exactly as a pull's) is claimed with a conditional
    UPDATE, so a machine polling every 30 s costs one write per ``EVIDENCE_STEP``, not per poll."""
    Device.objects.filter(pk=device.pk).filter(
        Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=now - CONTACT_STEP)
    ).update(last_contact_at=now)
    claimed = (
        Device.objects.filter(pk=device.pk)
        .filter(Q(last_success_at__isnull=True) | Q(last_success_at__lt=now - EVIDENCE_STEP))
        .update(last_success_at=now, consecutive_failures=0, last_error="")
    )
    if claimed:
        today = now.astimezone(device.tz).date()
        with transaction.atomic():
            daily.device_days_pulled(device_id=device.pk, days=[today], at=now)
            dirty.status_mark_dirty([(device.desa_id, today)])


def _mark_punch_days(device: Device, days: set[dt.date]) -> None:
    """The device holds punches of these days; they and the day before each (a departure after midnight)
    are recomputed — the same rule as a pull's."""
    if not days:
        return
    daily.device_days_punched(pairs=((device.pk, day) for day in days))
    dirty.status_mark_dirty((device.desa_id, day) for day in days | {day - daily.ONE_DAY for day in days})


# Uploads ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    serial: str
    table: str
    query: str
    body: str
    remote_addr: str | None
    user_agent: str = ""


def upload_store(upload: Upload, device: Device | None, *, now: dt.datetime) -> PushRequest:
    """Keep the body as received (templates redacted), committed on its own before anything parses it."""
    outcome = PushRequest.Outcome.STORED if device else PushRequest.Outcome.UNREGISTERED
    with transaction.atomic():
        return PushRequest.objects.create(
            serial_number=upload.serial,
            device=device,
            table=upload.table[:20],
            query=upload.query[:500],
            body=adms.redact_templates(upload.body),
            received_at=now,
            remote_addr=upload.remote_addr,
            outcome=outcome,
        )


def upload_receive(upload: Upload, *, now: dt.datetime | None = None) -> int:
    """An upload from a registered machine: store it, process it, answer how many lines were handled (the
    device moves past them). Raises ``Unregistered`` (after keeping the body, within limits)."""
    now = now or timezone.now()
    try:
        device = push_device(upload.serial)
    except Unregistered:
        unregistered_knock(upload, now=now)
        raise
    contact_record(device, now=now)
    if upload.table not in TABLES:
        # ATTPHOTO, BIODATA, options …: nothing the portal uses; acknowledged so the machine moves on.
        return len(upload.body.splitlines())
    request = upload_store(upload, device, now=now)
    processed = upload_process(request.pk)
    if processed.outcome == PushRequest.Outcome.FAILED:
        raise RuntimeError(processed.error)
    return processed.lines_ok + processed.lines_bad


def oversized_note(serial: str, declared: str) -> None:
    """A registered machine sent more than ``ADMS_MAX_BODY_BYTES``: refused (413), and said on its page, since the
    machine will keep those punches until its batches are made smaller (or a backfill asks for less)."""
    device = Device.objects.filter(serial_number=serial, protocol=Protocol.PUSH).first()
    if device is not None:
        DeviceEvent.objects.create(
            device=device,
            kind=DeviceEvent.Kind.REFUSED,
            detail=_("Kiriman %(size)s bita ditolak: lebih dari batas %(limit)s bita.")
            % {"size": declared or "?", "limit": settings.ADMS_MAX_BODY_BYTES},
        )


def upload_process(request_id: int) -> PushRequest:
    """Parse a stored upload and take it in, all or nothing; a failure is recorded on the request (which stays
    for a replay) instead of being raised."""
    request = PushRequest.objects.select_related("device__desa").get(pk=request_id)
    try:
        with transaction.atomic():
            _take_in(request)
    except Exception as exc:  # a crash in one upload must not lose it: it is kept, marked, and answered 500
        log.exception("push upload %s of %s failed", request.pk, request.serial_number)
        PushRequest.objects.filter(pk=request.pk).update(
            outcome=PushRequest.Outcome.FAILED, processed_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"
        )
        request.refresh_from_db()
    return request


COMMAND_RESULTS = "devicecmd"  # the table name a kept ``/iclock/devicecmd`` body is stored under


def _take_in(request: PushRequest) -> None:
    device = request.device
    if request.table == COMMAND_RESULTS:
        # Finishing a command is a conditional UPDATE on its sent state: taking the answers in again is harmless.
        results, bad = adms.parse_command_results(request.body)
        for result in results:
            _command_finish(device, result, request.received_at)
        ok, new, stamp_field, stamp = len(results), 0, "", ""
    elif request.table == "ATTLOG":
        batch = adms.parse_attlog(request.body)
        stored = punches_insert(device=device, records=batch.records, source=PunchSource.PUSH)
        _mark_punch_days(device, stored.days)
        ok, new, bad = len(batch.records), stored.new, batch.bad
        stamp_field, stamp = "push_attlog_stamp", _query_value(request.query, "Stamp")
    else:
        batch = adms.parse_operlog(request.body)
        services.device_users_sync(device, batch.users)
        DeviceEvent.objects.bulk_create(
            [
                DeviceEvent(device=device, kind=DeviceEvent.Kind.OPLOG, detail=line, request=request)
                for line in batch.events
            ]
        )
        ok, new, bad = len(batch.users) + len(batch.events) + batch.templates, len(batch.users), batch.bad
        stamp_field = "push_operlog_stamp"
        stamp = _query_value(request.query, "OpStamp") or _query_value(request.query, "Stamp")
    _keep_bad_lines(device, request, bad)
    if stamp:
        Device.objects.filter(pk=device.pk).update(**{stamp_field: stamp[:32]})
    request.outcome, request.processed_at = PushRequest.Outcome.PROCESSED, timezone.now()
    request.lines_ok, request.lines_new, request.lines_bad, request.error = ok, new, len(bad), ""
    request.save(update_fields=["outcome", "processed_at", "lines_ok", "lines_new", "lines_bad", "error"])


def _keep_bad_lines(device: Device, request: PushRequest, bad: list[adms.BadLine]) -> None:
    DeviceEvent.objects.bulk_create(
        [
            DeviceEvent(
                device=device,
                kind=DeviceEvent.Kind.MALFORMED,
                detail=_("Baris %(n)s (%(table)s): %(reason)s — %(text)s")
                % {"n": line.number, "table": request.table, "reason": line.reason, "text": line.text},
                request=request,
            )
            for line in bad
        ]
    )


def _query_value(query: str, key: str) -> str:
    from urllib.parse import parse_qs

    values = parse_qs(query, keep_blank_values=True).get(key)
    return values[0] if values else ""


# Unregistered serials --------------------------------------------------------------------------------------


def unregistered_knock(upload: Upload, *, now: dt.datetime) -> None:
    """Count a call from a serial that is not a registered push machine, and keep its punches (replayed when
    it is registered) within ``ADMS_UNREGISTERED_KEEP_BYTES`` per serial and ``…_MAX_SERIALS`` serials. Raises
    ``Throttled`` past ``ADMS_UNREGISTERED_PER_MINUTE`` calls a minute (nothing stored then)."""
    key = f"adms:knock:{upload.serial}:{now:%Y%m%d%H%M}"
    cache.add(key, 0, timeout=120)
    if cache.incr(key) > settings.ADMS_UNREGISTERED_PER_MINUTE:
        raise Throttled(upload.serial)
    row = UnregisteredDevice.objects.filter(serial_number=upload.serial).first()
    if row is None:
        if UnregisteredDevice.objects.count() >= settings.ADMS_UNREGISTERED_MAX_SERIALS:
            return  # a flood of invented serials: refused without a trace beyond the server log
        row, _created = UnregisteredDevice.objects.get_or_create(
            serial_number=upload.serial, defaults={"first_seen": now, "last_seen": now}
        )
    size = len(upload.body.encode())
    keep = upload.table in TABLES and size > 0
    # The byte budget is claimed with a conditional UPDATE: two uploads at once never both squeeze past it.
    if keep:
        keep = bool(
            UnregisteredDevice.objects.filter(
                pk=row.pk, stored_bytes__lte=settings.ADMS_UNREGISTERED_KEEP_BYTES - size
            ).update(stored_bytes=F("stored_bytes") + size)
        )
    UnregisteredDevice.objects.filter(pk=row.pk).update(
        last_seen=now,
        requests=F("requests") + 1,
        last_addr=upload.remote_addr,
        user_agent=upload.user_agent[:200],
    )
    if keep:
        upload_store(upload, None, now=now)


def device_register_push(*, actor: User, serial: str, desa: Desa, name: str) -> Device:
    """Register a serial that called as a push machine of ``desa`` (or switch a registered pull machine to
    push), then take in the uploads kept while it was refused."""
    if not permissions.is_kecamatan_staff(actor):
        raise PermissionDenied
    if not restrict(Desa.objects.filter(pk=desa.pk), actor).exists():
        raise PermissionDenied
    serial = serial.strip()
    if not serial:
        raise ValidationError({"serial_number": _("Nomor seri wajib diisi.")})
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(serial_number=serial).first()
        if device is not None and device.desa_id != desa.pk:
            raise ValidationError(
                {
                    "desa": _("Mesin %(sn)s sudah terdaftar di desa lain (%(desa)s).")
                    % {"sn": serial, "desa": device.desa}
                }
            )
        if device is None:
            device = Device(serial_number=serial, desa=desa, name=name.strip() or serial, protocol=Protocol.PUSH)
            device.full_clean()
            device.save()
            detail = _("Didaftarkan sebagai mesin kirim (ADMS) oleh %(who)s.")
        else:
            # The same device row, so the same unique key: punches already pulled are never stored twice.
            Device.objects.filter(pk=device.pk).update(protocol=Protocol.PUSH, enabled=True, pull_lock_until=None)
            detail = _("Dialihkan dari tarik ke kirim (ADMS) oleh %(who)s.")
        DeviceEvent.objects.create(
            device=device, kind=DeviceEvent.Kind.REGISTERED, detail=detail % {"who": actor.get_full_name() or actor}
        )
        UnregisteredDevice.objects.filter(serial_number=serial).delete()
        enqueue("workers.tasks.push_replay_task", device.pk)
    device.refresh_from_db()
    return device


def push_replay(device_id: int) -> int:
    """Take in, oldest first, the uploads kept for this machine's serial while it was not registered, and
    any that failed before (after a parser fix). Returns how many were processed."""
    device = Device.objects.get(pk=device_id)
    PushRequest.objects.filter(serial_number=device.serial_number, device__isnull=True).update(
        device=device, outcome=PushRequest.Outcome.STORED
    )
    waiting = PushRequest.objects.filter(
        device=device, outcome__in=[PushRequest.Outcome.STORED, PushRequest.Outcome.FAILED]
    ).order_by("received_at", "pk")
    done = 0
    for request_id in waiting.values_list("pk", flat=True):
        # Claimed one by one, so two replays at once never process an upload twice.
        claimed = PushRequest.objects.filter(
            pk=request_id, outcome__in=[PushRequest.Outcome.STORED, PushRequest.Outcome.FAILED]
        ).update(outcome=PushRequest.Outcome.STORED, error="")
        if claimed:
            upload_process(request_id)
            done += 1
    return done


# Commands --------------------------------------------------------------------------------------------------


def can_command(user: User, kind: str) -> bool:
    if kind == DeviceCommand.Kind.SET_TIME:
        return services.can_set_time(user)
    return permissions.is_kecamatan_staff(user)


def device_command_queue(
    *, actor: User, device: Device, kind: str, start: dt.date | None = None, end: dt.date | None = None
) -> DeviceCommand:
    """Queue a command for a push machine's next poll. A backfill covers whole local days ``start``–``end``."""
    if not can_command(actor, kind):
        raise PermissionDenied
    if device.protocol != Protocol.PUSH:
        raise ValidationError(_("Perintah hanya untuk mesin kirim (ADMS); mesin tarik dihubungi langsung."))
    text = _command_text(device, kind, start, end)
    command = DeviceCommand.objects.create(device=device, kind=kind, command=text, created_by=actor)
    DeviceEvent.objects.create(
        device=device,
        kind=DeviceEvent.Kind.COMMAND,
        detail=_("Perintah #%(id)s diantrekan: %(kind)s.") % {"id": command.pk, "kind": command.get_kind_display()},
    )
    return command


def _command_text(device: Device, kind: str, start: dt.date | None, end: dt.date | None) -> str:
    if kind == DeviceCommand.Kind.BACKFILL:
        if start is None or end is None or end < start:
            raise ValidationError(_("Rentang tanggal tidak sah: tanggal akhir sebelum tanggal awal."))
        if (end - start).days > BACKFILL_MAX_DAYS:
            raise ValidationError(_("Rentang paling panjang %(n)s hari.") % {"n": BACKFILL_MAX_DAYS})
        return adms.backfill_command(
            dt.datetime.combine(start, dt.time(0)), dt.datetime.combine(end, dt.time(23, 59, 59))
        )
    if kind == DeviceCommand.Kind.INFO:
        return "INFO"
    if kind == DeviceCommand.Kind.RELOAD_USERS:
        return "DATA QUERY USERINFO"
    if kind == DeviceCommand.Kind.SET_TIME:
        # Firmware that ignores it still syncs from the ``Date`` header of every answer.
        return adms.set_time_command(timezone.now().astimezone(device.tz).replace(tzinfo=None))
    raise ValidationError(_("Jenis perintah tidak dikenal."))


def commands_deliver(device: Device, *, now: dt.datetime) -> list[tuple[int, str]]:
    """The queued commands for this poll, claimed under a row lock (SKIP LOCKED) so a second poll at the same
    moment never delivers one twice."""
    with transaction.atomic():
        rows = list(
            DeviceCommand.objects.select_for_update(skip_locked=True)
            .filter(device=device, state=DeviceCommand.State.QUEUED)
            .order_by("pk")[:MAX_COMMANDS_PER_POLL]
        )
        if rows:
            DeviceCommand.objects.filter(pk__in=[r.pk for r in rows]).update(
                state=DeviceCommand.State.SENT, sent_at=now
            )
    return [(r.pk, r.command) for r in rows]


def command_results_receive(device: Device, body: str, *, now: dt.datetime) -> int:
    """A machine's answers to its commands. A body with lines that do not parse is kept like any upload and
    taken in from there (answers and bad lines together, ``_take_in``), so it ends processed, or failed and
    replayable as command answers — never left waiting for a replay that would read it as another table."""
    results, bad = adms.parse_command_results(body)
    if not bad:
        with transaction.atomic():
            for result in results:
                _command_finish(device, result, now)
        return len(results)
    request = upload_store(Upload(device.serial_number, COMMAND_RESULTS, "", body, None), device, now=now)
    processed = upload_process(request.pk)
    if processed.outcome == PushRequest.Outcome.FAILED:
        raise RuntimeError(processed.error)
    return len(results)


def _command_finish(device: Device, result: adms.CommandResult, now: dt.datetime) -> None:
    text = "\n".join(f"{k}={v}" for k, v in result.info.items())
    DeviceCommand.objects.filter(
        device=device, pk=result.command_id, state__in=[DeviceCommand.State.SENT, DeviceCommand.State.QUEUED]
    ).update(
        state=DeviceCommand.State.DONE if result.return_code == 0 else DeviceCommand.State.FAILED,
        return_code=result.return_code,
        result=text[:5000],
        finished_at=now,
    )
    if result.info:
        info_apply(device, result.info)


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def info_apply(device: Device, info: dict[str, str]) -> None:
    """What an INFO answer (or a poll's ``INFO=`` list) says about the machine: firmware, users, records and
    the log's capacity — the same fields a pull fills, so the capacity alert works for push machines too."""
    fields = {}
    if info.get("FWVersion"):
        fields["firmware"] = info["FWVersion"][:100]
    for key, field in (
        ("UserCount", "users_on_device"),
        ("AttCount", "records_on_device"),
        ("TransactionCount", "records_on_device"),
        ("MaxAttLogCount", "record_capacity"),
    ):
        number = _number(info.get(key))
        if number is not None:
            fields[field] = number
    if fields:
        Device.objects.filter(pk=device.pk).update(**fields)
        device.refresh_from_db(fields=list(fields))
    if device.records_on_device is not None and device.record_capacity:
        services.device_capacity_check(device, device.records_on_device, device.record_capacity)


def poll_info(value: str) -> dict[str, str]:
    """A poll's ``INFO=FWVersion,UserCount,FPCount,AttCount,IP,…`` as named fields."""
    names = ("FWVersion", "UserCount", "FPCount", "AttCount", "IPAddress")
    return {name: part.strip() for name, part in zip(names, value.split(","), strict=False) if part.strip()}


# A machine that stopped calling ----------------------------------------------------------------------------


def silent_push_devices_alert(*, now: dt.datetime | None = None) -> int:
    """A push machine cannot fail a pull: it falls silent. One alert per silence, like a pull device's
    failures (the event key carries the last contact, so the next silence alerts again)."""
    now = now or timezone.now()
    count = 0
    for device in Device.objects.filter(
        protocol=Protocol.PUSH, enabled=True, last_contact_at__isnull=False
    ).select_related("desa__kecamatan"):
        limit = dt.timedelta(minutes=3 * device.pull_interval_minutes)
        if now - device.last_contact_at <= limit:
            continue
        key = f"dev:{device.pk}:silent:{device.last_contact_at:%Y%m%d%H%M%S}"
        services.device_alert(device, key, services.device_silent_payload(device, device.last_contact_at))
        count += 1
    return count


# Retention -------------------------------------------------------------------------------------------------

PRUNE_BATCH = 5000

# One statement: pick the oldest processed uploads past the cut-off (SKIP LOCKED: two runs take different rows,
# none waits), delete them with the condition repeated, and unlink the machine events that named them (the
# event, with its text, stays: ``DeviceEvent.request`` is SET_NULL; the foreign key is checked at commit, when
# the link is already gone). Stored, failed and unregistered uploads are never picked: they wait for a replay.
_PRUNE_POSTGRESQL = """
WITH picked AS (
    SELECT id FROM {requests}
    WHERE outcome = %(processed)s AND received_at < %(cutoff)s
    ORDER BY received_at LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), gone AS (
    DELETE FROM {requests}
    WHERE id IN (SELECT id FROM picked) AND outcome = %(processed)s AND received_at < %(cutoff)s
    RETURNING id
), unlinked AS (
    UPDATE {events} SET request_id = NULL WHERE request_id IN (SELECT id FROM gone)
)
SELECT count(*) FROM gone
"""


def push_requests_prune(
    *, now: dt.datetime | None = None, keep_days: int | None = None, limit: int | None = None
) -> int:
    """Delete one batch of uploads processed more than ``PUSH_REQUEST_KEEP_DAYS`` ago (their punches, users
    and events are stored; the raw body was kept for a replay that a processed upload never needs). A full
    batch enqueues the task again after this commit, so a first run over a year of uploads is many short runs,
    not one long one. Returns how many were deleted; running it again when nothing is due deletes nothing."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.PUSH_REQUEST_KEEP_DAYS if keep_days is None else keep_days)
    limit = limit or PRUNE_BATCH
    with transaction.atomic():
        deleted = _prune_batch(cutoff, limit)
        if deleted >= limit:
            enqueue("workers.tasks.push_requests_prune_task")
    return deleted


def _prune_batch(cutoff: dt.datetime, limit: int) -> int:
    requests, events = PushRequest._meta.db_table, DeviceEvent._meta.db_table
    processed = PushRequest.Outcome.PROCESSED
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = _PRUNE_POSTGRESQL.format(requests=requests, events=events)
            cursor.execute(sql, {"processed": processed, "cutoff": cutoff, "limit": limit})
            return cursor.fetchone()[0]
        # SQLite: the transaction holds the database's one write lock from its start (IMMEDIATE), so both
        # statements pick the same rows.
        picked = (
            f"SELECT id FROM {requests} WHERE outcome = %s AND received_at < %s "  # noqa: S608  (our tables)
            "ORDER BY received_at LIMIT %s"
        )
        params = [processed, connection.ops.adapt_datetimefield_value(cutoff), limit]
        cursor.execute(f"UPDATE {events} SET request_id = NULL WHERE request_id IN ({picked})", params)  # noqa: S608
        cursor.execute(f"DELETE FROM {requests} WHERE id IN ({picked})", params)  # noqa: S608
        return cursor.rowcount
