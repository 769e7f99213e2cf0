"""Monev's part of the home page and of the desa hub (``portal.home``). Late means what the board shows
(``rules.display_state``), over every budget year: the RKPDes of N+1 falls due in N and must not hide under
another year's board."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from monev import rules, selectors, selectors_visits
from monev.choices import Responsible, State, SubmissionStatus
from monev.models import DocumentType, Obligation, Sanction
from portal.choices import Role
from portal.home import HEAD, Item, Section, day
from portal.models import Desa, User
from portal.scoping import restrict

# Who meets which list on the home page: the Kasi Tapem (and the Sekcam, and an administrator) runs the
# verification; the Camat hears of escalations.
_VERIFIERS = (Role.KASI_TAPEM, Role.SEKCAM, Role.ADMIN)


def late_now(today: dt.date) -> Q:
    """The database twin of ``rules.display_state(...) == TERLAMBAT``."""
    return Q(state=State.TERLAMBAT) | Q(state__in=[State.BELUM, State.DISPENSASI], due_date__lt=today)


def escalated(today: dt.date) -> Q | None:
    """Late past the type's first escalation day; None when no type escalates."""
    condition = None
    for type_id, text in DocumentType.objects.values_list("id", "escalation_days"):
        n = rules.first_escalation_day(text)
        if n is not None:
            part = Q(document_type_id=type_id, due_date__lte=today - dt.timedelta(days=n))
            condition = part if condition is None else condition | part
    return None if condition is None else late_now(today) & condition


def _late_text(o: Obligation, today: dt.date) -> str:
    days = -(rules.days_until(o.due_date, today) or 0)
    return _("tenggat %(due)s · %(n)d hari terlambat") % {"due": day(o.due_date), "n": days}


def _obligation_item(o: Obligation, detail: str, tone: str = "") -> Item:
    return Item(f"{o.desa.nama} — {o.title}", reverse("monev-obligation", args=[o.pk]), detail, tone)


def _obligation_section(key, title, queryset, today, detail, *, order, empty="", tone="", state="") -> Section:
    total = queryset.count()
    items = [_obligation_item(o, detail(o), tone) for o in queryset[:HEAD]] if total else []
    url = reverse("monev-board") + (f"?status={state}" if state else "")
    return Section(key, title, url, items, total=total, empty=empty, order=order)


def overdue_recommendations_section(user: User, today: dt.date) -> Section:
    """Monev recommendations past their due date and still waiting for the desa: two queries, whatever the
    number of desa."""
    rows = selectors_visits.overdue(user=user, today=today).order_by("due_date", "id")
    total = rows.count()
    items = [
        Item(
            f"{r.visit.desa.nama} — {r.text[:80]}",
            reverse("monev-visit-detail", args=[r.visit_id]) + f"#rec-{r.pk}",
            _("tenggat %(due)s · %(n)d hari terlambat") % {"due": day(r.due_date), "n": (today - r.due_date).days},
            "danger",
        )
        for r in (rows[:HEAD] if total else [])
    ]
    return Section(
        "monev-recommendations-overdue",
        _("Rekomendasi lewat tenggat"),
        reverse("monev-recommendations") + "?status=lewat",
        items,
        total=total,
        empty=_("Tidak ada rekomendasi yang lewat tenggat."),
        order=14,
    )


def home_sections(user: User, today: dt.date) -> list[Section]:
    if user.is_desa_user:
        return [*_desa_user_sections(user, today), overdue_recommendations_section(user, today)]
    role = Role.ADMIN if user.is_portal_admin else user.role
    if role not in _VERIFIERS and role != Role.CAMAT:
        return []
    obligations = selectors.obligation_list(user=user)
    sections = []
    late_condition = escalated(today)
    late_rows = obligations.filter(late_condition) if late_condition is not None else obligations.none()
    sections.append(
        _obligation_section(
            "monev-escalated",
            _("Eskalasi: terlambat melewati batas eskalasi"),
            late_rows.order_by("due_date", "desa__kode"),
            today,
            lambda o: _late_text(o, today),
            order=12,
            empty=_("Tidak ada laporan yang dieskalasi."),
            tone="danger",
            state=State.TERLAMBAT,
        )
    )
    if role not in _VERIFIERS:
        return sections
    sections.append(overdue_recommendations_section(user, today))
    sections.append(
        _obligation_section(
            "monev-late",
            _("Terlambat sekarang (semua tahun anggaran)"),
            obligations.filter(late_now(today)).order_by("due_date", "desa__kode"),
            today,
            lambda o: _late_text(o, today),
            order=10,
            empty=_("Tidak ada laporan terlambat."),
            tone="danger",
            state=State.TERLAMBAT,
        )
    )
    waiting = selectors.submission_list(user=user).filter(status=SubmissionStatus.MENUNGGU)
    total = waiting.count()
    rows = waiting.select_related("obligation__desa", "obligation__document_type").order_by("submitted_at", "id")
    items = [
        Item(
            f"{s.obligation.desa.nama} — {s.obligation.title}",
            reverse("monev-obligation", args=[s.obligation_id]),
            _("dikirim %(day)s") % {"day": day(timezone.localdate(s.submitted_at))},
        )
        for s in (rows[:HEAD] if total else [])
    ]
    sections.append(
        Section(
            "monev-waiting",
            _("Menunggu verifikasi (terlama dulu)"),
            reverse("monev-board") + "?status=" + State.DIKIRIM,
            items,
            total=total,
            empty=_("Tidak ada kiriman yang menunggu."),
            order=11,
        )
    )
    soon = obligations.filter(
        state__in=[State.BELUM, State.DISPENSASI], due_date__range=(today, today + dt.timedelta(days=14))
    ).order_by("due_date", "desa__kode")
    sections.append(
        _obligation_section(
            "monev-soon",
            _("Jatuh tempo dalam 14 hari"),
            soon,
            today,
            lambda o: _("tenggat %(due)s") % {"due": day(o.due_date)},
            order=13,
            empty=_("Tidak ada tenggat dalam 14 hari."),
        )
    )
    return sections


def _desa_user_sections(user: User, today: dt.date) -> list[Section]:
    own = selectors.obligation_list(user=user).filter(desa_id=user.desa_id)
    returned = own.filter(state=State.DIKEMBALIKAN).order_by("correction_due_date", "due_date")
    due = (
        own.filter(state__in=rules.AWAITING_SUBMISSION, due_date__isnull=False)
        .exclude(document_type__responsible=Responsible.KECAMATAN)  # the kecamatan's own duty, not the desa's
        .order_by("due_date")
    )
    link = reverse("monev-desa", args=[user.desa.kode]) if user.desa_id else reverse("monev-board")
    sections = [
        Section(
            "monev-returned",
            _("Dikembalikan: perbaiki sebelum batas perbaikan"),
            link,
            [
                Item(
                    o.title,
                    reverse("monev-obligation", args=[o.pk]),
                    _("batas perbaikan %(day)s") % {"day": day(o.correction_due_date or o.due_date)},
                    "warning",
                )
                for o in returned[:HEAD]
            ],
            empty=_("Tidak ada laporan yang dikembalikan."),
            order=10,
        )
    ]
    items = []
    for o in due[:HEAD]:
        late = rules.display_state(o.state, o.due_date, today) == State.TERLAMBAT
        detail = _late_text(o, today) if late else _("tenggat %(due)s") % {"due": day(o.due_date)}
        items.append(Item(o.title, reverse("monev-obligation", args=[o.pk]), detail, "danger" if late else ""))
    sections.append(
        Section("monev-due", _("Tenggat berikutnya"), link, items, empty=_("Tidak ada tenggat terbuka."), order=11)
    )
    return sections


def desa_sections(user: User, desa: Desa, today: dt.date) -> list[Section]:
    rows = list(
        selectors.obligation_list(user=user)
        .filter(desa=desa)
        .filter(Q(year=today.year) | late_now(today))
        .order_by("due_date", "document_type__sort_order", "period")
    )
    year_rows = [o for o in rows if o.year == today.year]
    counts = Counter(rules.display_state(o.state, o.due_date, today) for o in year_rows)
    score = rules.timeliness_score(
        [rules.score_row(o.state, o.due_date, o.on_time, o.basis_submitted_at) for o in year_rows],
        today,
    )
    parts = [f"{State(state).label}: {n}" for state, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    summary = _("Tahun %(year)d · ketepatan waktu %(score)s") % {
        "year": today.year,
        "score": "–" if score is None else f"{score * 100:.0f} %",
    }
    late = [o for o in rows if rules.display_state(o.state, o.due_date, today) == State.TERLAMBAT]
    monev = Section(
        "desa-monev",
        _("Kewajiban laporan"),
        reverse("monev-desa", args=[desa.kode]),
        [Item(o.title, reverse("monev-obligation", args=[o.pk]), _late_text(o, today), "danger") for o in late[:HEAD]],
        total=len(late),
        summary=f"{summary} — {', '.join(parts)}" if parts else summary,
        empty=_("Tidak ada laporan terlambat."),
        order=10,
    )
    sanctions = restrict(Sanction.objects.filter(desa=desa), user).select_related("obligation__document_type")
    sanction_rows = list(sanctions[: HEAD + 1])
    items = []
    for s in sanction_rows[:HEAD]:
        url = (
            reverse("monev-sanction-letter", args=[s.pk])
            if s.letter_path
            else reverse("monev-obligation", args=[s.obligation_id])
        )
        items.append(Item(f"{s.get_level_display()} — {s.obligation.title}", url, day(timezone.localdate(s.issued_at))))
    return [
        monev,
        Section(
            "desa-sanctions",
            _("Teguran"),
            reverse("monev-desa", args=[desa.kode]),
            items,
            empty=_("Belum ada teguran."),
            order=40,
        ),
    ]
