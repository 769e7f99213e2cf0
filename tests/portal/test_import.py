import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from portal.models import Perangkat
from portal.perangkat_import import COLUMNS, ImportRejected, build_template, perangkat_import_xlsx

pytestmark = pytest.mark.django_db
HEADER = [label for _key, label in COLUMNS]


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
    assert "Baris 3: jabatan 'Kaur X' tidak dikenal" in errors
    assert "Baris 4: jenis kelamin 'Q' harus L atau P" in errors
    assert "Baris 4: Tanggal Mulai (dd/mm/yyyy) '31/02/2020' bukan tanggal dd/mm/yyyy" in errors
    assert not Perangkat.objects.filter(nama__in=["Ahmad Fauzi", "Budi", "Cici"]).exists()


def test_invalid_nik_is_named(tenancy):
    data = workbook(("35.24.13.2001", "Cici", "Staf", "", "12345", "", "P", ""))
    with pytest.raises(ImportRejected) as exc:
        perangkat_import_xlsx(actor=tenancy.kasi_tapem, data=data)
    assert exc.value.errors == ["Baris 2: NIK — NIK harus terdiri dari 16 angka."]


def test_operator_cannot_import_into_another_desa(tenancy):
    data = workbook(("35.24.13.2002", "Penyusup", "Staf", "", "", "", "L", ""))
    with pytest.raises(ImportRejected) as exc:
        perangkat_import_xlsx(actor=tenancy.operator_a, data=data)
    assert exc.value.errors == ["Baris 2: kode desa '35.24.13.2002' tidak dikenal"]
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
    assert exc.value.errors == ["Berkas bukan Excel (.xlsx) yang valid."]


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
    assert "Baris 2: jabatan &#x27;Kaur X&#x27; tidak dikenal" in response.content.decode()
    upload = io.BytesIO(workbook(("", "Budi Santoso", "Staf", "", "", "", "L", "")))
    upload.name = "perangkat.xlsx"
    response = client.post(reverse("perangkat-import"), {"berkas": upload})
    assert response.status_code == 302
    assert Perangkat.objects.get(nama="Budi Santoso").desa == tenancy.desa_a


def test_kepala_desa_cannot_import(client, tenancy):
    client.force_login(tenancy.kades_a)
    assert client.get(reverse("perangkat-import")).status_code == 403
