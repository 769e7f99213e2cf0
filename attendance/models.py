"""Fingerprint devices, their users mapped to perangkat, raw punches (the source of truth, immutable) and
sync runs."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from attendance.choices import (
    MissingPunchPolicy,
    Protocol,
    PunchKind,
    PunchSource,
    RequestState,
    RunOutcome,
    Transport,
)
from portal import files
from portal.models import Desa, Perangkat


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    # A lookup in the list of known zones, not ``ZoneInfo(value)``: that opens a file named by the value, and a
    # long or odd name fails with OSError ("File name too long") instead of a clean "unknown zone".
    if not isinstance(value, str) or value not in _known_zones():
        shown = str(value)[:60] + ("…" if len(str(value)) > 60 else "")
        raise ValidationError(
            _("Zona waktu '%(v)s' tidak dikenal (mis. Asia/Jakarta, Asia/Makassar).") % {"v": shown}, code="timezone"
        )


class Device(models.Model):
    """A ZKTeco machine in a desa office."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "desa__kecamatan"

    serial_number = models.CharField(_("nomor seri"), max_length=50, unique=True)
    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, related_name="devices")
    name = models.CharField(_("nama/lokasi"), max_length=100)
    protocol = models.CharField(_("protokol"), max_length=10, choices=Protocol, default=Protocol.PULL)
    host = models.CharField(_("alamat IP/host"), max_length=255, blank=True)
    port = models.PositiveIntegerField(
        _("port"), default=4370, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    transport = models.CharField(_("transport"), max_length=3, choices=Transport, default=Transport.TCP)
    # Write-only everywhere (API, forms) and never logged.
    comm_key = models.PositiveIntegerField(_("comm key"), null=True, blank=True)
    timezone = models.CharField(
        _("zona waktu jam mesin"), max_length=50, default="Asia/Jakarta", validators=[validate_timezone]
    )
    pull_interval_minutes = models.PositiveIntegerField(
        _("interval tarik (menit)"), default=15, validators=[MinValueValidator(1)]
    )
    enabled = models.BooleanField(_("aktif"), default=True)
    # Health, written by the pull.
    last_contact_at = models.DateTimeField(_("kontak terakhir"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("tarik berhasil terakhir"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("gagal berturut-turut"), default=0)
    last_error = models.TextField(_("galat terakhir"), blank=True)
    clock_offset_seconds = models.IntegerField(_("selisih jam mesin (detik)"), null=True, blank=True)
    records_on_device = models.PositiveIntegerField(_("rekaman di mesin"), null=True, blank=True)
    record_capacity = models.PositiveIntegerField(_("kapasitas rekaman"), null=True, blank=True)
    users_on_device = models.PositiveIntegerField(_("pengguna di mesin"), null=True, blank=True)
    # Scheduling and the per-device lock: a pull claims the device with a conditional UPDATE on
    # ``pull_lock_until`` (a lease), so two pulls of one device never overlap, across workers too.
    next_pull_at = models.DateTimeField(null=True, blank=True, db_index=True)
    pull_lock_until = models.DateTimeField(null=True, blank=True)
    # Push (ADMS): the stamps the device sent with its last stored upload, echoed back at the handshake so
    # it resumes there (the unique key makes any resend harmless), and the firmware it reported.
    push_attlog_stamp = models.CharField(max_length=32, blank=True)
    push_operlog_stamp = models.CharField(max_length=32, blank=True)
    firmware = models.CharField(_("firmware"), max_length=100, blank=True)
    # Pull: the device's log is append-only in storage order. The number of records the last stored pull
    # read and the SHA-256 of those records as the device sent them: a pull whose first records hash the
    # same stores only the tail (out-of-order punches land in the tail too); any other log (cleared, replaced,
    # another machine) is stored in full, the unique key deciding.
    pull_prefix_records = models.PositiveIntegerField(default=0)
    pull_prefix_sha256 = models.CharField(max_length=64, blank=True)
    history = HistoricalRecords(
        excluded_fields=[
            "pull_prefix_records",
            "pull_prefix_sha256",
            "push_attlog_stamp",
            "push_operlog_stamp",
            "firmware",
            "comm_key",
            "last_contact_at",
            "last_success_at",
            "consecutive_failures",
            "last_error",
            "clock_offset_seconds",
            "records_on_device",
            "users_on_device",
            "next_pull_at",
            "pull_lock_until",
        ]
    )

    class Meta:
        ordering = ["desa__kode", "name"]
        verbose_name = _("mesin absensi")
        verbose_name_plural = _("mesin absensi")

    def __str__(self) -> str:
        return f"{self.name} ({self.serial_number})"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def clean(self):
        # The admin's form; the API checks the same in its serializer. A host the server may not connect to is
        # refused here, before any connection is tried (attendance.network).
        from attendance.network import validate_device_host

        super().clean()
        if self.protocol == Protocol.PULL and not (self.host or "").strip():
            raise ValidationError({"host": _("Mesin tarik perlu alamat IP/host; mesin kirim (ADMS) tidak.")})
        try:
            validate_device_host(self.host)
        except ValidationError as exc:
            raise ValidationError({"host": exc.messages}) from None


class DeviceUser(models.Model):
    """A user enrolled on a device (its PIN), linked to a perangkat by hand or by suggestion."""

    SCOPE_DESA = "device__desa"
    SCOPE_KECAMATAN = "device__desa__kecamatan"

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="device_users")
    pin = models.CharField(_("PIN"), max_length=24)
    name = models.CharField(_("nama di mesin"), max_length=100, blank=True)
    privilege = models.PositiveSmallIntegerField(default=0)
    perangkat = models.ForeignKey(
        Perangkat, on_delete=models.PROTECT, null=True, blank=True, related_name="device_users"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["seen_at"])

    class Meta:
        ordering = ["device", "pin"]
        verbose_name = _("pengguna mesin")
        verbose_name_plural = _("pengguna mesin")
        constraints = [models.UniqueConstraint(fields=["device", "pin"], name="device_user_unique")]

    def __str__(self) -> str:
        return f"{self.device.serial_number}/{self.pin} {self.name}"


class Punch(models.Model):
    """One raw punch as the device recorded it. Never updated, never deleted; unique per device, PIN and
    time so that any number of pulls (or a push of the same punch) stores it once."""

    SCOPE_DESA = "device__desa"
    SCOPE_KECAMATAN = "device__desa__kecamatan"

    # No index of its own: the unique key starts with the device. No database constraint either: PostgreSQL
    # checks a foreign key row by row at commit, a third of a 100,000-record pull. Punches are inserted only by
    # a pull or push holding the device row, and a device with punches cannot be deleted (PROTECT, enforced
    # by Django and tested).
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="punches", db_index=False, db_constraint=False
    )
    pin = models.CharField(_("PIN"), max_length=24)
    punched_at = models.DateTimeField(_("waktu absen"))
    verify_mode = models.PositiveSmallIntegerField(_("mode verifikasi"), default=0)
    punch_state = models.PositiveSmallIntegerField(_("status absen"), default=0)
    work_code = models.PositiveIntegerField(_("kode kerja"), default=0)
    source = models.CharField(_("sumber"), max_length=10, choices=PunchSource, default=PunchSource.PULL)
    received_at = models.DateTimeField(_("diterima"), auto_now_add=True)

    class Meta:
        ordering = ["device", "punched_at"]
        verbose_name = _("absen mentah")
        verbose_name_plural = _("absen mentah")
        # One index serves both the duplicate check and every "punches of a device in a period" query: each
        # extra index on this table costs every pull about a quarter of a second per 100,000 records.
        constraints = [models.UniqueConstraint(fields=["device", "punched_at", "pin"], name="punch_unique")]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.pin} {self.punched_at:%Y-%m-%d %H:%M:%S}"


class SyncRun(models.Model):
    """One pull of one device: what it read, what was new, how it ended."""

    SCOPE_DESA = "device__desa"
    SCOPE_KECAMATAN = "device__desa__kecamatan"

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="sync_runs")
    trigger = models.CharField(max_length=20, default="beat")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    records_read = models.PositiveIntegerField(default=0)
    records_new = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    users_read = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=10, choices=RunOutcome, default=RunOutcome.RUNNING)
    error = models.TextField(blank=True)  # in words a Kasi can act on; shown in the API and on the device page
    # The technical cause behind ``error`` ("Connection refused", "timed out" …), for the portal administrator
    # only (the admin and the server log): shown to kecamatan staff, it would turn the device form into a port
    # scanner of the networks the server can reach.
    error_detail = models.TextField(_("rincian galat (administrator)"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("riwayat tarik data")
        verbose_name_plural = _("riwayat tarik data")

    def __str__(self) -> str:
        return f"{self.device} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


class DeviceAudit(models.Model):
    """Explicit admin actions on a device: setting its clock, clearing its log."""

    SCOPE_DESA = "device__desa"
    SCOPE_KECAMATAN = "device__desa__kecamatan"

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="audits")
    action = models.CharField(max_length=30)
    detail = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.device} {self.action}"


# Attendance II: working hours, leave, daily status, the Camat's review ------------------------------------


class WorkSchedule(models.Model):
    """Working hours (SOP jam kerja) as data. Without a desa it is the kecamatan's default; with a desa it is
    that desa's override. Without dates it is the base schedule; with ``valid_from``/``valid_to`` it overrides
    the base for that range (Ramadan hours). Weekdays without a ``ScheduleDay`` are days off (5- or 6-day
    week). Which one applies on a day: ``attendance.schedules.schedule_for``."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "kecamatan"
    SCOPE_INCLUDE_KECAMATAN_WIDE = True

    kecamatan = models.ForeignKey("portal.Kecamatan", on_delete=models.PROTECT, related_name="work_schedules")
    desa = models.ForeignKey(
        Desa,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_schedules",
        help_text=_("Kosong: berlaku untuk semua desa di kecamatan."),
    )
    name = models.CharField(_("nama"), max_length=100)
    valid_from = models.DateField(_("berlaku mulai"), null=True, blank=True)
    valid_to = models.DateField(_("berlaku sampai"), null=True, blank=True)
    tolerance_minutes = models.PositiveSmallIntegerField(_("toleransi terlambat (menit)"), default=0)
    arrival_before_minutes = models.PositiveSmallIntegerField(
        _("jendela datang: menit sebelum jam masuk"), default=180, validators=[MaxValueValidator(360)]
    )
    arrival_after_minutes = models.PositiveSmallIntegerField(
        _("jendela datang: menit sesudah jam masuk"), default=240, validators=[MaxValueValidator(600)]
    )
    departure_before_minutes = models.PositiveSmallIntegerField(
        _("jendela pulang: menit sebelum jam pulang"), default=240, validators=[MaxValueValidator(600)]
    )
    departure_after_minutes = models.PositiveSmallIntegerField(
        _("jendela pulang: menit sesudah jam pulang"), default=480, validators=[MaxValueValidator(720)]
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kecamatan", "desa", "valid_from"]
        verbose_name = _("jam kerja")
        verbose_name_plural = _("jam kerja")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(valid_from__isnull=True) & models.Q(valid_to__isnull=True))
                | (models.Q(valid_from__isnull=False) & models.Q(valid_to__gte=models.F("valid_from"))),
                name="schedule_range_complete",
            ),
            models.UniqueConstraint(
                fields=["kecamatan"],
                condition=models.Q(desa__isnull=True, valid_from__isnull=True),
                name="schedule_one_kecamatan_base",
            ),
            models.UniqueConstraint(
                fields=["desa"],
                condition=models.Q(desa__isnull=False, valid_from__isnull=True),
                name="schedule_one_desa_base",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScheduleDay(models.Model):
    SCOPE_DESA = "schedule__desa"
    SCOPE_KECAMATAN = "schedule__kecamatan"
    SCOPE_INCLUDE_KECAMATAN_WIDE = True

    schedule = models.ForeignKey(WorkSchedule, on_delete=models.CASCADE, related_name="days")
    weekday = models.PositiveSmallIntegerField(_("hari"), validators=[MaxValueValidator(6)])  # 0 = Monday
    start = models.TimeField(_("jam masuk"))
    end = models.TimeField(_("jam pulang"))

    class Meta:
        ordering = ["schedule", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "weekday"], name="schedule_day_unique"),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="schedule_day_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M}-{self.end:%H:%M}"


class DecidedRequest(models.Model):
    """What leave and koreksi absen share: a request about a perangkat, with an optional attachment, decided
    by the Kepala Desa or the kecamatan (``attendance.decisions``). Every decision keeps who, when and why.
    Abstract: each kind keeps its own table and adds what it is about."""

    SCOPE_DESA = "perangkat__desa"
    SCOPE_KECAMATAN = "perangkat__desa__kecamatan"
    # Each kind names it: the download name of an attachment stored without a name of its own is
    # "<stem>-<id>.<extension>".
    ATTACHMENT_STEM: str

    State = RequestState

    attachment_path = models.CharField(max_length=255, blank=True)
    attachment_name = models.CharField(_("lampiran"), max_length=255, blank=True)
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    attachment_kind = models.CharField(max_length=10, blank=True)
    state = models.CharField(_("status"), max_length=12, choices=State, default=State.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("diajukan pada"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("diputuskan pada"), null=True, blank=True)
    decision_note = models.TextField(_("catatan keputusan"), blank=True)

    class Meta:
        abstract = True

    @property
    def attachment_filename(self) -> str:
        extension = files.EXTENSIONS.get(self.attachment_kind, "")
        return self.attachment_name or f"{self.ATTACHMENT_STEM}-{self.pk}{extension}"

    def covered_days(self) -> list[dt.date]:
        """The days whose status a decision about this request changes (they are marked for recompute)."""
        raise NotImplementedError


class Leave(DecidedRequest):
    """Izin, sakit, cuti or dinas luar for a perangkat: requested by the desa, decided by the Kepala Desa or
    the kecamatan. Every decision keeps who and when; the history keeps every change."""

    ATTACHMENT_STEM = "lampiran-izin"

    class Kind(models.TextChoices):
        IZIN = "I", _("Izin")
        SAKIT = "S", _("Sakit")
        CUTI = "C", _("Cuti")
        DINAS_LUAR = "DL", _("Dinas luar")

    perangkat = models.ForeignKey(Perangkat, on_delete=models.PROTECT, related_name="leaves")
    kind = models.CharField(_("jenis"), max_length=2, choices=Kind)
    date_from = models.DateField(_("dari tanggal"))
    date_to = models.DateField(_("sampai tanggal"))
    reason = models.TextField(_("keterangan"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date_from", "-id"]
        verbose_name = _("izin/cuti")
        verbose_name_plural = _("izin/cuti")
        indexes = [models.Index(fields=["perangkat", "date_from"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(date_to__gte=models.F("date_from")), name="leave_range_ordered")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.perangkat} {self.date_from:%d/%m/%Y}–{self.date_to:%d/%m/%Y}"

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def covered_days(self) -> list[dt.date]:
        return [self.date_from + dt.timedelta(days=i) for i in range(self.days)]


class DailyStatus(models.Model):
    """The status of one perangkat on one day (``attendance.status``), recomputed whenever its inputs change.
    Derived data: it can always be rebuilt from punches, schedules, the calendar and leave."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "desa__kecamatan"

    # No single-column indexes of their own: the unique (perangkat, date) and the (desa, date) index below lead
    # with them and serve every lookup; a month's rebuild writes 141k rows at 474 desa, each index paid per row.
    perangkat = models.ForeignKey(Perangkat, on_delete=models.PROTECT, related_name="daily_statuses", db_index=False)
    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, related_name="+", db_index=False)  # per-desa grouping
    date = models.DateField(_("tanggal"))
    status = models.CharField(_("status"), max_length=4)
    codes = models.CharField(_("kode"), max_length=20, blank=True)
    arrival_at = models.DateTimeField(_("datang"), null=True, blank=True)
    departure_at = models.DateTimeField(_("pulang"), null=True, blank=True)
    late_minutes = models.PositiveIntegerField(_("menit terlambat"), default=0)
    early_minutes = models.PositiveIntegerField(_("menit pulang cepat"), default=0)
    # What a missing punch weighs under the kecamatan's "TAM = TL4, TAP = PSW4" policy (``AttendancePolicy``):
    # the length of the arrival window after the start on a TAM day, of the departure window before the end
    # on a TAP day (``attendance.status``). Stored as facts of the day; the recap applies the policy.
    missing_in_minutes = models.PositiveIntegerField(_("menit TAM"), default=0)
    missing_out_minutes = models.PositiveIntegerField(_("menit TAP"), default=0)
    # An approved koreksi absen (``PunchCorrection``) gave this day its arrival or departure.
    corrected = models.BooleanField(_("dikoreksi"), default=False)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["date", "perangkat"]
        verbose_name = _("status harian")
        verbose_name_plural = _("status harian")
        constraints = [models.UniqueConstraint(fields=["perangkat", "date"], name="daily_status_unique")]
        indexes = [models.Index(fields=["desa", "date"]), models.Index(fields=["date", "status"])]

    def __str__(self) -> str:
        return f"{self.perangkat_id} {self.date:%Y-%m-%d} {self.label}"

    @property
    def label(self) -> str:
        return self.codes.replace(" ", "/") if self.codes else self.status


class StatusDirty(models.Model):
    """(desa, day) pairs whose statuses must be recomputed: written in the same transaction as the change
    that caused it (a pull, a leave or koreksi absen decision, a PIN link, a schedule or holiday edit), and
    claimed by the recompute task with ``SELECT … FOR UPDATE SKIP LOCKED``; a crash leaves the rows for the next
    run."""

    desa = models.ForeignKey(Desa, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["desa", "date"], name="status_dirty_unique")]

    def __str__(self) -> str:
        return f"{self.desa_id} {self.date}"


class DeviceDay(models.Model):
    """The evidence a device gives about one (device-local) day, written by the pull and never judged here:

    * ``punched`` — the device holds a punch of that day (by anyone, linked PIN or not);
    * ``pulled_at`` — the latest successful pull that covered the day (a pull covers every day from the
      previous successful pull's day to its own).

    The machine *reported* a day when it holds a punch of it, or when a pull completed after that day's
    arrival window closed (``attendance.status.reported``: the window comes from the schedule in force, so
    it is judged at recompute time, not when the pull writes). A pull at 00:05 followed by silence is no
    evidence for the day. Without a report a desa's day is ND (no data), never TK."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    # A database default too: bulk loaders that write rows with COPY (bench, imports) need not name it.
    punched = models.BooleanField(default=False, db_default=False)
    pulled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "date"], name="device_day_unique")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.date}"


class ReviewNote(models.Model):
    """The Camat's or a Kasi's note on a desa's month, optionally about one perangkat."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "desa__kecamatan"

    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, related_name="attendance_notes")
    month = models.DateField(_("bulan"))  # the first day of the month
    perangkat = models.ForeignKey(Perangkat, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    text = models.TextField(_("catatan"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("catatan evaluasi absensi")
        verbose_name_plural = _("catatan evaluasi absensi")

    def __str__(self) -> str:
        return f"{self.desa_id} {self.month:%m/%Y}"


class AttendanceWarning(models.Model):
    """A teguran to a perangkat about attendance, with a PDF letter for the written levels."""

    SCOPE_DESA = "perangkat__desa"
    SCOPE_KECAMATAN = "perangkat__desa__kecamatan"

    class Level(models.TextChoices):
        LISAN = "lisan", _("Teguran lisan")
        TERTULIS_1 = "tertulis_1", _("Teguran tertulis I")
        TERTULIS_2 = "tertulis_2", _("Teguran tertulis II")

    perangkat = models.ForeignKey(Perangkat, on_delete=models.PROTECT, related_name="attendance_warnings")
    month = models.DateField(_("bulan"))
    level = models.CharField(_("tingkat"), max_length=20, choices=Level)
    letter_number = models.CharField(_("nomor surat"), max_length=100, blank=True)
    note = models.TextField(_("alasan"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("tanggal"), auto_now_add=True)
    letter_path = models.CharField(max_length=255, blank=True)
    letter_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("teguran absensi")
        verbose_name_plural = _("teguran absensi")

    def __str__(self) -> str:
        return f"{self.get_level_display()} — {self.perangkat}"


class AttendancePolicy(models.Model):
    """A kecamatan's attendance settings that are not working hours. Without a row the defaults apply."""

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "kecamatan"

    kecamatan = models.OneToOneField("portal.Kecamatan", on_delete=models.CASCADE, related_name="attendance_policy")
    missing_punch = models.CharField(
        _("absen tidak lengkap (TAM/TAP)"),
        max_length=20,
        choices=MissingPunchPolicy,
        default=MissingPunchPolicy.AS_LATE,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kebijakan absensi")
        verbose_name_plural = _("kebijakan absensi")

    def __str__(self) -> str:
        return f"{self.kecamatan} {self.get_missing_punch_display()}"


class PunchCorrection(DecidedRequest):
    """Koreksi absen: a forgotten arrival or departure punch entered by the desa and decided by the Kepala Desa
    (or the kecamatan). The raw punches never change: an approved correction is read by the daily status as
    one more punch of its kind (``attendance.status``), and the day is marked corrected."""

    ATTACHMENT_STEM = "bukti-koreksi"

    perangkat = models.ForeignKey(Perangkat, on_delete=models.PROTECT, related_name="punch_corrections")
    date = models.DateField(_("tanggal"))
    kind = models.CharField(_("absen"), max_length=3, choices=PunchKind)
    # The corrected punch as an instant (the wall time was given in the desa's zone); a departure after
    # midnight lies on the next calendar day but belongs to ``date``.
    punched_at = models.DateTimeField(_("waktu"))
    reason = models.TextField(_("alasan"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("koreksi absen")
        verbose_name_plural = _("koreksi absen")
        indexes = [models.Index(fields=["perangkat", "date"])]
        constraints = [
            # One open correction per person, day and punch: two requests sent at once cannot both stand.
            models.UniqueConstraint(
                fields=["perangkat", "date", "kind"],
                condition=models.Q(state__in=["diajukan", "disetujui"]),
                name="punch_correction_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.perangkat} {self.date:%d/%m/%Y}"

    def covered_days(self) -> list[dt.date]:
        return [self.date]  # a departure after midnight still belongs to its working day


# Attendance III: machines that call the portal (ADMS push) ----------------------------------------------


class PushRequest(models.Model):
    """One upload from a machine, stored as received (templates redacted) *before* it is parsed, in its own
    transaction: a body a parser could not read, or one from a serial not registered yet, can be replayed
    later (``attendance.push.push_replay``). Never edited except for the outcome of its processing."""

    SCOPE_DESA = "device__desa"
    SCOPE_KECAMATAN = "device__desa__kecamatan"

    class Outcome(models.TextChoices):
        STORED = "stored", _("Disimpan, belum diproses")
        PROCESSED = "processed", _("Diproses")
        UNREGISTERED = "unregistered", _("Mesin belum terdaftar")
        FAILED = "failed", _("Gagal diproses")

    serial_number = models.CharField(max_length=50, db_index=True)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, null=True, blank=True, related_name="push_requests")
    table = models.CharField(max_length=20)
    query = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=15, choices=Outcome, default=Outcome.STORED)
    processed_at = models.DateTimeField(null=True, blank=True)
    lines_ok = models.PositiveIntegerField(default=0)
    lines_new = models.PositiveIntegerField(default=0)
    lines_bad = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = _("kiriman mesin")
        verbose_name_plural = _("kiriman mesin")

    def __str__(self) -> str:
        return f"{self.serial_number} {self.table} {self.received_at:%Y-%m-%d %H:%M:%S}"


class DeviceEvent(models.Model):
    """The device's event log: operation-log lines, lines that could not be read (kept, counted, never
    silently dropped), refused uploads, registration. Shown on the device page."""

    SCOPE_DESA = "device__desa"
    SCOPE_KECAMATAN = "device__desa__kecamatan"

    class Kind(models.TextChoices):
        OPLOG = "oplog", _("Log operasi mesin")
        MALFORMED = "malformed", _("Baris tidak terbaca")
        REFUSED = "refused", _("Kiriman ditolak")
        REGISTERED = "registered", _("Didaftarkan")
        COMMAND = "command", _("Perintah")

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=12, choices=Kind)
    detail = models.TextField()
    request = models.ForeignKey(PushRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["device", "-at"])]
        verbose_name = _("peristiwa mesin")
        verbose_name_plural = _("peristiwa mesin")

    def __str__(self) -> str:
        return f"{self.device_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class DeviceCommand(models.Model):
    """A command queued for a push machine: delivered on its next ``getrequest`` (claimed there with a
    conditional UPDATE, so two polls never deliver it twice), answered through ``devicecmd``."""

    SCOPE_DESA = "device__desa"
    SCOPE_KECAMATAN = "device__desa__kecamatan"

    class Kind(models.TextChoices):
        BACKFILL = "backfill", _("Kirim ulang absen (rentang waktu)")
        INFO = "info", _("Baca info mesin")
        SET_TIME = "set_time", _("Setel jam mesin")
        RELOAD_USERS = "reload_users", _("Muat ulang pengguna")

    class State(models.TextChoices):
        QUEUED = "queued", _("Menunggu mesin")
        SENT = "sent", _("Terkirim ke mesin")
        DONE = "done", _("Berhasil")
        FAILED = "failed", _("Gagal")

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="commands")
    kind = models.CharField(max_length=15, choices=Kind)
    command = models.TextField()
    state = models.CharField(max_length=10, choices=State, default=State.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    return_code = models.IntegerField(null=True, blank=True)
    result = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["device", "state"])]
        verbose_name = _("perintah mesin")
        verbose_name_plural = _("perintah mesin")

    def __str__(self) -> str:
        return f"{self.device_id} #{self.pk} {self.kind} {self.state}"


class UnregisteredDevice(models.Model):
    """A serial that called the portal without being registered as a push machine: refused, counted, and
    listed under "mesin belum terdaftar" until the Kasi Tapem registers it (its stored uploads are then
    replayed). ``stored_bytes`` caps what an unknown caller may make the server keep."""

    serial_number = models.CharField(max_length=50, unique=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    requests = models.PositiveIntegerField(default=0)
    stored_bytes = models.PositiveIntegerField(default=0)
    last_addr = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = _("mesin belum terdaftar")
        verbose_name_plural = _("mesin belum terdaftar")

    def __str__(self) -> str:
        return self.serial_number


class DesaMonthRollup(models.Model):
    """One desa's statuses of one month, summed (the fields of ``recap.Totals``, raw: the missing-punch policy
    is applied when read). Kept by the recompute (``attendance.rollup``) in the transaction that changes the
    statuses, so the recap's 12-month trend reads one row per desa and month."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "desa__kecamatan"

    desa = models.ForeignKey(Desa, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first of the month
    hari_kerja = models.PositiveIntegerField(default=0)
    h = models.PositiveIntegerField(default=0)
    tl = models.PositiveIntegerField(default=0)
    tl_minutes = models.PositiveIntegerField(default=0)
    psw = models.PositiveIntegerField(default=0)
    psw_minutes = models.PositiveIntegerField(default=0)
    tam = models.PositiveIntegerField(default=0)
    tap = models.PositiveIntegerField(default=0)
    i = models.PositiveIntegerField(default=0)
    s = models.PositiveIntegerField(default=0)
    c = models.PositiveIntegerField(default=0)
    dl = models.PositiveIntegerField(default=0)
    tk = models.PositiveIntegerField(default=0)
    nd = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    missing_in_minutes = models.PositiveIntegerField(default=0)
    missing_out_minutes = models.PositiveIntegerField(default=0)
    present_missing = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rekap bulanan desa")
        verbose_name_plural = _("rekap bulanan desa")
        constraints = [models.UniqueConstraint(fields=["desa", "month"], name="desa_month_rollup_unique")]
        indexes = [models.Index(fields=["month", "desa"])]

    def __str__(self) -> str:
        return f"{self.desa_id} {self.month:%Y-%m}"
