"""The Kasi Tapem's weekly digest (Monday 07:00 WIB): what is due this week and what is late, per desa."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_noop

from monev import rules
from monev.models import Obligation
from portal import notify
from portal.choices import Role
from portal.models import Kecamatan, Notification, User


def digest_payload(kecamatan: Kecamatan, today: dt.date) -> dict:
    """The week's digest of one kecamatan: what is due this week and what is late, per desa."""
    monday = today - dt.timedelta(days=today.weekday())
    sunday = monday + dt.timedelta(days=6)
    due_week, late = _due_and_late(kecamatan, sunday, today)
    week = {"monday": f"{monday:%d/%m/%Y}", "sunday": f"{sunday:%d/%m/%Y}"}
    head = notify.text(
        gettext_noop("Ringkasan minggu %(monday)s–%(sunday)s, Kecamatan %(kecamatan)s."),
        kecamatan=kecamatan.nama,
        **week,
    )
    due_lines = _section(
        due_week, gettext_noop("Jatuh tempo minggu ini:"), gettext_noop("Tidak ada yang jatuh tempo minggu ini.")
    )
    late_lines = _section(late, gettext_noop("Terlambat (%(n)s):"), gettext_noop("Tidak ada yang terlambat."))
    title = notify.text(
        gettext_noop("Ringkasan mingguan %(monday)s: %(due)s jatuh tempo, %(late)s terlambat"),
        due=_count(due_week),
        late=_count(late),
        **week,
    )
    message = notify.join([head, "", *due_lines, "", *late_lines])
    return notify.payload_build(title=title, message=message, url_name="monev-board", kind="digest")


def _due_and_late(kecamatan: Kecamatan, sunday: dt.date, today: dt.date) -> tuple[dict, dict]:
    """Per desa name: the outstanding obligations due from today to Sunday, and those already late."""
    monday = sunday - dt.timedelta(days=6)
    rows = (
        Obligation.objects.filter(desa__kecamatan=kecamatan, state__in=rules.OUTSTANDING, due_date__isnull=False)
        .filter(Q(due_date__range=(monday, sunday)) | Q(due_date__lt=today))
        .select_related("desa", "document_type")
        .order_by("desa__kode", "due_date")
    )
    due_week: dict[str, list[Promise]] = defaultdict(list)
    late: dict[str, list[Promise]] = defaultdict(list)
    for o in rows:
        item = f"{o.document_type.code} {o.period_label}".strip()
        line = notify.text(gettext_noop("%(item)s (tenggat %(due)s)"), item=item, due=f"{o.due_date:%d/%m/%Y}")
        (late if o.due_date < today else due_week)[o.desa.nama].append(line)
    return due_week, late


def _count(items_by_desa: dict[str, list]) -> int:
    return sum(map(len, items_by_desa.values()))


def _section(items_by_desa: dict[str, list[Promise]], heading: str, empty: str) -> list[Promise]:
    """A heading (``%(n)s``: how many) and one line per desa, or the sentence saying there is nothing."""
    if not items_by_desa:
        return [notify.text(empty)]
    line = gettext_noop("- Desa %(desa)s: %(items)s")
    per_desa = [notify.text(line, desa=desa, items=notify.join(items, ", ")) for desa, items in items_by_desa.items()]
    return [notify.text(heading, n=_count(items_by_desa)), *per_desa]


def digest_send(*, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    iso = today.isocalendar()
    created = 0
    for kecamatan in Kecamatan.objects.all():
        kasi = list(User.objects.filter(kecamatan=kecamatan, role=Role.KASI_TAPEM, is_active=True))
        if not kasi:
            continue
        created += notify.deliveries_create(
            event_key=f"digest:{kecamatan.pk}:{iso.year}-W{iso.week:02d}",
            kind=Notification.Kind.DIGEST,
            recipients=kasi,
            kecamatan_id=kecamatan.pk,
            desa_id=None,
            payload=digest_payload(kecamatan, today),
        )
    return created
