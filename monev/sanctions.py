"""Teguran against a desa for a late obligation. A written teguran gets a PDF letter through ``portal.letters``
(letterhead, number, signature, storage), its body from the kecamatan's editable template."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.template import Context, Template
from django.utils import timezone
from django.utils.translation import gettext as _

from monev import rules
from monev.choices import State
from monev.models import LetterTemplate, Obligation, Sanction
from portal import files, letters, permissions
from portal.models import User

DEFAULT_BODY = {
    Sanction.Level.TERTULIS_1: (
        "Berdasarkan hasil pemantauan kami, {{ obligation }} Desa {{ desa }} yang seharusnya disampaikan paling "
        "lambat tanggal {{ due_date }}{% if legal_due_date != due_date %} (menurut peraturan {{ legal_due_date }})"
        "{% endif %} sampai saat ini {% if days_late %}terlambat {{ days_late }} hari{% else %}"
        "belum disampaikan{% endif %}.\n\nSehubungan dengan hal tersebut, dengan ini kami memberikan TEGURAN TERTULIS I "
        "kepada Kepala Desa {{ desa }} agar segera menyampaikan dokumen dimaksud kepada Camat {{ kecamatan }}."
    ),
    Sanction.Level.TERTULIS_2: (
        "Menindaklanjuti teguran sebelumnya, {{ obligation }} Desa {{ desa }} (tenggat {{ due_date }}"
        "{% if legal_due_date != due_date %}; menurut peraturan {{ legal_due_date }}{% endif %}) "
        "{% if days_late %}terlambat {{ days_late }} hari{% else %}belum disampaikan{% endif %}.\n\nDengan ini kami "
        "memberikan TEGURAN TERTULIS II. Apabila tidak diindahkan, akan dilaporkan kepada Bupati untuk ditindaklanjuti "
        "sesuai ketentuan peraturan perundang-undangan."
    ),
}


def _is_late(o: Obligation) -> bool:
    return rules.display_state(o.state, o.due_date, timezone.localdate()) == State.TERLAMBAT or o.on_time is False


def sanction_letter(sanction: Sanction) -> letters.Letter:
    """The written teguran: the kecamatan's own body (``LetterTemplate``, else the default of its level) inside
    the common letter of ``portal.letters``."""
    o = sanction.obligation
    kecamatan = o.desa.kecamatan
    body = Template(_body_source(sanction.level, kecamatan)).render(Context(_body_values(sanction), autoescape=True))
    context = {"sanction": sanction, "desa": o.desa.nama, "body": body}
    return letters.Letter(
        "monev/letters/teguran.html", kecamatan=kecamatan, number=sanction.letter_number, context=context
    )


def _body_source(level: str, kecamatan) -> str:
    template = (
        LetterTemplate.objects.filter(level=level, kecamatan=kecamatan).first()
        or LetterTemplate.objects.filter(level=level, kecamatan__isnull=True).first()
    )
    return template.body if template else DEFAULT_BODY[level]


def _body_values(sanction: Sanction) -> dict:
    """The variables an editable body may use (listed in ``LetterTemplate.body``'s help text)."""
    o = sanction.obligation
    kecamatan = o.desa.kecamatan
    return {
        "desa": o.desa.nama,
        "kecamatan": kecamatan.nama,
        "obligation": o.title,
        "due_date": letters.date_text(o.due_date),
        "legal_due_date": letters.date_text(o.legal_due_date),
        "days_late": (o.days_late or max(0, (timezone.localdate() - o.due_date).days)) if o.due_date else 0,
        "nomor": letters.number_text(sanction.letter_number),
        "tanggal": letters.date_text(timezone.localdate()),
        "camat": letters.camat_name(kecamatan),
    }


def sanction_create(
    *, actor: User, obligation: Obligation, level: str, letter_number: str = "", note: str = ""
) -> Sanction:
    if not permissions.can_grant(actor):
        raise PermissionDenied
    if level not in Sanction.Level.values:
        raise ValidationError({"level": _("Tingkat teguran tidak dikenal.")})
    if not _is_late(obligation):
        raise ValidationError(_("Teguran hanya untuk kewajiban yang terlambat."))
    with files.atomic_storage() as stored:
        sanction = Sanction.objects.create(
            desa=obligation.desa,
            obligation=obligation,
            level=level,
            letter_number=letter_number,
            note=note,
            issued_by=actor,
        )
        if level != Sanction.Level.LISAN:
            name, subdir = f"teguran-{sanction.pk}.pdf", f"teguran/{obligation.year}"
            letters.letter_attach(stored, sanction, sanction_letter(sanction), name=name, subdir=subdir)
    return sanction
