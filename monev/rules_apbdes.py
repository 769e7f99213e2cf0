"""Pure APBDes rules: kode rekening, totals, the yearly computed checks and the 20-working-day evaluation
clock. No database, no clock: lines and rules come in as plain values, the calendar as a ``WorkCalendar``.

Kode rekening (Permendagri 20/2018, as Siskeudes lays out the APBDes per bidang): 4.x.x pendapatan,
5.<bidang>.<sub bidang>[.<kegiatan>…] belanja, 6.1.x penerimaan and 6.2.x pengeluaran pembiayaan."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from portal.calendar import WorkCalendar

EVALUATION_WORKING_DAYS = 20  # Permendagri 20/2018 Pasal 35 ayat (3)
BUDGET_DOC_CODES = ("RAPERDES_APBDES", "EVALUASI_APBDES")
BIDANG_NAMES = {
    "1": "Penyelenggaraan Pemerintahan Desa",
    "2": "Pelaksanaan Pembangunan Desa",
    "3": "Pembinaan Kemasyarakatan",
    "4": "Pemberdayaan Masyarakat",
    "5": "Penanggulangan Bencana, Darurat dan Mendesak",
}
_KODE = re.compile(r"^[456](\.\d{1,3}){2,6}$")
ZERO = Decimal(0)


def kode_error(kode: str) -> str | None:
    """Why a kode rekening cannot be a rincian line, or None when it can."""
    if not _KODE.match(kode):
        return _("'%(kode)s' bukan kode rekening rincian; tulis mis. 4.1.1, 5.1.1.01 atau 6.1.1") % {"kode": kode}
    parts = kode.split(".")
    if parts[0] == "5" and parts[1] not in BIDANG_NAMES:
        return _("'%(kode)s': bidang belanja harus 5.1 sampai 5.5") % {"kode": kode}
    if parts[0] == "6" and parts[1] not in ("1", "2"):
        return _("'%(kode)s': pembiayaan harus 6.1 (penerimaan) atau 6.2 (pengeluaran)") % {"kode": kode}
    return None


def bidang_of(kode: str) -> str:
    """ "1".."5" for a belanja line, "" otherwise."""
    parts = kode.split(".")
    return parts[1] if parts[0] == "5" and len(parts) > 1 else ""


def group_key(kode: str) -> str:
    """The group a line is shown under: pendapatan, belanja per bidang, penerimaan/pengeluaran pembiayaan."""
    parts = kode.split(".")
    return ".".join(parts[:2]) if parts[0] in ("5", "6") else "4"


def group_label(key: str) -> str:
    if key == "4":
        return _("Pendapatan")
    if key.startswith("5."):
        return _("Belanja bidang %(n)s %(name)s") % {"n": key[2:], "name": BIDANG_NAMES.get(key[2:], "")}
    return _("Penerimaan pembiayaan") if key == "6.1" else _("Pengeluaran pembiayaan")


@dataclass(frozen=True)
class Line:
    kode: str
    amount: Decimal
    fund_source: str = ""


def _prefixes(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def has_prefix(kode: str, prefix: str) -> bool:
    """Kode segments, not characters: 5.1 covers 5.1.2 but not 5.10.1."""
    return kode == prefix or kode.startswith(prefix + ".")


def matches(line: Line, prefixes: str, sources: str) -> bool:
    wanted_prefixes = _prefixes(prefixes)
    wanted_sources = [s.upper() for s in _prefixes(sources)]
    if wanted_prefixes and not any(has_prefix(line.kode, p) for p in wanted_prefixes):
        return False
    return not wanted_sources or line.fund_source.upper() in wanted_sources


def sum_of(lines: Iterable[Line], prefixes: str = "", sources: str = "") -> Decimal:
    return sum((x.amount for x in lines if matches(x, prefixes, sources)), ZERO)


@dataclass(frozen=True)
class Totals:
    pendapatan: Decimal
    belanja: Decimal
    penerimaan_pembiayaan: Decimal
    pengeluaran_pembiayaan: Decimal
    belanja_per_bidang: dict[str, Decimal] = field(default_factory=dict)

    @property
    def surplus(self) -> Decimal:
        """Surplus (positive) or defisit (negative)."""
        return self.pendapatan - self.belanja

    @property
    def pembiayaan_netto(self) -> Decimal:
        return self.penerimaan_pembiayaan - self.pengeluaran_pembiayaan

    @property
    def silpa(self) -> Decimal:
        """Sisa lebih of the plan: a balanced APBDes has none."""
        return self.surplus + self.pembiayaan_netto


def totals(lines: Iterable[Line]) -> Totals:
    lines = list(lines)
    return Totals(
        pendapatan=sum_of(lines, "4"),
        belanja=sum_of(lines, "5"),
        penerimaan_pembiayaan=sum_of(lines, "6.1"),
        pengeluaran_pembiayaan=sum_of(lines, "6.2"),
        belanja_per_bidang={b: sum_of(lines, f"5.{b}") for b in BIDANG_NAMES},
    )


@dataclass(frozen=True)
class Rule:
    label: str
    kind: str = "share"
    numerator_prefixes: str = ""
    numerator_sources: str = ""
    denominator_prefixes: str = ""
    denominator_sources: str = ""
    min_percent: Decimal | None = None
    max_percent: Decimal | None = None
    text: str = ""


@dataclass(frozen=True)
class CheckResult:
    label: str
    passed: bool
    numerator: Decimal
    denominator: Decimal
    percent: Decimal | None
    explanation: str
    text: str = ""


def _pct(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.2f}".replace(".", ",")


def check(rule: Rule, lines: list[Line]) -> CheckResult:
    """One rule applied to the lines, with the figures that decided it."""
    if rule.kind == "balance":
        t = totals(lines)
        return CheckResult(
            rule.label,
            t.silpa == 0,
            t.surplus,
            t.pembiayaan_netto,
            None,
            _("Surplus/defisit %(s)s + pembiayaan netto %(p)s = SiLPA %(r)s (harus 0)")
            % {"s": rupiah(t.surplus), "p": rupiah(t.pembiayaan_netto), "r": rupiah(t.silpa)},
            rule.text,
        )
    numerator = sum_of(lines, rule.numerator_prefixes, rule.numerator_sources)
    denominator = sum_of(lines, rule.denominator_prefixes, rule.denominator_sources)
    percent = None if denominator == 0 else (numerator * 100 / denominator).quantize(Decimal("0.01"))
    if percent is None:
        passed = numerator == 0 and rule.min_percent in (None, 0)
    else:
        passed = (rule.min_percent is None or percent >= rule.min_percent) and (
            rule.max_percent is None or percent <= rule.max_percent
        )
    bounds = []
    if rule.min_percent is not None:
        bounds.append(_("paling sedikit %(p)s%%") % {"p": _pct(rule.min_percent)})
    if rule.max_percent is not None:
        bounds.append(_("paling banyak %(p)s%%") % {"p": _pct(rule.max_percent)})
    explanation = _("%(n)s dari %(d)s = %(p)s%% (%(bounds)s)") % {
        "n": rupiah(numerator),
        "d": rupiah(denominator),
        "p": _pct(percent),
        "bounds": ", ".join(bounds) or "-",
    }
    return CheckResult(rule.label, passed, numerator, denominator, percent, explanation, rule.text)


def checks(rules: Iterable[Rule], lines: Iterable[Line]) -> list[CheckResult]:
    lines = list(lines)
    return [check(r, lines) for r in rules]


# The evaluation clock ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    received_on: dt.date
    due_on: dt.date
    remaining: int  # working days left after today (0 on the last day); negative: working days overdue
    done_on: dt.date | None = None
    at: dt.date | None = None  # the day judged: the signature's, else today

    @property
    def overdue(self) -> bool:
        # By date: on a weekend or holiday right after the due day no working day has passed yet, but the
        # deadline has.
        return self.remaining < 0 or (self.at is not None and self.at > self.due_on)

    @property
    def overdue_days(self) -> int:
        return max(-self.remaining, 1 if self.overdue else 0)


def evaluation_clock(
    received_on: dt.date,
    today: dt.date,
    cal: WorkCalendar,
    *,
    done_on: dt.date | None = None,
    days: int = EVALUATION_WORKING_DAYS,
) -> Clock:
    """The evaluation's deadline (``days`` working days after receipt) and where ``today`` — or the day it
    was signed, once it is — stands against it."""
    due = cal.add_working_days(received_on, days)
    at = done_on or today
    remaining = cal.working_days_between(at, due) if at <= due else -cal.working_days_between(due, at)
    return Clock(received_on, due, remaining, done_on, at)


def can_sign(outcome: str) -> bool:
    """A version is signed once; a desa that must revise imports a new version, which is signed anew."""
    return not outcome


# Money ------------------------------------------------------------------------------------------------------


def rupiah(value) -> str:
    """1234567 -> "Rp 1.234.567" (the format of musrenbang/exports.py, which monev may not import)."""
    if value is None:
        return "-"
    amount = int(Decimal(value).quantize(Decimal(1)))
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")
