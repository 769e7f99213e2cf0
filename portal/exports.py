"""Excel exports. They take an already-scoped queryset: scoping is never decided here."""

from __future__ import annotations

import io

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(workbook: Workbook, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def perangkat_workbook(queryset) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Perangkat"
    header = [
        "Kode Desa",
        "Desa",
        "Nama",
        "Jabatan",
        "Keterangan Jabatan",
        "NIK",
        "NIPD",
        "Jenis Kelamin",
        "Tanggal Mulai",
        "Tanggal Selesai",
        "Aktif",
    ]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for p in queryset.iterator(chunk_size=2000):
        ws.append(
            [
                p.desa.kode,
                p.desa.nama,
                p.nama,
                p.get_jabatan_display(),
                p.keterangan_jabatan,
                p.nik,
                p.nipd,
                p.jenis_kelamin,
                p.tanggal_mulai,
                p.tanggal_selesai,
                "Ya" if p.aktif else "Tidak",
            ]
        )
    for row in ws.iter_rows(min_row=2, min_col=9, max_col=10):
        for cell in row:
            cell.number_format = "DD/MM/YYYY"
    return wb
