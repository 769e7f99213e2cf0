"""Musrenbang's indicator formula for the kecamatan's IKU/IKK (``portal.indicators``, registered in
``MusrenbangConfig.ready``)."""

from __future__ import annotations

from django.urls import reverse

from musrenbang.choices import MeetingKind
from musrenbang.models import Meeting
from portal.indicators import Record, Result, quarter_range
from portal.scoping import restrict


def musrenbang_desa_held(*, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    """Number of desa with a Musrenbangdes of the cycle ``year`` held (a held date recorded); no data when
    the cycle has no Musrenbangdes scheduled in the portal."""
    scheduled = restrict(Meeting.objects.all(), user).filter(
        kecamatan=kecamatan, desa__isnull=False, kind=MeetingKind.MUSRENBANGDES, year=year
    )
    if not scheduled.exists():
        return Result(None)  # the cycle is not in the portal at all: no data, not 0
    qs = scheduled.filter(held_date__isnull=False)
    if quarter:
        qs = qs.filter(held_date__range=quarter_range(year, quarter))
    seen: dict[int, Record] = {}
    for m in qs.select_related("desa").order_by("desa__nama", "held_date"):
        seen.setdefault(
            m.desa_id, Record(m.desa.nama, f"{m.held_date:%d/%m/%Y}", reverse("musrenbang-meeting", args=[m.pk]))
        )
    return Result(float(len(seen)), list(seen.values()), len(seen), None)
