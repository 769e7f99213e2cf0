import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from portal import imports, services
from portal.imports import ImportRejected
from portal.models import Perangkat
from portal.perangkat_import import COLUMNS, build_template, perangkat_import_xlsx
from tests.factories import PerangkatFactory

pytestmark = pytest.mark.django_db
HEADER = [column.header for column in COLUMNS]


def workbook(*rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_template_has_the_expected_header():
    ws = load_workbook(io.BytesIO(build_template())).active
    assert [c.value for c in ws[1]] == HEADER


def test_valid_rows_are_imported(tenancy):
    data = workbook(
        ("35.24.13.2001", "Ahmad Fauzi", "Kaur Keuangan", "", "3524130101850001", "", "L", "01/02/2021"),
        ("", "Nur Hasanah", "kasun", "Dusun Krajan", "", "", "P", None),
    )
    result = perangkat_import_xlsx(actor=tenancy.operator_a, data=data)
    assert (result.created, result.updated) == (2, 0)
    kasun = Perangkat.objects.get(nama="Nur Hasanah")
    assert kasun.jabatan == "kepala_dusun" and kasun.desa == tenancy.desa_a


def test_one_bad_row_rejects_all_and_names_row_and_column(tenancy):
    data = workbook(
        ("35.24.13.2001", "Ahmad Fauzi", "Kaur Keuangan", "", "", "", "L", ""),
        ("35.24.13.2001", "Budi", "Kaur X", "", "", "", "L", ""),
        ("35.24.13.2001", "Cici", "Staf", "", "12345", "", "Q", "31/02/2020"),
    )
    with pytest.raises(ImportRejected) as exc:
        perangkat_import_xlsx(actor=tenancy.kasi_tapem, data=data)
    errors = exc.value.errors
    assert "Baris 3, kolom Jabatan: 'Kaur X' bukan jabatan; isi salah satu jabatan (lihat lembar Petunjuk)" in errors
    assert "Baris 4, kolom Jenis Kelamin: 'Q' harus L atau P" in errors
    assert "Baris 4, kolom Tanggal Mulai: '31/02/2020' bukan tanggal dd/mm/yyyy" in errors
    assert not Perangkat.objects.filter(nama__in=["Ahmad Fauzi", "Budi", "Cici"]).exists()


def test_invalid_nik_is_named(tenancy):
    data = workbook(("35.24.13.2001", "Cici", "Staf", "", "12345", "", "P", ""))
    with pytest.raises(ImportRejected) as exc:
        perangkat_import_xlsx(actor=tenancy.kasi_tapem, data=data)
    assert exc.value.errors == ["Baris 2, kolom NIK: NIK harus terdiri dari 16 angka."]


def test_operator_cannot_import_into_another_desa(tenancy):
    data = workbook(("35.24.13.2002", "Penyusup", "Staf", "", "", "", "L", ""))
    with pytest.raises(ImportRejected) as exc:
        perangkat_import_xlsx(actor=tenancy.operator_a, data=data)
    assert exc.value.errors == ["Baris 2, kolom Kode Desa: '35.24.13.2002' tidak dikenal"]
    assert not Perangkat.objects.filter(nama="Penyusup").exists()


def test_reimport_updates_by_nik_instead_of_duplicating(tenancy):
    row = ("35.24.13.2001", "Ahmad Fauzi", "Kaur Keuangan", "", "3524130101850001", "", "L", "")
    perangkat_import_xlsx(actor=tenancy.operator_a, data=workbook(row))
    changed = row[:2] + ("Sekretaris Desa",) + row[3:]
    result = perangkat_import_xlsx(actor=tenancy.operator_a, data=workbook(changed))
    assert (result.created, result.updated) == (0, 1)
    assert Perangkat.objects.get(nik="3524130101850001").jabatan == "sekretaris_desa"


def test_not_an_excel_file_gets_a_clear_error(tenancy):
    with pytest.raises(ImportRejected) as exc:
        perangkat_import_xlsx(actor=tenancy.operator_a, data=b"MZ\x90\x00 not excel")
    assert exc.value.errors == [
        "Isi berkas “impor.xlsx” bukan Excel (.xlsx) yang sah, walaupun namanya berakhiran .xlsx."
    ]


def test_wrong_header_is_refused(tenancy):
    wb = Workbook()
    wb.active.append(["Nama", "Jabatan"])
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(ImportRejected) as exc:
        perangkat_import_xlsx(actor=tenancy.operator_a, data=buffer.getvalue())
    assert exc.value.errors[0].startswith("Baris 1: judul kolom tidak sesuai templat")


def test_web_import_shows_errors_and_template_downloads(client, tenancy):
    client.force_login(tenancy.operator_a)
    template = client.get(reverse("perangkat-template"))
    assert template.status_code == 200
    assert template["Content-Disposition"] == 'attachment; filename="templat-perangkat-desa.xlsx"'
    upload = io.BytesIO(workbook(("", "Budi", "Kaur X", "", "", "", "L", "")))
    upload.name = "perangkat.xlsx"
    response = client.post(reverse("perangkat-import"), {"berkas": upload})
    assert response.status_code == 200
    assert "Baris 2, kolom Jabatan: &#x27;Kaur X&#x27; bukan jabatan" in response.content.decode()
    upload = io.BytesIO(workbook(("", "Budi Santoso", "Staf", "", "", "", "L", "")))
    upload.name = "perangkat.xlsx"
    response = client.post(reverse("perangkat-import"), {"berkas": upload})
    assert response.status_code == 302
    assert Perangkat.objects.get(nama="Budi Santoso").desa == tenancy.desa_a


def test_kepala_desa_cannot_import(client, tenancy):
    client.force_login(tenancy.kades_a)
    assert client.get(reverse("perangkat-import")).status_code == 403


def test_rows_are_written_through_the_perangkat_services(tenancy, monkeypatch):
    """The import adds no write path of its own: new rows go through ``perangkat_create``, matches through
    ``perangkat_update`` (the form's checks, and a history row each)."""
    calls = []
    for name in ("perangkat_create", "perangkat_update"):
        real = getattr(services, name)
        monkeypatch.setattr(services, name, lambda real=real, name=name, **kw: calls.append(name) or real(**kw))
    perangkat_import_xlsx(
        actor=tenancy.operator_a,
        data=workbook(
            ("", "Ahmad Fauzi", "Kaur Keuangan", "", "3524130101850001", "", "L", ""),
            ("", "Slamet Riyadi", "Kepala Desa", "", "", "", "L", "02/01/2020"),  # the fixture's Kades: a match
        ),
    )
    assert calls == ["perangkat_create", "perangkat_update"]
    assert Perangkat.history.filter(nama="Ahmad Fauzi", history_type="+").count() == 1
    assert tenancy.perangkat_a.history.filter(history_type="~").count() == 1


def test_a_role_that_may_not_manage_perangkat_cannot_import(tenancy):
    with pytest.raises(PermissionDenied):
        perangkat_import_xlsx(actor=tenancy.kades_a, data=workbook(("", "Budi", "Staf", "", "", "", "L", "")))
    assert not Perangkat.objects.filter(nama="Budi").exists()


def test_nik_of_another_desa_or_twice_in_the_file_is_named(tenancy):
    PerangkatFactory(desa=tenancy.other_desa, nama="Orang Lain", jabatan="staf", nik="3524140101850001")
    data = workbook(
        ("", "Ahmad Fauzi", "Staf", "", "3524140101850001", "", "L", ""),
        ("", "Budi", "Staf", "", "3524130101850009", "", "L", ""),
        ("", "Cici", "Staf", "", "3524130101850009", "", "P", ""),
    )
    with pytest.raises(ImportRejected) as exc:
        perangkat_import_xlsx(actor=tenancy.operator_a, data=data)
    assert exc.value.errors == [
        "Baris 2, kolom NIK: 3524140101850001 sudah terdaftar di desa lain",
        "Baris 4, kolom NIK: 3524130101850009 sudah dipakai di baris 3",
    ]
    assert not Perangkat.objects.filter(nama="Budi").exists()  # row 3 was fine, but nothing is kept


def test_kecamatan_staff_must_name_the_desa(tenancy):
    with pytest.raises(ImportRejected) as exc:
        perangkat_import_xlsx(actor=tenancy.kasi_tapem, data=workbook(("", "Budi", "", "", "", "", "", "")))
    assert exc.value.errors == ["Baris 2, kolom Kode Desa: wajib diisi", "Baris 2, kolom Jabatan: wajib diisi"]


def test_the_import_size_limit_is_one_constant_for_every_import(tenancy, client, monkeypatch):
    """``portal.imports.MAX_BYTES`` bounds the web form and the service alike; a refused file is named
    under the file field, and nothing is read."""
    monkeypatch.setattr(imports, "MAX_BYTES", 1000)
    data = workbook(("", "Budi Santoso", "Staf", "", "", "", "L", ""))
    assert len(data) > 1000
    with pytest.raises(ImportRejected) as exc:
        perangkat_import_xlsx(actor=tenancy.operator_a, data=data)
    assert exc.value.errors == ["Berkas terlalu besar: maksimal 1000 byte."]
    client.force_login(tenancy.operator_a)
    upload = io.BytesIO(data)
    upload.name = "perangkat.xlsx"
    response = client.post(reverse("perangkat-import"), {"berkas": upload})
    assert response.status_code == 200
    assert response.context["form"].errors["berkas"] == ["Berkas terlalu besar: maksimal 1000 byte."]
    assert not Perangkat.objects.filter(nama="Budi Santoso").exists()


def test_too_many_errors_are_counted_not_listed():
    rejected = ImportRejected([f"Baris {n}, kolom Nama: wajib diisi" for n in range(2, 2 + imports.MAX_ERRORS + 7)])
    assert len(rejected.errors) == imports.MAX_ERRORS + 1
    assert rejected.errors[-1] == "… dan 7 kesalahan lain."
    assert rejected.messages == rejected.errors  # a ValidationError: the API answers it as a 400
