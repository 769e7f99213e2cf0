"""Koreksi absen: a forgotten arrival or departure punch, requested for a perangkat by the desa (Operator Desa
or Kepala Desa) or the kecamatan, and decided exactly like leave, through the decision every request shares
(``attendance.decisions``): the Kepala Desa for his perangkat, kecamatan staff for anyone (the Kepala Desa's
own correction included), a conditional UPDATE on the state so two clicks cannot both win, who and when kept,
every change in the history.

Raw punches are never touched (they are immutable, in the database too). An approved correction is its own
row, which the daily status reads as one more punch of its kind; approving or revoking one marks its
(desa, day) for recompute. A correction is only for a punch the machines do not have: the request is
refused when a machine punch already lies in that day's arrival (or departure) window."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance import daily, decisions
from attendance.choices import PunchKind
from attendance.models import DeviceUser, Punch, PunchCorrection
from attendance.status import windows
from portal.models import Perangkat, User
from portal.validators import validate_business_date

__all__ = ["correction_cancel", "correction_decide", "correction_request"]


def _hhmm(moment: dt.datetime) -> str:
    return f"{moment:%H:%M}"


def _moment(*, perangkat: Perangkat, day: dt.date, kind: str, at: dt.time) -> dt.datetime:
    """The corrected punch as an aware instant in the desa's zone, checked against the day's windows (a
    departure may lie after midnight, up to the end of the departure window)."""
    zone, rule = daily.day_rule(desa=perangkat.desa, day=day)
    if rule is None:
        raise ValidationError({"date": _("%(day)s bukan hari kerja desa ini.") % {"day": f"{day:%d/%m/%Y}"}})
    a_open, a_close, d_open, d_close = windows(day, rule)
    moment = dt.datetime.combine(day, at)
    if kind == PunchKind.IN:
        if not a_open <= moment <= a_close:
            raise ValidationError(
                {"time": _("Jam masuk harus di antara %(a)s dan %(b)s.") % {"a": _hhmm(a_open), "b": _hhmm(a_close)}}
            )
        opens, closes = a_open, a_close
    else:
        if moment < d_open and dt.datetime.combine(day + daily.ONE_DAY, at) <= d_close:
            moment = dt.datetime.combine(day + daily.ONE_DAY, at)  # a departure after midnight
        if not d_open <= moment <= d_close:
            raise ValidationError(
                {"time": _("Jam pulang harus di antara %(a)s dan %(b)s.") % {"a": _hhmm(d_open), "b": _hhmm(d_close)}}
            )
        opens, closes = d_open, d_close
    _refuse_if_the_machine_has_it(perangkat, kind, opens.replace(tzinfo=zone), closes.replace(tzinfo=zone))
    return moment.replace(tzinfo=zone)


def _refuse_if_the_machine_has_it(perangkat: Perangkat, kind: str, start: dt.datetime, end: dt.datetime) -> None:
    pins = DeviceUser.objects.filter(perangkat=perangkat).values_list("device_id", "pin")
    if not pins:
        return
    linked = Q()
    for device_id, pin in pins:
        linked |= Q(device_id=device_id, pin=pin)
    found = Punch.objects.filter(linked, punched_at__range=(start, end)).order_by("punched_at").first()
    if found is not None:
        when = found.punched_at.astimezone(start.tzinfo)
        label = _("masuk") if kind == PunchKind.IN else _("pulang")
        raise ValidationError(
            _("Mesin sudah mencatat absen %(kind)s pukul %(time)s pada %(day)s; koreksi tidak diperlukan.")
            % {"kind": label, "time": _hhmm(when), "day": f"{when:%d/%m/%Y}"}
        )


@transaction.atomic
def correction_request(
    *, actor: User, perangkat: Perangkat, date: dt.date, kind: str, time: dt.time, reason: str, attachment=None
) -> PunchCorrection:
    decisions.require_can_request(actor=actor, perangkat=perangkat)
    if kind not in PunchKind.values:
        raise ValidationError({"kind": _("Pilih absen masuk atau pulang.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Isi alasan koreksi.")})
    validate_business_date(date, "date")  # the day's windows reach into the day after
    if date > timezone.localdate():
        raise ValidationError({"date": _("Koreksi hanya untuk hari ini atau hari yang sudah lewat.")})
    if (perangkat.tanggal_mulai and date < perangkat.tanggal_mulai) or (
        perangkat.tanggal_selesai and date > perangkat.tanggal_selesai
    ):
        raise ValidationError({"date": _("Tanggal di luar masa jabatan perangkat ini.")})
    # The checks and the insert are one step (the partial unique constraint backs it in the database).
    decisions.request_lock(perangkat)
    moment = _moment(perangkat=perangkat, day=date, kind=kind, at=time)
    open_states = decisions.OPEN_STATES
    clash = PunchCorrection.objects.filter(perangkat=perangkat, date=date, kind=kind, state__in=open_states).first()
    if clash is not None:
        raise ValidationError(
            _("Sudah ada koreksi absen %(kind)s %(day)s yang %(state)s.")
            % {
                "kind": clash.get_kind_display().lower(),
                "day": f"{date:%d/%m/%Y}",
                "state": clash.get_state_display().lower(),
            }
        )
    correction = PunchCorrection(
        perangkat=perangkat, date=date, kind=kind, punched_at=moment, reason=reason.strip(), requested_by=actor
    )
    try:
        # request_save is also the savepoint that keeps the outer transaction usable after the IntegrityError.
        return decisions.request_save(correction, attachment=attachment, subdir=f"koreksi/{date.year}")
    except IntegrityError:
        raise ValidationError(_("Sudah ada koreksi absen untuk hari dan jenis absen ini.")) from None


def correction_decide(*, actor: User, correction: PunchCorrection, approve: bool, note: str = "") -> PunchCorrection:
    return decisions.request_decide(actor=actor, row=correction, approve=approve, note=note)


def correction_cancel(*, actor: User, correction: PunchCorrection, note: str = "") -> PunchCorrection:
    """Withdraw a request, or revoke an approved correction (the day is recomputed without it)."""
    return decisions.request_cancel(actor=actor, row=correction, note=note)
