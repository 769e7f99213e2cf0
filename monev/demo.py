"""Monev part of the Pucuk demo: holidays, example SPJ schedules, this year's and next year's obligations,
and a realistic spread of submissions (on time, late, returned, missing). Idempotent."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from monev import rules, services
from monev.choices import State
from monev.models import DocumentType, DocumentTypeSchedule, Obligation
from portal.calendar import holidays_sync
from portal.choices import Role
from portal.models import Desa, User

# Example dates only: the real ones come each year from the PMK (Dana Desa) and the Perbup (ADD).
EXAMPLE_SCHEDULES = {
    "SPJ_DD": [("TAHAP1", "Tahap I", 7, 31), ("TAHAP2", "Tahap II", 12, 15)],
    "SPJ_ADD": [("TAHAP1", "Tahap I", 4, 30), ("TAHAP2", "Tahap II", 8, 31), ("TAHAP3", "Tahap III", 12, 15)],
}


def demo_pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def demo_load() -> None:
    year = timezone.localdate().year
    holidays_sync(years=[year - 1, year, year + 1])
    for code, rows in EXAMPLE_SCHEDULES.items():
        doc_type = DocumentType.objects.get(code=code)
        for y in (year, year + 1):
            for period, label, month, day in rows:
                DocumentTypeSchedule.objects.get_or_create(
                    document_type=doc_type,
                    year=y,
                    period=period,
                    defaults={"period_label": label, "due_date": dt.date(y, month, day)},
                )
    for y in (year, year + 1):
        services.obligations_generate(year=y)
    if not Obligation.objects.filter(year=year).exclude(state=State.BELUM).exists():
        for y in (year, year + 1):
            _demo_budget_chain(y)
        _demo_activity(year)
    services.obligations_mark_overdue(today=timezone.localdate())
    _demo_indicators()
    _demo_budget_rules(year)
    _demo_visits()


# Checklist items per evaluation type: a starting point the kecamatan edits in the admin.
CHECKLISTS = {
    "apbdes": (
        "Evaluasi APBDes: Raperdes APBDes dibahas dan disepakati bersama BPD (berita acara ada)",
        "APBDes memuat seluruh pendapatan, belanja per bidang dan pembiayaan",
        "Pagu Dana Desa sesuai rincian dari pemerintah kabupaten",
        "APBDes diunggah/diumumkan kepada masyarakat (baliho atau papan informasi)",
    ),
    "administrasi": (
        "Buku administrasi umum desa (peraturan desa, keputusan kepala desa, inventaris) diisi",
        "Buku kas umum dan buku pembantu bank sesuai saldo rekening kas desa",
        "Arsip SPJ tersimpan per kegiatan",
    ),
}


def _demo_budget_rules(year: int) -> None:
    """A shared rule set per budget year with the balance check (SiLPA nol); shares such as the Dana Desa
    earmarks depend on the year's regulation and the desa's coding, so the kecamatan adds them in the admin."""
    from monev.models_apbdes import BudgetCheckRule, BudgetRuleSet, CheckKind

    for y in (year, year + 1):
        rules, created = BudgetRuleSet.objects.get_or_create(
            year=y,
            kecamatan=None,
            defaults={
                "name": f"Pemeriksaan APBDes {y}",
                "legal_basis": "Permendagri 20/2018 tentang Pengelolaan Keuangan Desa",
            },
        )
        if created:
            BudgetCheckRule.objects.create(
                rule_set=rules,
                kind=CheckKind.BALANCE,
                label="Surplus/defisit ditutup pembiayaan netto (SiLPA akhir nol)",
            )


def _demo_visits() -> None:
    """Checklist templates, and one monev visit to the first desa two months ago with a finding and a
    recommendation now past its due date, so the home pages and the IKU show the flow."""
    from monev.models_visits import ChecklistTemplate, ChecklistTemplateItem, Visit
    from monev.services_visits import finding_add, recommendation_add, visit_save

    for visit_type, items in CHECKLISTS.items():
        template, created = ChecklistTemplate.objects.get_or_create(
            visit_type=visit_type, defaults={"title": f"Daftar periksa {visit_type}"}
        )
        if created:
            ChecklistTemplateItem.objects.bulk_create(
                ChecklistTemplateItem(template=template, text=text, sort_order=i) for i, text in enumerate(items)
            )
    kasi = User.objects.filter(role=Role.KASI_TAPEM, is_active=True).order_by("pk").first()
    desa = Desa.objects.order_by("kode").first()
    if kasi is None or desa is None or Visit.objects.exists():
        return
    today = timezone.localdate()
    visit = visit_save(
        actor=kasi,
        desa=desa,
        visit_type="apbdes",
        mode="kunjungan",
        visit_date=today - dt.timedelta(days=60),
        team=[kasi],
        other_members="Pendamping Desa Kecamatan Pucuk",
        summary="Monev pelaksanaan APBDes semester I.",
    )
    finding = finding_add(actor=kasi, visit=visit, text="APBDes belum dipasang di papan informasi desa.")
    recommendation_add(
        actor=kasi,
        visit=visit,
        finding=finding,
        text="Pasang baliho APBDes di balai desa dan unggah fotonya.",
        responsible="Sekretaris Desa",
        due_date=today - dt.timedelta(days=20),
    )


def _demo_indicators() -> None:
    """The Renstra's indicators and targets, and the IKM results it reports, entered as by the Camat."""
    from monev.services_iku import plan_demo

    camat = User.objects.filter(role=Role.CAMAT, is_active=True).order_by("pk").first()
    if camat is not None:
        plan_demo(actor=camat)


CHAIN = ("RAPERDES_APBDES", "EVALUASI_APBDES", "PERBAIKAN_APBDES")


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, rng.randint(0, 59))))


def _backdate(submission, obligation: Obligation, when: dt.datetime, accepted: bool) -> None:
    """Demo history: move a submission (and what it decided) to a plausible past moment."""
    submission.__class__.objects.filter(pk=submission.pk).update(submitted_at=when)
    fields = {"first_submitted_at": when, "basis_submitted_at": when}
    if accepted:
        submission.__class__.objects.filter(pk=submission.pk).update(reviewed_at=when)
        on_time, days_late = rules.timeliness(when.date(), obligation.due_date)
        fields.update(accepted_at=when, on_time=on_time, days_late=days_late)
    Obligation.objects.filter(pk=obligation.pk).update(**fields)


def _demo_budget_chain(year: int) -> None:
    """The APBDes chain in its legal order for most desa: BPD agreement in late October N-1, the Raperdes
    handed in within days, the kecamatan's evaluation (some "perlu perbaikan", with the desa's revision)
    — and a few desa that run late or set the APBDes before the evaluation, as happens."""
    today = timezone.localdate()
    reviewer = User.objects.filter(role="kasi_tapem").first()
    raperdes_rows = Obligation.objects.filter(year=year, document_type__code="RAPERDES_APBDES").select_related(
        "desa", "document_type"
    )
    for raperdes in raperdes_rows:
        operator = User.objects.filter(role="operator_desa", desa=raperdes.desa).first()
        rng = random.Random(f"chain-{raperdes.desa.kode}-{year}")
        agreed = dt.date(year - 1, 10, rng.randint(14, 31))
        if operator is None or reviewer is None or agreed >= today:
            continue
        raperdes = services.obligation_set_trigger(actor=operator, obligation=raperdes, trigger_date=agreed)
        sent_day = agreed + dt.timedelta(days=rng.choice([1, 2, 3, 3, 5, 9]))
        if sent_day >= today or rng.random() > 0.9:
            continue
        upload = SimpleUploadedFile("raperdes-apbdes.pdf", demo_pdf(raperdes.title))
        submission = services.submission_create(actor=operator, obligation=raperdes, document=upload)
        sent = _at(sent_day, rng)
        _backdate(submission, raperdes, sent, accepted=False)
        submission.refresh_from_db()
        services.submission_review(actor=reviewer, submission=submission, decision="accept")
        evaluasi = Obligation.objects.get(desa=raperdes.desa, year=year, document_type__code="EVALUASI_APBDES")
        evaluasi = services.obligation_set_trigger(actor=reviewer, obligation=evaluasi, trigger_date=sent_day)
        _demo_evaluation(evaluasi, reviewer, operator, rng, today)


def _demo_evaluation(evaluasi: Obligation, reviewer: User, operator: User, rng: random.Random, today) -> None:
    evaluated_day = sent = evaluasi.trigger_date + dt.timedelta(days=rng.randint(8, 34))
    if evaluated_day >= today or rng.random() > 0.85:
        return  # not evaluated yet (late when its 20 hari kerja have passed)
    outcome = "perlu_perbaikan" if rng.random() < 0.25 else "sesuai"
    upload = SimpleUploadedFile("hasil-evaluasi.pdf", demo_pdf(evaluasi.title))
    submission = services.submission_create(actor=reviewer, obligation=evaluasi, document=upload, outcome=outcome)
    sent = _at(evaluated_day, rng)
    evaluasi.refresh_from_db()
    _backdate(submission, evaluasi, sent, accepted=True)
    for revision in Obligation.objects.filter(desa=evaluasi.desa, year=evaluasi.year, document_type__code=CHAIN[2]):
        revision = services.obligation_set_trigger(actor=reviewer, obligation=revision, trigger_date=evaluated_day)
        fixed_day = evaluated_day + dt.timedelta(days=rng.randint(5, 20))
        if fixed_day < today:
            upload = SimpleUploadedFile("perbaikan-raperdes.pdf", demo_pdf(revision.title))
            fixed = services.submission_create(actor=operator, obligation=revision, document=upload)
            _backdate(fixed, revision, _at(fixed_day, rng), accepted=False)
            fixed.refresh_from_db()
            services.submission_review(actor=reviewer, submission=fixed, decision="accept")


def _demo_activity(year: int) -> None:
    today = timezone.localdate()
    reviewer = User.objects.filter(role="kasi_tapem").first()
    for obligation in Obligation.objects.filter(year=year, due_date__isnull=False).select_related(
        "desa", "document_type"
    ):
        if obligation.document_type.responsible != "desa" or obligation.document_type.code in CHAIN:
            continue  # the kecamatan's own duties, and the budget chain (above)
        operator = User.objects.filter(role="operator_desa", desa=obligation.desa).first()
        if operator is None or reviewer is None:
            continue
        rng = random.Random(f"{obligation.desa.kode}-{obligation.document_type.code}-{obligation.period}")
        roll = rng.random()
        past_due = obligation.due_date < today
        if (past_due and roll > 0.85) or (not past_due and roll > 0.25):
            continue  # nothing sent (late, or simply not due yet)
        upload = SimpleUploadedFile(f"{obligation.document_type.code.lower()}.pdf", demo_pdf(obligation.title))
        submission = services.submission_create(
            actor=operator, obligation=obligation, document=upload, document_number=f"{rng.randint(1, 20)}/{year}"
        )
        if not past_due:
            continue
        # Back-date the demo submission to a plausible day around its due date.
        sent = timezone.make_aware(
            dt.datetime.combine(
                obligation.due_date - dt.timedelta(days=rng.randint(-12, 10)), dt.time(9, rng.randint(0, 59))
            )
        )
        submission.__class__.objects.filter(pk=submission.pk).update(submitted_at=sent)
        Obligation.objects.filter(pk=obligation.pk).update(first_submitted_at=sent, basis_submitted_at=sent)
        submission.refresh_from_db()
        decision = "return" if roll > 0.75 else "accept"
        note = "Lampiran daftar kegiatan belum ada; mohon dilengkapi." if decision == "return" else ""
        services.submission_review(actor=reviewer, submission=submission, decision=decision, note=note)
