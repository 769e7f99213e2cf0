"""Musrenbang part of the Pucuk demo, for the cycle of next year's Musrenbang Kecamatan: every desa's
Musdes and Musrenbangdes scheduled, some held with a berita acara (a Musrenbangdes only after its desa's
Musdes; one held before its window, so the board shows "di luar jadwal"), participation counts, and a few
proposals at every step of the flow. Idempotent (skipped once the cycle has meetings)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from musrenbang import services
from musrenbang.choices import Bidang, DocumentRole, FundSource, MeetingKind, ParticipantGroup, ProposalStatus
from musrenbang.models import Meeting
from portal.choices import Role
from portal.models import Kecamatan, User

ACTIVITIES = [
    (Bidang.PEMBANGUNAN, "Pembangunan jalan rabat beton", "m", 250, 185_000_000),
    (Bidang.PEMBANGUNAN, "Normalisasi saluran irigasi tersier", "m", 400, 95_000_000),
    (Bidang.PEMBERDAYAAN, "Pelatihan pengolahan hasil perikanan", "orang", 30, 25_000_000),
    (Bidang.PEMBINAAN, "Pembinaan karang taruna", "kegiatan", 4, 15_000_000),
    (Bidang.PEMERINTAHAN, "Pengadaan komputer kantor desa", "unit", 2, 20_000_000),
    (Bidang.BENCANA, "Pembuatan tanggul penahan banjir", "m", 120, 150_000_000),
]


def _pdf(title: str) -> SimpleUploadedFile:
    from weasyprint import HTML

    return SimpleUploadedFile(f"{title}.pdf", HTML(string=f"<h1>{title}</h1><p>Demo.</p>").write_pdf())


def demo_load() -> None:
    kecamatan = Kecamatan.objects.filter(kode="35.24.13").first()
    staff = User.objects.filter(kecamatan=kecamatan, role=Role.KASI_TAPEM).first() if kecamatan else None
    if kecamatan is None or staff is None:
        return
    today = timezone.localdate()
    year = today.year + 1 if today.month >= 7 else today.year
    if Meeting.objects.filter(kecamatan=kecamatan, year=year).exists():
        return
    musdes = services.meetings_schedule(
        actor=staff, kecamatan=kecamatan, year=year, kind=MeetingKind.MUSDES, planned_date=dt.date(year - 1, 5, 20)
    )
    start, end = services.rules.default_window(MeetingKind.MUSRENBANGDES, year)
    musren = services.meetings_schedule(
        actor=staff,
        kecamatan=kecamatan,
        year=year,
        kind=MeetingKind.MUSRENBANGDES,
        planned_date=min(max(today, start), end),
    )
    services.meetings_schedule(
        actor=staff, kecamatan=kecamatan, year=year, kind=MeetingKind.KECAMATAN, planned_date=dt.date(year, 2, 5)
    )
    rng = random.Random(year)
    musdes_held = set()
    early = None  # one desa holds its Musrenbangdes before the window opens: the board shows "di luar jadwal"
    for index, meeting in enumerate(musdes + musren):
        if meeting.planned_date > today:
            continue
        if meeting.kind == MeetingKind.MUSDES:
            if index % 3 == 2:
                continue  # some not held yet: the board shows them late
            musdes_held.add(meeting.desa_id)
        elif meeting.desa_id not in musdes_held:
            continue  # a Musrenbangdes comes after the desa's Musdes
        held, with_ba = meeting.planned_date, index % 4 != 3
        if meeting.kind == MeetingKind.MUSRENBANGDES and with_ba and early is None:
            early, held = meeting, start - dt.timedelta(days=6)
        services.meeting_record(actor=staff, meeting=meeting, held_date=held, place="Balai Desa")
        if with_ba:  # most have a berita acara (real PDFs); the rest show as missing it
            services.meeting_document_add(
                actor=staff, meeting=meeting, role=DocumentRole.BERITA_ACARA, upload=_pdf(f"Berita acara {meeting}")
            )
        services.participation_set(
            actor=staff,
            meeting=meeting,
            counts={
                ParticipantGroup.BPD: (rng.randint(3, 6), rng.randint(0, 2)),
                ParticipantGroup.PERANGKAT: (rng.randint(5, 8), rng.randint(1, 3)),
                ParticipantGroup.TOKOH_MASYARAKAT: (rng.randint(3, 8), rng.randint(0, 2)),
                ParticipantGroup.PEREMPUAN: (0, rng.randint(2, 6)),
                ParticipantGroup.PEMUDA: (rng.randint(1, 4), rng.randint(0, 3)),
            },
        )
    for meeting in musren:
        for rank, (bidang, activity, unit, volume, cost) in enumerate(rng.sample(ACTIVITIES, 3), start=1):
            proposal = services.proposal_create(
                actor=staff,
                desa=meeting.desa,
                year=year,
                bidang=bidang,
                activity=activity,
                location="Dusun I",
                volume=Decimal(volume),
                unit=unit,
                estimated_cost=Decimal(cost),
                fund_source=FundSource.APBD_KAB,
                beneficiaries="Warga desa",
                desa_rank=rank,
            )
            if rank == 1:
                services.proposal_move(
                    actor=staff, proposal=proposal, to_status=ProposalStatus.DIBAHAS, score=Decimal(rng.randint(60, 95))
                )
