"""Core data every app shares: the wilayah (Kecamatan, Desa), the perangkat desa and the portal's users.

Scoping: every model that belongs to a desa names the path to it in ``SCOPE_DESA`` and to its kecamatan in
``SCOPE_KECAMATAN``; ``portal.scoping.restrict`` reads these two attributes and nothing else, so adding a
model to the scoping rules is one line on the model.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.choices import DESA_ROLES, KECAMATAN_ROLES, Jabatan, JenisDesa, JenisKelamin, Role
from portal.validators import validate_kode_desa, validate_kode_kecamatan, validate_nik, validate_nipd


class Kecamatan(models.Model):
    """A sub-district office; a kabupaten install holds many."""

    SCOPE_DESA = None  # not owned by one desa: desa users see the kecamatan their desa belongs to
    SCOPE_KECAMATAN = ""

    kode = models.CharField(_("kode Kemendagri"), max_length=8, unique=True, validators=[validate_kode_kecamatan])
    nama = models.CharField(_("nama"), max_length=100)
    kabupaten = models.CharField(_("kabupaten"), max_length=100)
    provinsi = models.CharField(_("provinsi"), max_length=100, blank=True)
    alamat = models.CharField(_("alamat kantor"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kode"]
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")

    def __str__(self) -> str:
        return f"{self.nama} ({self.kode})"


class Desa(models.Model):
    SCOPE_DESA = ""
    SCOPE_KECAMATAN = "kecamatan"

    kode = models.CharField(_("kode Kemendagri"), max_length=13, unique=True, validators=[validate_kode_desa])
    nama = models.CharField(_("nama"), max_length=100)
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, related_name="desa_set")
    jenis = models.CharField(_("jenis"), max_length=10, choices=JenisDesa, default=JenisDesa.DESA)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kode"]
        verbose_name = _("desa")
        verbose_name_plural = _("desa")
        constraints = [
            models.CheckConstraint(
                condition=Q(kode__regex=r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$"), name="desa_kode_format"
            )
        ]

    def __str__(self) -> str:
        return self.nama


class Perangkat(models.Model):
    """A village official (perangkat desa) in the Permendagri 84/2015 structure."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "desa__kecamatan"

    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, related_name="perangkat_set")
    nama = models.CharField(_("nama"), max_length=150)
    nik = models.CharField(_("NIK"), max_length=16, blank=True, validators=[validate_nik])
    nipd = models.CharField(_("NIPD"), max_length=30, blank=True, validators=[validate_nipd])
    jenis_kelamin = models.CharField(_("jenis kelamin"), max_length=1, choices=JenisKelamin, blank=True)
    jabatan = models.CharField(_("jabatan"), max_length=30, choices=Jabatan)
    keterangan_jabatan = models.CharField(
        _("keterangan jabatan"), max_length=100, blank=True, help_text=_("Misalnya nama dusun untuk Kepala Dusun.")
    )
    tanggal_mulai = models.DateField(_("tanggal mulai menjabat"), null=True, blank=True)
    tanggal_selesai = models.DateField(_("tanggal selesai menjabat"), null=True, blank=True)
    aktif = models.BooleanField(_("aktif"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["desa__kode", "jabatan", "nama"]
        verbose_name = _("perangkat desa")
        verbose_name_plural = _("perangkat desa")
        indexes = [models.Index(fields=["desa", "aktif"])]
        constraints = [
            models.UniqueConstraint(fields=["nik"], condition=~Q(nik=""), name="perangkat_nik_unique"),
            models.CheckConstraint(
                condition=Q(tanggal_selesai__isnull=True)
                | Q(tanggal_mulai__isnull=True)
                | Q(tanggal_selesai__gte=models.F("tanggal_mulai")),
                name="perangkat_tanggal_urut",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nama} — {self.get_jabatan_display()}"


class User(AbstractUser):
    """A portal account. Its role decides what it may do; its kecamatan or desa decides what it sees."""

    role = models.CharField(_("peran"), max_length=20, choices=Role, blank=True)
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    phone = models.CharField(_("nomor HP/WhatsApp"), max_length=20, blank=True)
    # Printed under the signer's name on letters ("NIP. …"); accounts that never sign may leave it empty.
    nip = models.CharField(_("NIP"), max_length=30, blank=True)
    notify_email = models.BooleanField(_("pemberitahuan lewat email"), default=True)
    notify_webhook = models.BooleanField(_("pemberitahuan lewat WhatsApp/Telegram (webhook)"), default=False)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")
        constraints = [
            # The database, not only the service, refuses an account whose scope does not fit its role.
            models.CheckConstraint(
                name="user_scope_fits_role",
                condition=(
                    Q(role__in=sorted(r.value for r in DESA_ROLES), desa__isnull=False, kecamatan__isnull=False)
                    | Q(role__in=sorted(r.value for r in KECAMATAN_ROLES), desa__isnull=True, kecamatan__isnull=False)
                    | Q(role__in=[Role.ADMIN.value, ""], desa__isnull=True)
                ),
            )
        ]

    @property
    def is_desa_user(self) -> bool:
        return self.role in DESA_ROLES

    @property
    def is_kecamatan_user(self) -> bool:
        return self.role in KECAMATAN_ROLES

    @property
    def is_portal_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def scope_label(self) -> str:
        if self.is_desa_user and self.desa_id:
            return f"Desa {self.desa.nama}"
        if self.is_kecamatan_user and self.kecamatan_id:
            return f"Kecamatan {self.kecamatan.nama}"
        if self.is_portal_admin:
            return str(_("Semua wilayah"))
        return str(_("Tanpa cakupan"))


class HariLibur(models.Model):
    """A day off in the working-day calendar: national holidays and cuti bersama (seeded from the
    ``holidays`` package, editable: the government changes the list mid-year) and a kecamatan's own.

    A row with ``kecamatan`` empty applies everywhere; a kecamatan's row on the same date overrides it for
    that kecamatan. ``libur=False`` records a cancelled holiday: the date is a working day again.
    """

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "kecamatan"
    SCOPE_INCLUDE_GLOBAL = True  # rows without a kecamatan are national and visible to everyone

    class Jenis(models.TextChoices):
        NASIONAL = "nasional", _("Libur nasional")
        CUTI_BERSAMA = "cuti_bersama", _("Cuti bersama")
        LOKAL = "lokal", _("Libur lokal kecamatan")

    tanggal = models.DateField(_("tanggal"))
    nama = models.CharField(_("nama"), max_length=200)
    jenis = models.CharField(_("jenis"), max_length=20, choices=Jenis)
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.CASCADE, null=True, blank=True, related_name="hari_libur")
    libur = models.BooleanField(_("hari libur"), default=True, help_text=_("Kosongkan bila libur ini dibatalkan."))
    diubah_manual = models.BooleanField(
        _("diubah manual"), default=False, help_text=_("Baris yang diubah manual tidak ditimpa sinkronisasi.")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["tanggal"]
        verbose_name = _("hari libur")
        verbose_name_plural = _("hari libur")
        constraints = [
            models.UniqueConstraint(
                fields=["tanggal"], condition=Q(kecamatan__isnull=True), name="harilibur_unique_nasional"
            ),
            models.UniqueConstraint(
                fields=["tanggal", "kecamatan"], condition=Q(kecamatan__isnull=False), name="harilibur_unique_lokal"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tanggal:%d/%m/%Y} {self.nama}"


class HolidayYear(models.Model):
    """A year whose national holidays and cuti bersama have been taken from the ``holidays`` package.

    Its presence is the evidence that the calendar of that year is not silently empty: every computation
    over a year (deadlines, daily statuses, working-day counts) ensures the row first (``holidays_ensure``)."""

    year = models.PositiveSmallIntegerField(_("tahun"), unique=True)
    synced_at = models.DateTimeField(_("disinkronkan"), auto_now_add=True)
    count = models.PositiveSmallIntegerField(_("jumlah hari libur"), default=0)

    class Meta:
        ordering = ["year"]
        verbose_name = _("tahun kalender libur")
        verbose_name_plural = _("tahun kalender libur")

    def __str__(self) -> str:
        return str(self.year)


class SecurityEvent(models.Model):
    """The audit log of security events: logins and failures, role and scope changes, API tokens created and
    revoked, exports of personal data. Written by ``portal.security.security_event_record`` only; never
    edited (the admin shows it read-only)."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Masuk")
        LOGIN_FAILED = "login_failed", _("Gagal masuk")
        LOGOUT = "logout", _("Keluar")
        ROLE_CHANGED = "role_changed", _("Peran atau cakupan diubah")
        PASSWORD_CHANGED = "password_changed", _("Sandi diubah")
        TOKEN_CREATED = "token_created", _("Token API dibuat")
        TOKEN_REVOKED = "token_revoked", _("Token API dicabut")
        EXPORT_PERSONAL = "export_personal", _("Ekspor data pribadi")

    at = models.DateTimeField(_("waktu"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("jenis"), max_length=30, choices=Kind)
    user = models.ForeignKey(
        "portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("pengguna")
    )
    username = models.CharField(_("nama pengguna"), max_length=150, blank=True)
    actor = models.ForeignKey(
        "portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("oleh")
    )
    ip = models.GenericIPAddressField(_("alamat IP"), null=True, blank=True)
    detail = models.JSONField(_("rincian"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("peristiwa keamanan")
        verbose_name_plural = _("log keamanan")

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.get_kind_display()} {self.username}"


class WebhookEndpoint(models.Model):
    """Where webhook notifications go (a WhatsApp/Telegram gateway …): JSON POST signed with HMAC-SHA256.

    ``kecamatan`` empty = used for every kecamatan that has no endpoint of its own. Disabled, with a visible
    reason, after repeated permanent failures."""

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "kecamatan"
    SCOPE_INCLUDE_GLOBAL = True

    name = models.CharField(_("nama"), max_length=100)
    url = models.URLField(_("alamat URL"))
    secret = models.CharField(_("kunci rahasia HMAC"), max_length=200)
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.CASCADE, null=True, blank=True, related_name="webhooks")
    active = models.BooleanField(_("aktif"), default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.TextField(_("alasan dinonaktifkan"), blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhook")

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """An in-app message in one user's inbox. Created by the in-app delivery, exactly once per delivery."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Pengingat")
        LATE = "late", _("Terlambat")
        ESCALATION = "escalation", _("Eskalasi")
        RETURNED = "returned", _("Dikembalikan")
        CORRECTION = "correction", _("Batas perbaikan")
        AWAITING = "awaiting", _("Menunggu verifikasi")
        DIGEST = "digest", _("Ringkasan mingguan")
        DEVICE = "device", _("Mesin absensi")
        SYSTEM = "system", _("Sistem")  # the install itself: health incidents, a failed backup

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    delivery = models.OneToOneField("Delivery", on_delete=models.PROTECT, related_name="notification")
    kind = models.CharField(_("jenis"), max_length=20, choices=Kind)
    title = models.CharField(_("judul"), max_length=255)
    message = models.TextField(_("pesan"))
    link = models.CharField(max_length=255, blank=True)
    desa_kode = models.CharField(max_length=13, blank=True)
    document_type_code = models.CharField(max_length=40, blank=True)
    obligation_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("pemberitahuan")
        verbose_name_plural = _("pemberitahuan")
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """One message to one recipient through one channel. The unique key (event, recipient, channel) makes a
    duplicate impossible whatever the workers do; ``status`` + ``lease_until`` + ``attempts`` implement
    at-least-once sending with retry: a claim is a conditional UPDATE, a crashed claim expires."""

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "kecamatan"

    class Channel(models.TextChoices):
        INAPP = "inapp", _("Kotak masuk")
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu")
        SENDING = "sending", _("Sedang dikirim")
        SENT = "sent", _("Terkirim")
        FAILED = "failed", _("Gagal")

    event_key = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Notification.Kind)
    channel = models.CharField(max_length=10, choices=Channel)
    # No database foreign keys: PostgreSQL checks one row by row at commit, three per delivery, which was a third
    # of a deadline morning's alert pass. The same integrity is kept by the guards of migration
    # 0007_delivery_guards (one anti-join per INSERT statement; a user, desa or kecamatan with deliveries cannot be
    # deleted, and a delivery's addressees never change); PROTECT still stops a delete through Django first.
    # ``desa`` has no index: nothing reads deliveries by desa (the log is scoped by kecamatan, the inbox reads
    # notifications), and deleting a desa, the one thing that would, is a rare admin act.
    recipient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="deliveries", db_constraint=False)
    # The kecamatan whose delivery log shows it; none for an install-wide notice to the administrators (a
    # backup that failed, a worker down): that is no kecamatan's business, and only administrators see it.
    kecamatan = models.ForeignKey(
        Kecamatan, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_constraint=False
    )
    desa = models.ForeignKey(
        Desa, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_constraint=False, db_index=False
    )
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("pengiriman")
        verbose_name_plural = _("pengiriman")
        constraints = [
            models.UniqueConstraint(fields=["event_key", "recipient", "channel"], name="delivery_once_per_recipient")
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_pending_due"),
            models.Index(fields=["lease_until"], condition=Q(status="sending"), name="delivery_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.event_key} → {self.recipient_id} ({self.channel})"


class DeliveryAttempt(models.Model):
    """Every try: when, outcome, error. Kept for the log and for support."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.outcome}"
