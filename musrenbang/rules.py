"""Pure rules of Musrenbang: the regulatory windows, the board state of a meeting on a date (with the order
Musdes → Musrenbangdes → RKPDes), the proposal flow, and the kecamatan's ranking. No database: tested table
by table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext, gettext_noop

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
OFF_SCHEDULE = "di_luar_jadwal"  # held outside its window or out of the order Musdes → Musrenbangdes → RKPDes
LATE = "terlambat"  # the planned date passed (window still open) without a berita acara
HELD_LATE = "terlaksana_terlambat"  # held inside the window, but after the planned date
HELD = "terlaksana"  # held in time, berita acara uploaded
AWAITING_BA = "menunggu_berita_acara"  # held in time; berita acara not uploaded yet (no later than the window)
SCHEDULED = "terjadwal"
UNSCHEDULED = "belum_dijadwalkan"

# Labels are marked for translation (gettext_noop) and translated where shown.
STATE_LABELS = {
    NOT_HELD: gettext_noop("Tidak terlaksana"),
    OFF_SCHEDULE: gettext_noop("Di luar jadwal"),
    LATE: gettext_noop("Lewat jadwal"),
    HELD_LATE: gettext_noop("Terlaksana terlambat"),
    HELD: gettext_noop("Terlaksana"),
    AWAITING_BA: gettext_noop("Berita acara belum diunggah"),
    SCHEDULED: gettext_noop("Terjadwal"),
    UNSCHEDULED: gettext_noop("Belum dijadwalkan"),
}

# Why a held meeting is "di luar jadwal" (codes are stable API values).
BEFORE_WINDOW = "sebelum_jendela"
AFTER_WINDOW = "setelah_jendela"
WITHOUT_MUSDES = "tanpa_musdes"
BEFORE_MUSDES = "sebelum_musdes"
AFTER_RKPDES = "setelah_rkpdes"
ISSUE_TEXTS = {
    BEFORE_WINDOW: gettext_noop("Diadakan %(held)s, sebelum jendela %(start)s–%(end)s"),
    AFTER_WINDOW: gettext_noop("Diadakan %(held)s, setelah jendela %(start)s–%(end)s"),
    WITHOUT_MUSDES: gettext_noop("Musrenbangdes diadakan %(held)s, tetapi Musdes perencanaan belum diadakan"),
    BEFORE_MUSDES: gettext_noop("Musrenbangdes diadakan %(held)s, sebelum Musdes %(musdes)s"),
    AFTER_RKPDES: gettext_noop("RKPDes ditetapkan %(rkpdes)s sebelum Musrenbangdes %(held)s"),
}


@dataclass(frozen=True)
class Issue:
    """One reason a held meeting is out of schedule, with the dates that prove it."""

    code: str
    dates: tuple[tuple[str, dt.date], ...]

    def text(self) -> str:
        """In the active language, dates as dd/mm/yyyy."""
        return gettext(ISSUE_TEXTS[self.code]) % {name: f"{day:%d/%m/%Y}" for name, day in self.dates}


@dataclass(frozen=True)
class Verdict:
    state: str
    issues: tuple[Issue, ...] = ()

    @property
    def reason(self) -> str:
        return issues_text(self.issues)


def issues_text(issues: Sequence[Issue]) -> str:
    return "; ".join(issue.text() for issue in issues)


def schedule_issues(
    *,
    kind: str,
    held: dt.date | None,
    window_start: dt.date,
    window_end: dt.date,
    musdes_held: dt.date | None = None,
    rkpdes_set: dt.date | None = None,
) -> tuple[Issue, ...]:
    """Why a meeting held on ``held`` is not the lawful one: held before its window opens or after it closes;
    for a Musrenbangdes also held while the same desa's Musdes of the cycle is not held (``musdes_held`` None)
    or before it, or after the desa's RKPDes was set (``rkpdes_set``; None = not known, no finding). The same
    day is in order: the Musdes and the Musrenbangdes, or the Musrenbangdes and the Perdes RKPDes, may meet on
    one day (Permendagri 114/2014: Musdes → Musrenbangdes → RKPDes)."""
    if held is None:
        return ()
    issues = []
    window = (("start", window_start), ("end", window_end))
    if held < window_start:
        issues.append(Issue(BEFORE_WINDOW, (("held", held), *window)))
    elif held > window_end:
        issues.append(Issue(AFTER_WINDOW, (("held", held), *window)))
    if kind == MeetingKind.MUSRENBANGDES:
        if musdes_held is None:
            issues.append(Issue(WITHOUT_MUSDES, (("held", held),)))
        elif held < musdes_held:
            issues.append(Issue(BEFORE_MUSDES, (("held", held), ("musdes", musdes_held))))
        if rkpdes_set is not None and rkpdes_set < held:
            issues.append(Issue(AFTER_RKPDES, (("held", held), ("rkpdes", rkpdes_set))))
    return tuple(issues)


def meeting_verdict(
    *,
    kind: str,
    planned: dt.date | None,
    held: dt.date | None,
    window_start: dt.date,
    window_end: dt.date,
    has_berita_acara: bool,
    today: dt.date,
    musdes_held: dt.date | None = None,
    rkpdes_set: dt.date | None = None,
) -> Verdict:
    """A meeting counts as held once it has a held date and a berita acara. Held outside its window or out of
    order (``schedule_issues``) is "di luar jadwal", never "terlaksana"; held inside the window but after its
    planned date is "held late"; nothing by the end of the window is "not held". ``musdes_held`` is read only
    for a Musrenbangdes: the held date of the same desa's Musdes of the cycle, None when it was not held."""
    issues = schedule_issues(
        kind=kind,
        held=held,
        window_start=window_start,
        window_end=window_end,
        musdes_held=musdes_held,
        rkpdes_set=rkpdes_set,
    )
    deadline = min(planned, window_end) if planned else window_end
    if held is not None and has_berita_acara:
        if issues:
            return Verdict(OFF_SCHEDULE, issues)
        return Verdict(HELD_LATE if held > deadline else HELD)
    if today > window_end:
        return Verdict(NOT_HELD, issues)
    if held is not None:
        if issues:
            return Verdict(OFF_SCHEDULE, issues)
        return Verdict(HELD_LATE if held > deadline else AWAITING_BA)
    if planned is None:
        return Verdict(UNSCHEDULED)
    return Verdict(LATE if today > planned else SCHEDULED)


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


NEEDS_ACTION = frozenset({NOT_HELD, LATE, AWAITING_BA, OFF_SCHEDULE, UNSCHEDULED})
"""A desa meeting in these states wants someone to act: schedule it, hold it, upload its berita acara (the
Kasi PMD's home page and the desa hub)."""
