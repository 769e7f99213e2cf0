"""Teguran against a desa for a late obligation. A written teguran gets a PDF letter (WeasyPrint) made from
the kecamatan's editable template and letterhead, stored like every other file (private, SHA-256)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from monev import rules
from monev.choices import State
from monev.models import LetterTemplate, Obligation, Sanction
from portal import files, permissions
from portal.choices import Role
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


def letter_pdf(sanction: Sanction) -> bytes:
    from weasyprint import HTML

    o = sanction.obligation
    kecamatan = o.desa.kecamatan
    template = (
        LetterTemplate.objects.filter(level=sanction.level, kecamatan=kecamatan).first()
        or LetterTemplate.objects.filter(level=sanction.level, kecamatan__isnull=True).first()
    )
    body_source = template.body if template else DEFAULT_BODY[sanction.level]
    camat = User.objects.filter(kecamatan=kecamatan, role=Role.CAMAT, is_active=True).first()
    values = {
        "desa": o.desa.nama, "kecamatan": kecamatan.nama, "obligation": o.title,
        "due_date": o.due_date.strftime("%d/%m/%Y") if o.due_date else "-",
        "legal_due_date": o.legal_due_date.strftime("%d/%m/%Y") if o.legal_due_date else "-",
        "days_late": o.days_late or max(0, (timezone.localdate() - o.due_date).days) if o.due_date else 0,
        "nomor": sanction.letter_number or "-", "tanggal": timezone.localdate().strftime("%d/%m/%Y"),
        "camat": camat.get_full_name() if camat else "",
    }  # fmt: skip
    body = Template(body_source).render(Context(values, autoescape=True))
    html = render_to_string(
        "monev/letters/teguran.html",
        {"kecamatan": kecamatan, "sanction": sanction, "body": body, **values},
    )
    return HTML(string=html).write_pdf()


def sanction_create(
    *, actor: User, obligation: Obligation, level: str, letter_number: str = "", note: str = ""
) -> Sanction:
    if not permissions.can_grant(actor):
        raise PermissionDenied
    if level not in Sanction.Level.values:
        raise ValidationError({"level": _("Tingkat teguran tidak dikenal.")})
    if not _is_late(obligation):
        raise ValidationError(_("Teguran hanya untuk kewajiban yang terlambat."))
    stored: list[str] = []
    try:
        with transaction.atomic():
            sanction = Sanction.objects.create(
                desa=obligation.desa, obligation=obligation, level=level, letter_number=letter_number, note=note,
                issued_by=actor,
            )  # fmt: skip
            if level != Sanction.Level.LISAN:
                path, sha256 = files.store_generated(
                    letter_pdf(sanction), name=f"teguran-{sanction.pk}.pdf", kind=files.KIND_PDF,
                    subdir=f"teguran/{obligation.year}",
                )  # fmt: skip
                stored.append(path)
                sanction.letter_path, sanction.letter_sha256 = path, sha256
                sanction.save(update_fields=["letter_path", "letter_sha256"])
    except Exception:
        for path in stored:
            files.delete_stored(path)
        raise
    return sanction
