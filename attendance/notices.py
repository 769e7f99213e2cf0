"""Flag notices: a TK streak (≥ ATTENDANCE_TK_STREAK working days in a row) or chronic lateness
(≥ ATTENDANCE_CHRONIC_LATE late days, under the kecamatan's missing-punch policy) of a perangkat reaches the
Camat of the kecamatan and the Kepala Desa of the desa through the notification channels (inbox, email,
webhook; ``portal.notify``).

Exactly once per recipient, flag and month, by a unique key and never by a check: the event key names the
flag, the perangkat and the month (``att:tk_streak:<perangkat>:2026-03``), and a delivery is unique on
(event, recipient, channel), so running the detection again — after every recompute, by two workers at once —
inserts nothing new. A streak that grows sends nothing more that month; a new month with a new streak sends
again. Runs after each incremental recompute (``daily.status_dirty_process``), for the desa and months it
touched, from last month on: rebuilding an old month never wakes anyone up about it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_noop

from attendance import recap
from portal import notify
from portal.choices import Role
from portal.models import Notification, User
from portal.queue import enqueue

KINDS = {"tk_streak": Notification.Kind.ESCALATION, "chronic_late": Notification.Kind.LATE}


def event_key(flag: recap.Flag, month: dt.date) -> str:
    return f"att:{flag.kind}:{flag.perangkat.pk}:{month:%Y-%m}"


# Title and message per flag; placeholders: name, jabatan, desa, n, start, month.
MESSAGES = {
    "tk_streak": (
        gettext_noop("TK berturut-turut: %(name)s, Desa %(desa)s"),
        gettext_noop(
            "%(name)s (%(jabatan)s, Desa %(desa)s) tanpa keterangan %(n)d hari kerja berturut-turut mulai "
            "%(start)s (bulan %(month)s). Mohon ditindaklanjuti."
        ),
    ),
    "chronic_late": (
        gettext_noop("Sering terlambat: %(name)s, Desa %(desa)s"),
        gettext_noop("%(name)s (%(jabatan)s, Desa %(desa)s) terlambat %(n)d hari kerja pada bulan %(month)s."),
    ),
}


def notice_payload(flag: recap.Flag, month: dt.date) -> dict:
    """The payload of one flag's notice; the link opens the desa's month."""
    person, desa = flag.perangkat, flag.desa
    title, text = MESSAGES[flag.kind]
    values = {
        "name": person.nama,
        "jabatan": lazy(person.get_jabatan_display, str)(),  # in the payload's language, not the request's
        "desa": desa.nama,
        "n": flag.count,
        "start": flag.detail,
        "month": f"{month:%m/%Y}",
    }
    return notify.payload_build(
        title=notify.text(title, **values),
        message=notify.text(text, **values),
        url_name="attendance-desa-month",
        args=[desa.kode],
        query={"bulan": f"{month:%Y-%m}"},
        kind=flag.kind,
        desa=desa.kode,
    )


@transaction.atomic
def flag_notices_send(*, desa_ids: Iterable[int], month: dt.date) -> int:
    """Create the deliveries of this month's perangkat flags in these desa; returns how many are new."""
    month = month.replace(day=1)
    flags = [f for f in recap.perangkat_flags(desa_ids=desa_ids, month=month) if f.kind in KINDS]
    if not flags:
        return 0
    desa_set = {f.desa.pk for f in flags}
    kecamatan_set = {f.desa.kecamatan_id for f in flags}
    camat: dict[int, list[User]] = defaultdict(list)
    kades: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(is_active=True).filter(
        Q(role=Role.CAMAT, kecamatan_id__in=kecamatan_set) | Q(role=Role.KEPALA_DESA, desa_id__in=desa_set)
    ):
        if user.role == Role.CAMAT:
            camat[user.kecamatan_id].append(user)
        else:
            kades[user.desa_id].append(user)
    created = 0
    for flag in flags:
        created += notify.deliveries_create(
            event_key=event_key(flag, month),
            kind=KINDS[flag.kind],
            recipients=camat[flag.desa.kecamatan_id] + kades[flag.desa.pk],
            kecamatan_id=flag.desa.kecamatan_id,
            desa_id=flag.desa.pk,
            payload=notice_payload(flag, month),
        )
    if created:
        enqueue("workers.tasks.dispatch_inapp_task")  # email and webhook: the minute sweeper sends them
    return created


def flag_notices_after_recompute(*, pairs: Iterable[tuple[int, dt.date]]) -> int:
    """After an incremental recompute: the flags of the (desa, month) it touched, from last month on."""
    today = timezone.localdate()
    oldest = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    by_month: dict[dt.date, set[int]] = defaultdict(set)
    for desa_id, day in pairs:
        if day >= oldest:
            by_month[day.replace(day=1)].add(desa_id)
    return sum(flag_notices_send(desa_ids=ids, month=month) for month, ids in sorted(by_month.items()))
