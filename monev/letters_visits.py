"""The visit report (laporan hasil monev) on the kecamatan's letterhead, through ``portal.letters``."""

from __future__ import annotations

from monev.models_visits import Visit
from portal import letters


def visit_letter(visit: Visit) -> letters.Letter:
    """Findings, recommendations, checklist and who went; signed by the Camat (``portal.letters``)."""
    team = [u.get_full_name() or u.username for u in visit.team.all()]
    context = {
        "visit": visit,
        "desa": visit.desa.nama,
        "visit_date": letters.date_text(visit.visit_date),
        "team": team + visit.other_member_names,
        "answers": list(visit.answers.all()),
        "findings": list(visit.findings.all()),
        "recommendations": [{"rec": r, "due": letters.date_text(r.due_date)} for r in visit.recommendations.all()],
    }
    return letters.Letter(
        "monev/visits/report_letter.html", kecamatan=visit.desa.kecamatan, number=visit.letter_number, context=context
    )


def visit_report_pdf(visit: Visit) -> bytes:
    return letters.letter_pdf(visit_letter(visit))
