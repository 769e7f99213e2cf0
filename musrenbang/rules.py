"""Pure rules of Musrenbang: the regulatory windows, the board state of a meeting on a date, the proposal
flow, and the kecamatan's ranking. No database: tested table by table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.utils.translation import gettext_noop

from musrenbang.choices import MeetingKind, ProposalStatus


def default_window(kind: str, year: int) -> tuple[dt.date, dt.date]:
    """Windows for cycle ``year`` (the Musrenbang Kecamatan's year, N): Musdes perencanaan by June of N-1,
    Musrenbangdes in July–September of N-1 (before the RKPDes is set), Musrenbang Kecamatan in
    January–February of N (Permendagri 114/2014, 86/2017; Lamongan practice)."""
    if kind == MeetingKind.MUSDES:
        return dt.date(year - 1, 1, 1), dt.date(year - 1, 6, 30)
    if kind == MeetingKind.MUSRENBANGDES:
        return dt.date(year - 1, 7, 1), dt.date(year - 1, 9, 30)
    if kind == MeetingKind.KECAMATAN:
        return dt.date(year, 1, 1), dt.date(year, 3, 1) - dt.timedelta(days=1)
    raise ValueError(f"unknown meeting kind {kind!r}")


# Board states, worst first.
NOT_HELD = "tidak_terlaksana"  # the window ended without a berita acara
LATE = "terlambat"  # the planned date passed (window still open) without a berita acara
HELD_LATE = "terlaksana_terlambat"  # held, but after the planned date or outside the window
HELD = "terlaksana"  # held in time, berita acara uploaded
AWAITING_BA = "menunggu_berita_acara"  # held in time; berita acara not uploaded yet (no later than the window)
SCHEDULED = "terjadwal"
UNSCHEDULED = "belum_dijadwalkan"

# Labels are marked for translation (gettext_noop) and translated where shown.
STATE_LABELS = {
    NOT_HELD: gettext_noop("Tidak terlaksana"),
    LATE: gettext_noop("Lewat jadwal"),
    HELD_LATE: gettext_noop("Terlaksana terlambat"),
    HELD: gettext_noop("Terlaksana"),
    AWAITING_BA: gettext_noop("Berita acara belum diunggah"),
    SCHEDULED: gettext_noop("Terjadwal"),
    UNSCHEDULED: gettext_noop("Belum dijadwalkan"),
}


def meeting_state(
    *, planned: dt.date | None, held: dt.date | None, window_end: dt.date, has_berita_acara: bool, today: dt.date
) -> str:
    """A meeting counts as held once it has a held date and a berita acara. Held after its planned date or
    after its window is "held late"; nothing by the end of the window is "not held"."""
    deadline = min(planned, window_end) if planned else window_end
    if held is not None and has_berita_acara:
        return HELD_LATE if held > deadline else HELD
    if today > window_end:
        return NOT_HELD
    if held is not None:
        return HELD_LATE if held > deadline else AWAITING_BA
    if planned is None:
        return UNSCHEDULED
    return LATE if today > planned else SCHEDULED


FLOW: dict[str, tuple[str, ...]] = {
    ProposalStatus.DIUSULKAN: (ProposalStatus.DIBAHAS,),
    ProposalStatus.DIBAHAS: (ProposalStatus.DITERUSKAN, ProposalStatus.TIDAK_DIAKOMODASI, ProposalStatus.DIUSULKAN),
    ProposalStatus.DITERUSKAN: (ProposalStatus.DIAKOMODASI, ProposalStatus.TIDAK_DIAKOMODASI),
    ProposalStatus.DIAKOMODASI: (),
    ProposalStatus.TIDAK_DIAKOMODASI: (),
}
DESA_EDITABLE = (ProposalStatus.DIUSULKAN,)
FINAL = (ProposalStatus.DIAKOMODASI, ProposalStatus.TIDAK_DIAKOMODASI)


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in FLOW.get(from_status, ())


# Ranking: score first (highest), then the kecamatan's tie-breakers in its order, then the id (stable).
TIE_BREAKERS: dict[str, tuple[str, Callable]] = {
    "kecamatan_priority": (
        gettext_noop("Prioritas kecamatan (kecil dulu)"),
        lambda p: _none_last(p.kecamatan_priority),
    ),
    "desa_rank": (gettext_noop("Prioritas desa (kecil dulu)"), lambda p: p.desa_rank),
    "cost_low": (gettext_noop("Biaya lebih kecil dulu"), lambda p: p.estimated_cost),
    "cost_high": (gettext_noop("Biaya lebih besar dulu"), lambda p: -p.estimated_cost),
    "bidang": (gettext_noop("Urutan bidang"), lambda p: p.bidang),
    "carried_over": (gettext_noop("Usulan lanjutan tahun lalu dulu"), lambda p: 0 if p.carried_from_id else 1),
    "oldest": (gettext_noop("Diusulkan lebih dulu"), lambda p: p.created_at),
}
DEFAULT_TIE_BREAKERS = ["kecamatan_priority", "desa_rank", "cost_low"]


def _none_last(value):
    return (value is None, value or 0)


def ranked(proposals: Sequence, tie_breakers: Sequence[str]) -> list:
    keys = [TIE_BREAKERS[name][1] for name in tie_breakers if name in TIE_BREAKERS]

    def key(p):
        score = p.score if p.score is not None else Decimal("-1")
        return (-score, *(k(p) for k in keys), p.pk or 0)

    return sorted(proposals, key=key)
