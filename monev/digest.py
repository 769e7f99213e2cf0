"""The Kasi Tapem's weekly digest (Monday 07:00 WIB): what is due this week and what is late, per desa."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from monev.choices import State
from monev.models import Obligation
from portal import notify
from portal.choices import Role
from portal.models import Kecamatan, Notification, User

OPEN = [State.BELUM, State.DISPENSASI, State.TERLAMBAT, State.DIKEMBALIKAN]


def digest_text(kecamatan: Kecamatan, today: dt.date) -> tuple[str, str]:
    monday = today - dt.timedelta(days=today.weekday())
    sunday = monday + dt.timedelta(days=6)
    rows = (
        Obligation.objects.filter(desa__kecamatan=kecamatan, state__in=OPEN, due_date__isnull=False)
        .filter(Q(due_date__range=(monday, sunday)) | Q(due_date__lt=today))
        .select_related("desa", "document_type")
        .order_by("desa__kode", "due_date")
    )
    due_week: dict[str, list[str]] = defaultdict(list)
    late: dict[str, list[str]] = defaultdict(list)
    for o in rows:
        line = f"{o.document_type.code} {o.period_label} (tenggat {o.due_date:%d/%m/%Y})".replace("  ", " ")
        (late if o.due_date < today else due_week)[o.desa.nama].append(line)
    parts = [f"Ringkasan minggu {monday:%d/%m/%Y}–{sunday:%d/%m/%Y}, Kecamatan {kecamatan.nama}."]
    parts.append("\nJatuh tempo minggu ini:" if due_week else "\nTidak ada yang jatuh tempo minggu ini.")
    parts += [f"- Desa {desa}: {', '.join(items)}" for desa, items in due_week.items()]
    parts.append(f"\nTerlambat ({sum(len(v) for v in late.values())}):" if late else "\nTidak ada yang terlambat.")
    parts += [f"- Desa {desa}: {', '.join(items)}" for desa, items in late.items()]
    title = f"Ringkasan mingguan {monday:%d/%m/%Y}: {sum(map(len, due_week.values()))} jatuh tempo, {sum(map(len, late.values()))} terlambat"
    return title, "\n".join(parts)


def digest_send(*, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    iso = today.isocalendar()
    created = 0
    for kecamatan in Kecamatan.objects.all():
        kasi = list(User.objects.filter(kecamatan=kecamatan, role=Role.KASI_TAPEM, is_active=True))
        if not kasi:
            continue
        title, text = digest_text(kecamatan, today)
        created += notify.deliveries_create(
            event_key=f"digest:{kecamatan.pk}:{iso.year}-W{iso.week:02d}", kind=Notification.Kind.DIGEST,
            recipients=kasi, kecamatan_id=kecamatan.pk, desa_id=None,
            payload={"title": title, "message": text, "link": reverse("monev-board"), "kind": "digest"},
        )  # fmt: skip
    return created
