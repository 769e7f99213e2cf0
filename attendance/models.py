"""Fingerprint devices, their users mapped to perangkat, raw punches (the source of truth, immutable) and
sync runs."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from attendance.choices import Protocol, PunchSource, RunOutcome, Transport
from portal.models import Desa, Perangkat


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Zona waktu '%(v)s' tidak dikenal (mis. Asia/Jakarta, Asia/Makassar).") % {"v": value})


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
    history = HistoricalRecords(excluded_fields=["comm_key", "last_contact_at", "last_success_at", "consecutive_failures",
                                                 "last_error", "clock_offset_seconds", "records_on_device",
                                                 "users_on_device", "next_pull_at", "pull_lock_until"])  # fmt: skip

    class Meta:
        ordering = ["desa__kode", "name"]
        verbose_name = _("mesin absensi")
        verbose_name_plural = _("mesin absensi")

    def __str__(self) -> str:
        return f"{self.name} ({self.serial_number})"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


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
    error = models.TextField(blank=True)

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
