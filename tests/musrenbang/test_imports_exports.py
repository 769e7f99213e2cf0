"""Excel imports (proposals, participants) and exports (usulan workbook, berita acara PDF) of Musrenbang."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from musrenbang import exports, imports, selectors, services
from musrenbang.choices import Bidang, DocumentRole, FundSource, MeetingKind, ParticipantGroup, ProposalStatus
from musrenbang.models import MeetingDocument, Participant, Proposal
from portal import imports as portal_imports
from portal.imports import MAX_ERRORS, CellError, ImportRejected, parse_rupiah

YEAR = 2026  # Musrenbangdes in Jul–Sep 2025, the kecamatan forum in Jan–Feb 2026: all in the past
PROPOSAL_HEADER = [c.header for c in imports.PROPOSAL_COLUMNS]
PARTICIPANT_HEADER = ["Nama", "Kelompok", "Jenis kelamin (L/P)", "Asal/jabatan"]


def xlsx(header: list, rows: list[list | None]) -> bytes:
    """A workbook with the header in row 1 and ``rows`` from row 2 (None = an empty row)."""
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row or [])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def from_template(template: bytes, rows: list[list | None]) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    for offset, row in enumerate(rows, start=2):
        for col, value in enumerate(row or [], start=1):
            ws.cell(row=offset, column=col, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def good_row(activity="Rabat beton jalan Dusun Krajan", cost=1_250_000, rank=1, bidang="2"):
    return [bidang, "Jalan desa", activity, "Dusun Krajan", 250, "m", cost, "dd", "Warga Dusun Krajan", rank]


def make(actor, desa, activity, cost, rank=1, bidang=Bidang.PEMBANGUNAN, year=YEAR):
    return services.proposal_create(
        actor=actor,
        desa=desa,
        year=year,
        bidang=bidang,
        sub_bidang="",
        activity=activity,
        location="Dusun I",
        volume=Decimal("100"),
        unit="m",
        estimated_cost=Decimal(cost),
        fund_source=FundSource.APBD_KAB,
        beneficiaries="Warga",
        desa_rank=rank,
    )


def move(actor, proposal, *steps):
    for step in steps:
        kwargs = {}
        if isinstance(step, tuple):
            step, kwargs = step
        proposal = services.proposal_move(actor=actor, proposal=proposal, to_status=step, **kwargs)
    return proposal


def messages_of(excinfo) -> list[str]:
    return excinfo.value.messages


# Cell parsing -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1250000, 1250000),
        (1250000.0, 1250000),
        ("1.250.000", 1250000),
        ("Rp 1.250.000,-", 1250000),
        ("Rp. 1.250.000,00", 1250000),
        ("750000", 750000),
        (Decimal("42"), 42),
    ],
)
def test_parse_rupiah_accepts_numbers_and_indonesian_text(value, expected):
    assert parse_rupiah(value) == Decimal(expected)


@pytest.mark.parametrize("value", [1250000.5, "1.250.000,50", "1,250,000", "1.25", "satu juta", -5, True])
def test_parse_rupiah_refuses_decimals_and_other_formats(value):
    with pytest.raises(CellError):
        parse_rupiah(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(250, "250"), (12.5, "12.5"), ("12,5", "12.5"), ("1.250", "1250"), ("1.250,75", "1250.75"), ("2.5", "2.5")],
)
def test_parse_volume(value, expected):
    assert imports.parse_volume(value) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", "1"),
        (5, "5"),
        (2.0, "2"),
        ("Pelaksanaan Pembangunan Desa", "2"),
        ("pemberdayaan masyarakat desa", "4"),
        ("3. Pembinaan Kemasyarakatan Desa", "3"),
        ("Bencana", "5"),
    ],
)
def test_parse_bidang(value, expected):
    assert imports.parse_bidang(value) == expected


@pytest.mark.parametrize("value", ["6", "0", "2. Pembinaan Kemasyarakatan Desa", "jalan"])
def test_parse_bidang_refuses_unknown(value):
    with pytest.raises(CellError):
        imports.parse_bidang(value)


@pytest.mark.parametrize(
    ("value", "expected"), [("DD", "dd"), ("apbd_kab", "apbd_kab"), ("APBD Kabupaten", "apbd_kab"), ("dana desa", "dd")]
)
def test_parse_fund_source(value, expected):
    assert imports.parse_fund_source(value) == expected


# Proposals import -------------------------------------------------------------------------------------------


def test_template_has_the_columns_and_the_codes():
    wb = load_workbook(io.BytesIO(imports.proposals_template_xlsx()))
    assert wb.sheetnames == ["Usulan", "Kode"]
    header = [c.value for c in wb["Usulan"][1]]
    assert header == PROPOSAL_HEADER
    assert header[0] == "Bidang (1-5)" and header[6] == "Perkiraan biaya (Rp)" and header[-1] == "Prioritas desa"
    codes = {(row[0], row[1]) for row in wb["Kode"].iter_rows(values_only=True)}
    assert {(b.value, str(b.label)) for b in Bidang} <= codes
    assert {(f.value, str(f.label)) for f in FundSource} <= codes


def test_good_import_creates_the_proposals(tenancy):
    data = from_template(
        imports.proposals_template_xlsx(),
        [
            [
                "2",
                "Jalan desa",
                "Rabat beton jalan Dusun Krajan",
                "Dusun Krajan",
                250,
                "m",
                "1.250.000",
                "DD",
                "Warga Dusun Krajan",
                1,
            ],
            None,  # an empty row in the middle is skipped
            [
                "Pemberdayaan Masyarakat Desa",
                "",
                "Pelatihan menjahit",
                "",
                "12,5",
                "orang",
                25_000_000,
                "APBD Kabupaten",
                "Ibu-ibu PKK",
                "2",
            ],
        ],
    )
    created = imports.proposals_import_xlsx(actor=tenancy.operator_a, desa=tenancy.desa_a, year=YEAR, data=data)

    assert len(created) == 2
    assert Proposal.objects.count() == 2
    first, second = Proposal.objects.order_by("desa_rank")
    assert (first.desa, first.year, first.bidang) == (tenancy.desa_a, YEAR, Bidang.PEMBANGUNAN)
    assert first.activity == "Rabat beton jalan Dusun Krajan"
    assert first.estimated_cost == Decimal(1_250_000)
    assert first.volume == Decimal(250) and first.unit == "m" and first.fund_source == FundSource.DD
    assert first.sub_bidang == "Jalan desa" and first.location == "Dusun Krajan"
    assert first.beneficiaries == "Warga Dusun Krajan" and first.desa_rank == 1
    assert first.status == ProposalStatus.DIUSULKAN and first.created_by == tenancy.operator_a
    assert second.bidang == Bidang.PEMBERDAYAAN
    assert second.volume == Decimal("12.5") and second.estimated_cost == Decimal(25_000_000)
    assert second.fund_source == FundSource.APBD_KAB and second.desa_rank == 2
    assert second.transitions.count() == 1  # created through the service: a transition row each


def test_import_with_errors_creates_nothing_and_names_rows_and_columns(tenancy):
    data = xlsx(
        PROPOSAL_HEADER,
        [
            good_row(),  # row 2
            good_row(cost="1.250.000,50"),  # row 3
            good_row(rank=2),  # row 4
            ["9", "", "Tanggul", "", 10, "m", 5_000_000, "dana kaget", "", 3],  # row 5
            ["1", "", "", "", 1, "unit", 1_000_000, "dd", "", 4],  # row 6
        ],
    )
    with pytest.raises(ValidationError) as excinfo:
        imports.proposals_import_xlsx(actor=tenancy.operator_a, desa=tenancy.desa_a, year=YEAR, data=data)

    assert Proposal.objects.count() == 0  # rows 2 and 4 were fine, but nothing is kept
    messages = messages_of(excinfo)
    assert any(m.startswith("Baris 3, kolom Perkiraan biaya: harus angka rupiah tanpa desimal") for m in messages)
    assert any(m.startswith("Baris 5, kolom Bidang:") for m in messages)
    assert any(m.startswith("Baris 5, kolom Sumber dana:") and "dana kaget" in m for m in messages)
    assert "Baris 6, kolom Kegiatan: wajib diisi" in messages
    assert not [m for m in messages if m.startswith(("Baris 2", "Baris 4"))]
    assert len(messages) == 4


def test_model_limits_are_reported_per_row(tenancy):
    data = xlsx(PROPOSAL_HEADER, [good_row(), good_row(activity="x" * 301)])
    with pytest.raises(ValidationError) as excinfo:
        imports.proposals_import_xlsx(actor=tenancy.operator_a, desa=tenancy.desa_a, year=YEAR, data=data)
    messages = messages_of(excinfo)
    assert len(messages) == 1 and messages[0].startswith("Baris 3, kolom Kegiatan:")
    assert Proposal.objects.count() == 0


def test_errors_are_capped(tenancy):
    data = xlsx(PROPOSAL_HEADER, [good_row(bidang="7") for _ in range(60)])
    with pytest.raises(ValidationError) as excinfo:
        imports.proposals_import_xlsx(actor=tenancy.operator_a, desa=tenancy.desa_a, year=YEAR, data=data)
    messages = messages_of(excinfo)
    assert len(messages) == MAX_ERRORS + 1
    assert messages[-1] == "… dan 10 kesalahan lain."


WRONG_TYPE = "Isi berkas “impor.xlsx” bukan Excel (.xlsx) yang sah, walaupun namanya berakhiran .xlsx."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n", WRONG_TYPE),
        (b"Bidang;Kegiatan;Volume\n2;Rabat beton;250\n", WRONG_TYPE),
        (b"PK\x03\x04 not really a zip", "Berkas Excel rusak atau tidak dapat dibuka."),
        (b"", "Berkas kosong."),
    ],
    ids=["pdf", "csv-text", "broken-zip", "empty"],
)
def test_non_xlsx_is_refused_by_content(tenancy, data, message):
    with pytest.raises(ValidationError) as excinfo:
        imports.proposals_import_xlsx(actor=tenancy.operator_a, desa=tenancy.desa_a, year=YEAR, data=data)
    assert messages_of(excinfo) == [message]
    assert Proposal.objects.count() == 0


def test_file_without_data_rows_or_with_another_header_is_refused(tenancy):
    with pytest.raises(ValidationError) as excinfo:
        imports.proposals_import_xlsx(
            actor=tenancy.operator_a, desa=tenancy.desa_a, year=YEAR, data=imports.proposals_template_xlsx()
        )
    assert messages_of(excinfo)[0].startswith("Berkas tidak berisi baris data")

    other_header = ["Kode Desa", "Nama", "Jabatan"]
    with pytest.raises(ValidationError) as excinfo:
        imports.proposals_import_xlsx(
            actor=tenancy.operator_a, desa=tenancy.desa_a, year=YEAR, data=xlsx(other_header, [["a", "b", "c"]])
        )
    assert messages_of(excinfo)[0].startswith("Baris 1: judul kolom tidak sesuai templat")


def test_only_writers_in_scope_may_import(tenancy):
    data = xlsx(PROPOSAL_HEADER, [good_row()])
    for user in (tenancy.operator_b, tenancy.outsider, tenancy.outsider_operator):
        with pytest.raises(PermissionDenied):
            imports.proposals_import_xlsx(actor=user, desa=tenancy.desa_a, year=YEAR, data=data)
    assert Proposal.objects.count() == 0
    created = imports.proposals_import_xlsx(actor=tenancy.camat, desa=tenancy.desa_a, year=YEAR, data=data)
    assert [p.desa for p in created] == [tenancy.desa_a]


# Participants import ----------------------------------------------------------------------------------------


def _musrenbangdes(tenancy, desa=None):
    return services.meeting_ensure(
        kecamatan=tenancy.kecamatan, desa=desa or tenancy.desa_a, year=YEAR, kind=MeetingKind.MUSRENBANGDES
    )


def test_participants_import_adds_named_participants(tenancy):
    meeting = _musrenbangdes(tenancy)
    template = imports.participants_template_xlsx()
    assert [c.value for c in load_workbook(io.BytesIO(template)).worksheets[0][1]] == PARTICIPANT_HEADER
    data = from_template(
        template,
        [
            ["Siti Aminah", "Perwakilan perempuan", "P", "Ketua PKK"],
            ["Slamet", "bpd", "L", "Ketua BPD"],
            ["Ahmad Fauzi", "Tokoh agama", "laki-laki", ""],
            ["Dewi", "pemuda", "Perempuan", "Karang Taruna"],
        ],
    )
    assert imports.participants_import_xlsx(actor=tenancy.operator_a, meeting=meeting, data=data) == 4

    summary = selectors.participation(meeting)
    assert summary.source == "names"
    assert (summary.men, summary.women, summary.women_share) == (2, 2, 50.0)
    assert summary.by_group[ParticipantGroup.PEREMPUAN] == (0, 1)
    assert summary.by_group[ParticipantGroup.TOKOH_AGAMA] == (1, 0)
    assert Participant.objects.get(name="Slamet").origin == "Ketua BPD"

    # A second sheet adds; it does not replace.
    more = xlsx(PARTICIPANT_HEADER, [["Sri", "kelompok rentan", "P", "Disabilitas"]])
    assert imports.participants_import_xlsx(actor=tenancy.kasi_tapem, meeting=meeting, data=more) == 1
    assert Participant.objects.filter(meeting=meeting).count() == 5
    assert selectors.participation(meeting).women == 3


def test_participants_import_with_errors_adds_nothing(tenancy):
    meeting = _musrenbangdes(tenancy)
    data = xlsx(
        PARTICIPANT_HEADER,
        [["Siti", "perempuan", "P", ""], ["Budi", "bpd", "X", ""], ["Joko", "ketua RT", "L", ""], ["", "bpd", "L", ""]],
    )
    with pytest.raises(ValidationError) as excinfo:
        imports.participants_import_xlsx(actor=tenancy.operator_a, meeting=meeting, data=data)
    messages = messages_of(excinfo)
    assert any(m.startswith("Baris 3, kolom Jenis kelamin:") for m in messages)
    assert any(m.startswith("Baris 4, kolom Kelompok:") and "ketua RT" in m for m in messages)
    assert "Baris 5, kolom Nama: wajib diisi" in messages
    assert len(messages) == 3
    assert Participant.objects.count() == 0
    assert selectors.participation(meeting).source == "none"


def test_participants_import_needs_the_right_to_edit_the_meeting(tenancy):
    meeting = _musrenbangdes(tenancy)
    data = xlsx(PARTICIPANT_HEADER, [["Siti", "perempuan", "P", ""]])
    for user in (tenancy.operator_b, tenancy.outsider):
        with pytest.raises(PermissionDenied):
            imports.participants_import_xlsx(actor=user, meeting=meeting, data=data)
    assert Participant.objects.count() == 0
    with pytest.raises(ValidationError) as excinfo:
        imports.participants_import_xlsx(actor=tenancy.operator_a, meeting=meeting, data=b"just text")
    assert "Excel (.xlsx)" in messages_of(excinfo)[0]


def test_participants_add_checks_the_right_and_every_row(tenancy):
    meeting = _musrenbangdes(tenancy)
    rows = [{"name": "Siti", "group": "perempuan", "gender": "P", "origin": ""}]
    for user in (tenancy.operator_b, tenancy.outsider, tenancy.outsider_operator):
        with pytest.raises(PermissionDenied):
            services.participants_add(actor=user, meeting=meeting, rows=rows)
    bad = {"name": "Budi", "group": "arisan", "gender": "L", "origin": ""}
    with pytest.raises(ValidationError):
        services.participants_add(actor=tenancy.operator_a, meeting=meeting, rows=[*rows, bad])
    assert not Participant.objects.exists()  # all or none
    added = services.participants_add(actor=tenancy.operator_a, meeting=meeting, rows=rows)
    assert [p.name for p in added] == ["Siti"] and Participant.objects.get().meeting == meeting


def test_one_size_limit_for_the_web_the_api_and_the_service(tenancy, client, monkeypatch):
    monkeypatch.setattr(portal_imports, "MAX_BYTES", 1000)
    meeting = _musrenbangdes(tenancy)
    data = xlsx(PARTICIPANT_HEADER, [["Siti", "perempuan", "P", ""]])
    too_large = "Berkas terlalu besar: maksimal 1000 byte."
    api = tenancy.client(tenancy.operator_a)
    response = api.post(
        reverse("api:musrenbang-meeting-participants-import", args=[meeting.pk]),
        {"file": SimpleUploadedFile("hadir.xlsx", data)},
    )
    assert response.status_code == 400 and response.json()["fields"]["file"] == [too_large]
    client.force_login(tenancy.operator_a)
    page = client.post(
        reverse("musrenbang-participants-import", args=[meeting.pk]), {"berkas": SimpleUploadedFile("hadir.xlsx", data)}
    )
    assert page.status_code == 200 and page.context["import_form"].errors["berkas"] == [too_large]
    with pytest.raises(ImportRejected) as excinfo:
        imports.participants_import_xlsx(actor=tenancy.operator_a, meeting=meeting, data=data)
    assert excinfo.value.errors == [too_large]
    assert not Participant.objects.exists()


# Workbook ---------------------------------------------------------------------------------------------------


@pytest.fixture
def cycle(tenancy):
    """Proposals of desa A and B (kecamatan Pucuk) at several steps of the flow, and one of another kecamatan."""
    staff = tenancy.kasi_tapem
    a1 = make(tenancy.operator_a, tenancy.desa_a, "Rabat beton jalan Dusun Krajan", 1_250_000, rank=1)
    a2 = make(tenancy.operator_a, tenancy.desa_a, "Pelatihan menjahit", 25_000_000, rank=2, bidang=Bidang.PEMBERDAYAAN)
    a3 = make(tenancy.operator_a, tenancy.desa_a, "Pengadaan komputer", 20_000_000, rank=3, bidang=Bidang.PEMERINTAHAN)
    b1 = make(tenancy.operator_b, tenancy.desa_b, "Tanggul penahan banjir", 150_000_000, rank=1, bidang=Bidang.BENCANA)
    b2 = make(tenancy.operator_b, tenancy.desa_b, "Normalisasi saluran", 95_000_000, rank=2)
    other = make(tenancy.outsider_operator, tenancy.other_desa, "Kegiatan kecamatan lain", 7_000_000)
    a1 = move(
        staff,
        a1,
        (ProposalStatus.DIBAHAS, {"score": Decimal("70")}),
        ProposalStatus.DITERUSKAN,
        (ProposalStatus.DIAKOMODASI, {"program": "Dinas PU", "accommodated_cost": Decimal(1_000_000)}),
    )
    b1 = move(
        staff,
        b1,
        (ProposalStatus.DIBAHAS, {"score": Decimal("90.5"), "kecamatan_priority": 1}),
        ProposalStatus.DITERUSKAN,
    )
    b2 = move(
        staff,
        b2,
        (ProposalStatus.DIBAHAS, {"score": Decimal("40")}),
        (ProposalStatus.TIDAK_DIAKOMODASI, {"outcome_reason": "Pagu tidak cukup"}),
    )
    return {"a1": a1, "a2": a2, "a3": a3, "b1": b1, "b2": b2, "other": other}


def _sheet_rows(data: bytes, name: str) -> tuple[list, list[dict]]:
    ws = load_workbook(io.BytesIO(data))[name]
    rows = list(ws.iter_rows())
    header = [c.value for c in rows[0]]
    return header, [{h: c for h, c in zip(header, row, strict=True)} for row in rows[1:]]


def test_workbook_has_the_usulan_layout_and_money_as_numbers(tenancy, cycle):
    data = exports.proposals_workbook(user=tenancy.camat, year=YEAR)
    assert load_workbook(io.BytesIO(data)).sheetnames == ["Usulan", "Rekap per desa", "Rekap per bidang"]
    header, rows = _sheet_rows(data, "Usulan")
    assert header == [label for label, _w in exports.USULAN_COLUMNS]
    # Ranked first (score: b1 90.5, a1 70, b2 40), then the proposed ones by desa and desa priority.
    assert [r["Kegiatan"].value for r in rows] == [
        "Tanggul penahan banjir",
        "Rabat beton jalan Dusun Krajan",
        "Normalisasi saluran",
        "Pelatihan menjahit",
        "Pengadaan komputer",
    ]
    assert [r["No"].value for r in rows] == [1, 2, 3, 4, 5]
    a1 = rows[1]
    assert a1["Kode desa"].value == tenancy.desa_a.kode and a1["Desa"].value == tenancy.desa_a.nama
    assert a1["Bidang"].value == "2. Pelaksanaan Pembangunan Desa"
    assert a1["Perkiraan biaya (Rp)"].value == 1_250_000 and isinstance(a1["Perkiraan biaya (Rp)"].value, int)
    assert a1["Perkiraan biaya (Rp)"].number_format == "#,##0"
    assert a1["Pagu ditampung (Rp)"].value == 1_000_000 and a1["Pagu ditampung (Rp)"].number_format == "#,##0"
    assert a1["Status"].value == "Diakomodasi" and a1["Program/OPD"].value == "Dinas PU"
    assert a1["Skor"].value == 70 and a1["Sumber dana"].value == "APBD Kabupaten"
    assert a1["Volume"].value == 100 and a1["Satuan"].value == "m"
    assert rows[0]["Prioritas kecamatan"].value == 1 and rows[0]["Skor"].value == 90.5
    assert rows[2]["Alasan"].value == "Pagu tidak cukup" and rows[2]["Pagu ditampung (Rp)"].value is None
    assert rows[3]["Lanjutan dari tahun"].value is None


def test_workbook_shows_the_year_a_proposal_was_carried_over_from(tenancy):
    old = make(tenancy.operator_a, tenancy.desa_a, "Sumur bor", 30_000_000, year=YEAR - 1)
    old = move(
        tenancy.kasi_tapem,
        old,
        ProposalStatus.DIBAHAS,
        (ProposalStatus.TIDAK_DIAKOMODASI, {"outcome_reason": "Belum prioritas"}),
    )
    services.proposal_carry_over(actor=tenancy.operator_a, proposal=old)
    _header, rows = _sheet_rows(exports.proposals_workbook(user=tenancy.operator_a, year=YEAR), "Usulan")
    assert [(r["Kegiatan"].value, r["Lanjutan dari tahun"].value) for r in rows] == [("Sumur bor", YEAR - 1)]


def test_workbook_holds_only_rows_in_scope(tenancy, cycle):
    def kodes(user, **filters):
        _header, rows = _sheet_rows(exports.proposals_workbook(user=user, year=YEAR, **filters), "Usulan")
        return {r["Kode desa"].value for r in rows}, len(rows)

    assert kodes(tenancy.operator_a) == ({tenancy.desa_a.kode}, 3)
    assert kodes(tenancy.operator_b) == ({tenancy.desa_b.kode}, 2)
    assert kodes(tenancy.camat) == ({tenancy.desa_a.kode, tenancy.desa_b.kode}, 5)
    assert kodes(tenancy.outsider) == ({tenancy.other_desa.kode}, 1)
    # A filter on a desa outside the scope yields nothing, not that desa's rows.
    assert kodes(tenancy.camat, desa=tenancy.other_desa.kode) == (set(), 0)
    assert kodes(tenancy.camat, bidang=Bidang.BENCANA) == ({tenancy.desa_b.kode}, 1)
    assert kodes(tenancy.camat, status=ProposalStatus.DIUSULKAN) == ({tenancy.desa_a.kode}, 2)

    _header, desa_rows = _sheet_rows(exports.proposals_workbook(user=tenancy.operator_a, year=YEAR), "Rekap per desa")
    assert [r["Kode desa"].value for r in desa_rows] == [tenancy.desa_a.kode, "Jumlah"]


def test_rekap_sheets_totals(tenancy, cycle):
    data = exports.proposals_workbook(user=tenancy.camat, year=YEAR)
    _header, desa_rows = _sheet_rows(data, "Rekap per desa")
    by_kode = {r["Kode desa"].value: r for r in desa_rows}
    assert list(by_kode) == [tenancy.desa_a.kode, tenancy.desa_b.kode, "Jumlah"]
    a, b, total = by_kode[tenancy.desa_a.kode], by_kode[tenancy.desa_b.kode], by_kode["Jumlah"]
    assert a["Jumlah usulan"].value == 3 and a["Total perkiraan biaya (Rp)"].value == 46_250_000
    assert a["Usulan diakomodasi"].value == 1 and a["Pagu diakomodasi (Rp)"].value == 1_000_000
    assert a["Sudah diputus"].value == 1 and a["Tercover usulan (%)"].value == 100.0
    assert a["Tercover dana (%)"].value == round(100 * 1_000_000 / 46_250_000, 1)
    assert a["Total perkiraan biaya (Rp)"].number_format == "#,##0"
    assert b["Jumlah usulan"].value == 2 and b["Total perkiraan biaya (Rp)"].value == 245_000_000
    assert b["Usulan diakomodasi"].value == 0 and b["Sudah diputus"].value == 1
    assert b["Tercover usulan (%)"].value == 0.0 and b["Pagu diakomodasi (Rp)"].value == 0
    assert total["Jumlah usulan"].value == 5 and total["Total perkiraan biaya (Rp)"].value == 291_250_000
    assert total["Usulan diakomodasi"].value == 1 and total["Tercover usulan (%)"].value == 50.0
    # The same figures as the selectors' totals (without filters both describe the same proposals).
    expected = selectors.totals(user=tenancy.camat, year=YEAR)
    assert a["Total perkiraan biaya (Rp)"].value == expected[(tenancy.desa_a.pk,)].cost
    assert b["Sudah diputus"].value == expected[(tenancy.desa_b.pk,)].decided

    _header, bidang_rows = _sheet_rows(data, "Rekap per bidang")
    by_code = {r["Kode"].value: r for r in bidang_rows}
    assert list(by_code) == [*Bidang.values, "Jumlah"]
    assert by_code["2"]["Jumlah usulan"].value == 2
    assert by_code["2"]["Total perkiraan biaya (Rp)"].value == 96_250_000
    assert by_code["2"]["Usulan diakomodasi"].value == 1 and by_code["2"]["Tercover usulan (%)"].value == 50.0
    assert by_code["5"]["Total perkiraan biaya (Rp)"].value == 150_000_000
    assert by_code["5"]["Tercover usulan (%)"].value == "-"  # forwarded, not decided yet
    assert by_code["3"]["Jumlah usulan"].value == 0
    assert by_code["Jumlah"]["Total perkiraan biaya (Rp)"].value == 291_250_000
    assert by_code["2"]["Bidang"].value == "Pelaksanaan Pembangunan Desa"


# Berita acara -----------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def test_berita_acara_pdf(tenancy, cycle):
    camat = tenancy.camat
    camat.first_name, camat.last_name = "Budi", "Santoso"
    camat.save()
    forum = services.meetings_schedule(
        actor=tenancy.kasi_tapem,
        kecamatan=tenancy.kecamatan,
        year=YEAR,
        kind=MeetingKind.KECAMATAN,
        planned_date=dt.date(YEAR, 2, 5),
    )[0]
    services.meeting_record(
        actor=tenancy.kasi_tapem, meeting=forum, held_date=dt.date(YEAR, 2, 10), place="Pendopo Kecamatan Pucuk"
    )
    services.participation_set(
        actor=tenancy.kasi_tapem,
        meeting=forum,
        counts={ParticipantGroup.PERANGKAT: (6, 2), ParticipantGroup.PEREMPUAN: (0, 4)},
    )
    musdes_a = services.meeting_ensure(
        kecamatan=tenancy.kecamatan, desa=tenancy.desa_a, year=YEAR, kind=MeetingKind.MUSDES
    )
    services.meeting_record(actor=tenancy.operator_a, meeting=musdes_a, held_date=dt.date(YEAR - 1, 5, 20))
    musren_a = _musrenbangdes(tenancy)
    services.meeting_record(actor=tenancy.operator_a, meeting=musren_a, held_date=dt.date(YEAR - 1, 8, 1))
    MeetingDocument.objects.create(
        meeting=musren_a,
        role=DocumentRole.BERITA_ACARA,
        original_name="ba.pdf",
        stored_path="musrenbang/t/ba.pdf",
        kind="pdf",
        size=1,
        sha256="0" * 64,
        uploaded_by=tenancy.operator_a,
    )

    data = exports.berita_acara_pdf(user=camat, kecamatan=tenancy.kecamatan, year=YEAR)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "PEMERINTAH KABUPATEN LAMONGAN" in text
    assert f"BERITA ACARA MUSRENBANG KECAMATAN PUCUK TAHUN {YEAR}" in text
    assert "10/02/2026" in text and "05/02/2026" in text and "Pendopo Kecamatan Pucuk" in text
    assert "Keterwakilan perempuan: 50%" in text  # 6 of 12
    assert "1 dari 2 desa mengikuti" in text  # A held its Musdes, then its Musrenbangdes with a BA; B did not
    assert "Tanggul penahan banjir" in text and "Rabat beton jalan Dusun Krajan" in text
    assert "Rp 1.250.000" in text and "Rp 150.000.000" in text
    assert "Rp 246.250.000" in text  # the three ranked proposals: 150.000.000 + 1.250.000 + 95.000.000
    assert "Pelatihan menjahit" not in text  # only proposed: not discussed at the kecamatan
    assert "Kegiatan kecamatan lain" not in text
    assert text.index("Tanggul penahan banjir") < text.index("Rabat beton jalan Dusun Krajan")
    assert "Perwakilan Delegasi Desa" in text and "CAMAT PUCUK" in text and "Budi Santoso" in text
    assert "Pucuk, 10/02/2026" in text


def test_berita_acara_without_a_forum_meeting_shows_dashes(tenancy, cycle):
    text = pdf_text(exports.berita_acara_pdf(user=tenancy.camat, kecamatan=tenancy.kecamatan, year=YEAR))
    assert "Tanggal pelaksanaan : -" in text and "Tempat : -" in text
    assert "Belum ada data peserta" in text
    assert "0 dari 2 desa mengikuti" in text
    # The outsider's scope holds none of Pucuk's proposals, even if asked for Pucuk.
    text = pdf_text(exports.berita_acara_pdf(user=tenancy.outsider, kecamatan=tenancy.kecamatan, year=YEAR))
    assert "Tanggul penahan banjir" not in text and "Belum ada usulan yang dibahas" in text


def test_money_and_number_formatting():
    assert exports.rupiah(Decimal(1234567)) == "Rp 1.234.567"
    assert exports.rupiah(0) == "Rp 0" and exports.rupiah(None) == "-"
    assert exports.number_id(Decimal("12.50")) == "12,5" and exports.number_id(Decimal("1250")) == "1.250"
    assert exports.date_id(dt.date(2026, 2, 5)) == "05/02/2026" and exports.date_id(None) == "-"
