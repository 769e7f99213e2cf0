"""Working hours (SOP jam kerja): saved by kecamatan staff, validated so that every punch falls in one
window only, and every change recomputes the days it touches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from attendance import dirty
from attendance.choices import MissingPunchPolicy
from attendance.models import AttendancePolicy, DailyStatus, ScheduleDay, WorkSchedule
from attendance.status import DayRule
from portal import permissions
from portal.models import Desa, Kecamatan, User
from portal.scoping import in_scope
from portal.validators import validate_business_date

WEEKDAYS = [_l("Senin"), _l("Selasa"), _l("Rabu"), _l("Kamis"), _l("Jumat"), _l("Sabtu"), _l("Minggu")]
LATEST_DEPARTURE = 30 * 60  # a departure window may run to 06:00 the next morning, not into the next arrival


T = dt.time


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule's rules, detached from the database (the built-in default has no row)."""

    days: dict[int, tuple[dt.time, dt.time]]
    tolerance: int = 0
    arrival_before: int = 180
    arrival_after: int = 240
    departure_before: int = 240
    departure_after: int = 480
    name: str = "Bawaan"
    schedule_id: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    desa_id: int | None = None
    kecamatan_id: int | None = None

    def rule(self, day: dt.date) -> DayRule | None:
        hours = self.days.get(day.weekday())
        if hours is None:
            return None
        return DayRule(
            hours[0],
            hours[1],
            self.tolerance,
            self.arrival_before,
            self.arrival_after,
            self.departure_before,
            self.departure_after,
        )


# Perpres 21/2023 / PermenPANRB practice: Mon–Thu 07:30–16:00, Fri 07:30–16:30, five days. Used until the
# kecamatan enters its own; editable on /absensi/jam-kerja/.
DEFAULT_SPEC = ScheduleSpec(days={**{d: (T(7, 30), T(16, 0)) for d in range(4)}, 4: (T(7, 30), T(16, 30))})


def spec_of(schedule: WorkSchedule) -> ScheduleSpec:
    return ScheduleSpec(
        days={d.weekday: (d.start, d.end) for d in schedule.days.all()},
        tolerance=schedule.tolerance_minutes,
        arrival_before=schedule.arrival_before_minutes,
        arrival_after=schedule.arrival_after_minutes,
        departure_before=schedule.departure_before_minutes,
        departure_after=schedule.departure_after_minutes,
        name=schedule.name,
        schedule_id=schedule.pk,
        valid_from=schedule.valid_from,
        valid_to=schedule.valid_to,
        desa_id=schedule.desa_id,
        kecamatan_id=schedule.kecamatan_id,
    )


def schedule_for(specs: Iterable[ScheduleSpec], *, desa_id: int, kecamatan_id: int, day: dt.date) -> ScheduleSpec:
    """The schedule in force: a desa's date-range override, else the kecamatan's date-range override (Ramadan
    hours apply to every desa that has not set its own), else the desa's base, else the kecamatan's base,
    else the built-in default."""
    best, best_rank = DEFAULT_SPEC, 99
    for spec in specs:
        if spec.kecamatan_id != kecamatan_id or spec.desa_id not in (None, desa_id):
            continue
        ranged = spec.valid_from is not None
        if ranged and not (spec.valid_from <= day <= spec.valid_to):
            continue
        rank = {(True, True): 0, (True, False): 1, (False, True): 2, (False, False): 3}[
            (ranged, spec.desa_id is not None)
        ]
        if rank < best_rank:
            best, best_rank = spec, rank
    return best


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def validate(schedule: WorkSchedule, days: dict[int, tuple[dt.time, dt.time]]) -> None:
    errors: dict[str, list[str]] = {}
    if not days:
        errors.setdefault("days", []).append(_("Isi jam kerja untuk paling sedikit satu hari."))
    for weekday, (start, end) in sorted(days.items()):
        name = WEEKDAYS[weekday]
        if end <= start:
            errors.setdefault("days", []).append(_("%(day)s: jam pulang harus sesudah jam masuk.") % {"day": name})
            continue
        if _minutes(start) - schedule.arrival_before_minutes < 0:
            errors.setdefault("arrival_before_minutes", []).append(
                _("%(day)s: jendela datang dimulai sebelum pukul 00.00.") % {"day": name}
            )
        if _minutes(end) + schedule.departure_after_minutes > LATEST_DEPARTURE:
            errors.setdefault("departure_after_minutes", []).append(
                _("%(day)s: jendela pulang paling lambat sampai pukul 06.00 esok hari.") % {"day": name}
            )
    for name in ("valid_from", "valid_to"):
        try:
            validate_business_date(getattr(schedule, name))  # a change marks every day of the range for recompute
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
    if (schedule.valid_from is None) != (schedule.valid_to is None):
        errors.setdefault("valid_to", []).append(_("Isi kedua tanggal berlaku, atau kosongkan keduanya."))
    elif schedule.valid_from and schedule.valid_to < schedule.valid_from:
        errors.setdefault("valid_to", []).append(_("Tanggal akhir tidak boleh sebelum tanggal mulai."))
    if schedule.desa_id and schedule.desa.kecamatan_id != schedule.kecamatan_id:
        errors.setdefault("desa", []).append(_("Desa harus di kecamatan yang sama."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def schedule_save(*, actor: User, schedule: WorkSchedule, days: dict[int, tuple[dt.time, dt.time]]) -> WorkSchedule:
    """Create or change a schedule and its weekdays (a weekday left out is a day off)."""
    if not permissions.is_kecamatan_staff(actor):
        raise PermissionDenied
    if not actor.is_portal_admin and schedule.kecamatan_id != actor.kecamatan_id:
        raise PermissionDenied
    if schedule.pk and not in_scope(WorkSchedule.objects.get(pk=schedule.pk), actor):
        raise PermissionDenied
    validate(schedule, days)
    before = _affected(WorkSchedule.objects.get(pk=schedule.pk)) if schedule.pk else set()
    base_taken = WorkSchedule.objects.filter(
        kecamatan_id=schedule.kecamatan_id, desa_id=schedule.desa_id, valid_from__isnull=True
    ).exclude(pk=schedule.pk)
    if schedule.valid_from is None and base_taken.exists():
        raise ValidationError(_("Jam kerja dasar untuk wilayah ini sudah ada; ubah yang ada atau isi tanggal berlaku."))
    schedule.save()
    schedule.days.all().delete()
    ScheduleDay.objects.bulk_create(
        [ScheduleDay(schedule=schedule, weekday=w, start=s, end=e) for w, (s, e) in sorted(days.items())]
    )
    dirty.status_mark_dirty(before | _affected(schedule))
    return schedule


@transaction.atomic
def schedule_delete(*, actor: User, schedule: WorkSchedule) -> None:
    if not permissions.is_kecamatan_staff(actor) or not in_scope(schedule, actor):
        raise PermissionDenied
    affected = _affected(schedule)
    schedule.delete()
    dirty.status_mark_dirty(affected)


def _affected(schedule: WorkSchedule) -> set[tuple[int, dt.date]]:
    """(desa, day) pairs whose statuses may follow this schedule: its desa (or every desa of its kecamatan)
    over its range, or from the first computed status to today."""
    desa_ids = (
        [schedule.desa_id]
        if schedule.desa_id
        else list(Desa.objects.filter(kecamatan_id=schedule.kecamatan_id).values_list("id", flat=True))
    )
    today = timezone.localdate()
    if schedule.valid_from:
        start, end = schedule.valid_from, min(schedule.valid_to, today)
    else:
        first = DailyStatus.objects.filter(desa_id__in=desa_ids).aggregate(first=Min("date"))["first"]
        if first is None:
            return set()
        start, end = first, today
    return {(desa_id, day) for desa_id in desa_ids for day in dirty.dates_between(start, end)}


# The kecamatan's other attendance settings ------------------------------------------------------------------


@transaction.atomic
def policy_set(*, actor: User, kecamatan: Kecamatan, missing_punch: str) -> AttendancePolicy:
    """Set how the recap counts missing punches (TAM/TAP) for a kecamatan. The daily statuses do not change
    (the recap applies the policy when it counts), so nothing is recomputed."""
    if not permissions.is_kecamatan_staff(actor) or not in_scope(kecamatan, actor):
        raise PermissionDenied
    if missing_punch not in MissingPunchPolicy.values:
        raise ValidationError({"missing_punch": _("Pilihan kebijakan tidak dikenal.")})
    # One row per kecamatan (unique): update_or_create locks it, two saves at once cannot make two.
    policy, _created = AttendancePolicy.objects.update_or_create(
        kecamatan=kecamatan, defaults={"missing_punch": missing_punch, "updated_by": actor}
    )
    return policy
