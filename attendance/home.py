"""Attendance's part of the home page and of the desa hub (``portal.home``), read through the recap the
Camat's screens use (``attendance.recap``), so the numbers are the same."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from attendance import decisions, recap
from attendance.choices import Health, RequestState
from attendance.models import Device, Leave, PunchCorrection
from attendance.selectors import health, unregistered_devices
from portal.choices import Role
from portal.home import HEAD, Item, Section, day
from portal.models import Desa, User
from portal.scoping import restrict

# The Camat's review on the home page (and the Sekcam standing in, and an administrator).
_REVIEWERS = (Role.CAMAT, Role.SEKCAM, Role.ADMIN)

FLAG_LABELS = {
    "chronic_late": _l("Sering terlambat"),
    "tk_streak": _l("TK berturut-turut"),
    "coverage_gap": _l("Celah data mesin"),
}


def _today_text(row: recap.TodayRow) -> str:
    # The same parts as the today page, each only when there is one, out of the desa's perangkat: they add up
    # (late is not also counted on time; TAM and days off are parts too).
    parts = [
        (row.on_time, _("tepat waktu %(n)d")),
        (row.late, _("terlambat %(n)d")),
        (row.missing_in, _("TAM %(n)d")),
        (row.on_leave, _("izin %(n)d")),
        (row.absent, _("TK %(n)d")),
        (row.no_data, _("tanpa data %(n)d")),
        (row.day_off, _("libur %(n)d")),
    ]
    shown = " · ".join(text % {"n": n} for n, text in parts if n)
    return _("%(parts)s (dari %(total)d perangkat)") % {"parts": shown or "–", "total": row.perangkat}


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %".replace(".", ",")


def _requests(user: User) -> tuple[list, bool]:
    """Leave and koreksi absen still waiting, and whether the user decides them (else: waits for them)."""
    rows = []
    for model in (Leave, PunchCorrection):
        rows += list(
            restrict(model.objects.filter(state=RequestState.REQUESTED), user).select_related("perangkat__desa")
        )
    deciding = [r for r in rows if decisions.can_decide(user, r)]
    return (deciding, True) if deciding or not decisions.can_request(user) else (rows, False)


def _waiting(url_name: str) -> str:
    """The request list showing only what still waits: unfiltered, a page of requests already decided (newest
    dates first) can push the waiting one off the first page, away from its buttons."""
    return reverse(url_name) + f"?status={RequestState.REQUESTED}"


def _request_item(row) -> Item:
    if isinstance(row, Leave):
        text = _("Izin: %(who)s, %(kind)s") % {"who": row.perangkat.nama, "kind": row.get_kind_display()}
        return Item(text, _waiting("attendance-leave"), f"{day(row.date_from)}–{day(row.date_to)}")
    text = _("Koreksi absen: %(who)s, %(kind)s") % {"who": row.perangkat.nama, "kind": row.get_kind_display()}
    return Item(text, _waiting("attendance-corrections"), day(row.date))


def _month_sections(user: User, month: dt.date) -> list[Section]:
    """The month's flags and the head of its ranking, each line linking to the desa's grid of that month."""
    month_url = reverse("attendance-month") + f"?bulan={month:%Y-%m}"

    def grid(desa: Desa) -> str:
        return reverse("attendance-desa-month", args=[desa.kode]) + f"?bulan={month:%Y-%m}"

    found = recap.flags(user=user, month=month)
    ranking = recap.desa_month(user=user, month=month)
    flags = [
        Item(
            f"{f.desa.nama}: {f.perangkat.nama if f.perangkat else f.detail}",
            grid(f.desa),
            f"{FLAG_LABELS.get(f.kind, f.kind)} ({f.count})",
            "warning",
        )
        for f in found[:HEAD]
    ]
    head = [
        Item(f"{r.rank}. {r.desa.nama}", grid(r.desa), _("%% kehadiran %(rate)s") % {"rate": _rate(r.totals.rate)})
        for r in ranking[:3]
    ]
    return [
        Section(
            "attendance-flags",
            _("Tanda absensi bulan ini"),
            month_url,
            flags,
            total=len(found),
            empty=_("Tidak ada tanda bulan ini."),
            order=22,
        ),
        Section(
            "attendance-ranking",
            _("Peringkat kehadiran bulan ini"),
            month_url,
            head,
            total=len(ranking),
            empty=_("Belum ada desa dalam cakupan Anda."),
            order=23,
        ),
    ]


def home_sections(user: User, today: dt.date) -> list[Section]:
    role = Role.ADMIN if user.is_portal_admin else user.role
    sections = []
    if role in _REVIEWERS:
        month = today.replace(day=1)
        rows = recap.today(user=user, day=today)
        sections.append(
            Section(
                "attendance-today",
                _("Kehadiran hari ini per desa"),
                reverse("attendance-today"),
                [
                    Item(
                        r.desa.nama,
                        reverse("attendance-desa-month", args=[r.desa.kode]),
                        _today_text(r),
                        "danger" if r.absent or r.no_data else "",
                    )
                    for r in rows
                ],
                summary=day(today),
                empty=_("Belum ada desa dalam cakupan Anda."),
                order=20,
            )
        )
        sections += _month_sections(user, month)
    if role in _REVIEWERS or user.is_desa_user:
        rows, deciding = _requests(user)
        rows.sort(key=lambda r: r.requested_at)
        title = (
            _("Izin dan koreksi absen untuk diputuskan") if deciding else _("Izin dan koreksi absen menunggu keputusan")
        )
        sections.append(
            Section(
                "attendance-requests",
                title,
                # Only koreksi waiting: the full list is theirs, not the (empty) leave list.
                _waiting(
                    "attendance-corrections"
                    if rows and not any(isinstance(r, Leave) for r in rows)
                    else "attendance-leave"
                ),
                [_request_item(r) for r in rows[:HEAD]],
                total=len(rows),
                empty=_("Tidak ada permohonan yang menunggu."),
                order=21 if role in _REVIEWERS else 30,
            )
        )
    if role == Role.KASI_TAPEM or role == Role.ADMIN:
        sections += _unregistered_section(user)
    return sections


def _unregistered_section(user: User) -> list[Section]:
    """Machines that call the portal but are refused until someone registers them: shown only when there are."""
    callers = list(unregistered_devices(user=user)[:HEAD])
    if not callers:
        return []
    url = reverse("attendance-devices") + "#belum-terdaftar"
    items = [
        Item(
            c.serial_number,
            url,
            _("terakhir %(t)s") % {"t": timezone.localtime(c.last_seen).strftime("%d/%m/%Y %H:%M")},
        )
        for c in callers
    ]
    return [Section("attendance-unregistered", _("Mesin belum terdaftar"), url, items, order=40)]


def desa_sections(user: User, desa: Desa, today: dt.date) -> list[Section]:
    month = today.replace(day=1)
    grid = recap.desa_grid(user=user, desa=desa, month=month)
    t = grid.totals
    month_url = reverse("attendance-desa-month", args=[desa.kode]) + f"?bulan={month:%Y-%m}"
    summary = _(
        "%(month)s: %% kehadiran %(rate)s · H %(h)d · TL %(tl)d · TK %(tk)d · izin/sakit/cuti/DL %(i)d · ND %(nd)d"
    ) % {
        "month": f"{month:%m/%Y}",
        "rate": _rate(t.rate),
        "h": t.h,
        "tl": t.tl,
        "tk": t.tk,
        "i": t.i + t.s + t.c + t.dl,
        "nd": t.nd,
    }
    now = timezone.now()
    devices = []
    for device in restrict(Device.objects.filter(desa=desa), user).order_by("name"):
        state = health(device, now)
        devices.append(
            Item(
                device.name,
                reverse("attendance-device", args=[device.pk]),
                Health(state).label,
                "" if state == Health.GREEN else "warning",
            )
        )
    return [
        Section("desa-attendance", _("Absensi bulan ini"), month_url, summary=summary, order=20),
        Section(
            "desa-devices",
            _("Mesin absensi"),
            reverse("attendance-devices"),
            devices,
            empty=_("Belum ada mesin absensi."),
            order=21,
        ),
    ]
