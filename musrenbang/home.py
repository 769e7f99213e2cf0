"""Musrenbang's part of the home page (the Kasi PMD's cycle) and of the desa hub (``portal.home``), read
from the board (``musrenbang.selectors.board``) so the states are the board's."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.urls import reverse
from django.utils.translation import gettext as _

from musrenbang import rules, selectors
from musrenbang.choices import DESA_KINDS, MeetingKind
from musrenbang.views import current_cycle
from portal.choices import Role
from portal.home import HEAD, Item, Section
from portal.models import Desa, User

# The Kasi PMD runs the cycle (and an administrator sees it too).
_CYCLE_ROLES = (Role.KASI_PMD, Role.ADMIN)


def _counts(counter: Counter) -> str:
    return " · ".join(f"{_(rules.STATE_LABELS[state])} {n}" for state, n in counter.most_common())


def _cell_url(cell: selectors.Cell, board_url: str) -> str:
    return reverse("musrenbang-meeting", args=[cell.meeting.pk]) if cell.meeting is not None else board_url


def home_sections(user: User, today: dt.date) -> list[Section]:
    role = Role.ADMIN if user.is_portal_admin else user.role
    if role not in _CYCLE_ROLES:
        return []
    year = current_cycle(today)
    board = selectors.board(user=user, year=year, today=today)
    board_url = reverse("musrenbang-board") + f"?tahun={year}"
    items = [Item(str(MeetingKind(kind).label), board_url, _counts(board.totals[kind])) for kind in DESA_KINDS]
    items += [
        Item(str(MeetingKind.KECAMATAN.label), _cell_url(cell, board_url), _(rules.STATE_LABELS[cell.state]))
        for cell in board.kecamatan_meetings
    ]
    waiting = [
        (row.desa, kind, row.cells[kind])
        for row in board.rows
        for kind in DESA_KINDS
        if row.cells[kind].state in rules.NEEDS_ACTION
    ]
    summary = _("Siklus %(year)d · %(n)d dari %(total)d desa mengikuti Musrenbang") % {
        "year": year,
        "n": board.participating,
        "total": board.total,
    }
    return [
        Section("musrenbang-cycle", _("Siklus Musrenbang"), board_url, items, summary=summary, order=30),
        Section(
            "musrenbang-action",
            _("Musyawarah desa yang perlu ditindaklanjuti"),
            board_url,
            [
                Item(
                    f"{desa.nama} — {MeetingKind(kind).label}",
                    _cell_url(cell, board_url),
                    _(rules.STATE_LABELS[cell.state]),
                    "warning",
                )
                for desa, kind, cell in waiting[:HEAD]
            ],
            total=len(waiting),
            empty=_("Semua musyawarah desa sesuai jadwal."),
            order=31,
        ),
    ]


def desa_sections(user: User, desa: Desa, today: dt.date) -> list[Section]:
    year = current_cycle(today)
    found = {
        m.kind: m for m in selectors.rkpdes_dates_attach(selectors.meetings(user=user).filter(year=year, desa=desa))
    }
    board_url = reverse("musrenbang-board") + f"?tahun={year}"
    items = []
    for kind in DESA_KINDS:
        meeting = found.get(kind)
        cell = selectors.cell_of(meeting, today) if meeting else selectors.default_cell(kind, year, today)
        tone = "warning" if cell.state in rules.NEEDS_ACTION else ""
        items.append(
            Item(str(MeetingKind(kind).label), _cell_url(cell, board_url), _(rules.STATE_LABELS[cell.state]), tone)
        )
    return [
        Section(
            "desa-musrenbang",
            _("Musrenbang"),
            board_url,
            items,
            summary=_("Siklus %(year)d") % {"year": year},
            order=30,
        )
    ]
