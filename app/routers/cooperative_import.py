from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status

from app.core.spreadsheets import XLSX_MEDIA_TYPE
from app.errors import problems
from app.http.body_limit import max_body_bytes
from app.http.idempotency import WriterDep
from app.http.json_bodies import StrictJSONRoute
from app.services import cooperative_import
from app.services.cooperative_import import (
    MAX_FILE_BYTES,
    MAX_REQUEST_BYTES,
    CooperativeImportReport,
)

router = APIRouter(tags=["cooperatives"], route_class=StrictJSONRoute)


@router.post(
    "/cooperatives/import",
    status_code=status.HTTP_201_CREATED,
    responses=problems(409, 413, 415),
    openapi_extra={
        **max_body_bytes(MAX_REQUEST_BYTES),
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "encoding": {"file": {"contentType": f"text/csv, {XLSX_MEDIA_TYPE}"}}
                }
            }
        },
    },
)
async def import_cooperatives(
    writer: WriterDep,
    file: Annotated[
        UploadFile,
        File(description="The cooperatives as .csv (UTF-8 or Windows-1252; `,` or `;`) or .xlsx."),
    ],
) -> CooperativeImportReport:
    """Register many cooperatives from a spreadsheet, **all or nothing**.

    Row 1 holds the headers (case-insensitive; the field name or its Indonesian header):

    | field | Indonesian header | |
    |---|---|---|
    | `name` | Nama Koperasi | required |
    | `village_code` | Kode Desa | required: a desa or kelurahan, e.g. 64.02.12.2001 |
    | `is_joint` | Koperasi Bersama | ya/tidak (TRUE/FALSE) |
    | `business_units` | Unit Usaha | e.g. `gerai_sembako, simpan_pinjam` |
    | `business_units_other` | Unit Usaha Lainnya | required with `lainnya` |
    | `members_male`, `members_female` | Anggota Laki-laki, Anggota Perempuan | whole numbers |
    | `is_active` | Aktif | ya/tidak |
    | `last_rat_year` | Tahun RAT Terakhir | |
    | `contact_phone` | Telepon | |
    | `akta_number`, `akta_date` | Nomor Akta, Tanggal Akta | dates 2025-06-20 or 20/06/2025 |
    | `notary_name` | Notaris | |
    | `sk_ahu_number`, `sk_ahu_date` | Nomor SK AHU, Tanggal SK AHU | |
    | `nik_koperasi`, `nib`, `npwp` | NIK Koperasi, NIB, NPWP | |

    Other columns are ignored and listed in the report. An XLSX is read from its first sheet.

    Each row is checked like `POST /cooperatives`: its fields, its village (loaded, a desa or
    kelurahan, within your region) and one cooperative per village unless joint, against the
    other rows and against the registry. If any row is wrong nothing is written: the 422 lists
    every bad row and column in `errors` (`loc: ["file", "row", 7, "npwp"]`, numbered as the
    spreadsheet shows them, header = row 1). At most 48 MB (413) and 100,000 rows (422) per
    file: the whole country fits in one."""
    content = await file.read(MAX_FILE_BYTES + 1)
    return await cooperative_import.import_cooperatives(
        writer, content=content, file_name=file.filename, content_type=file.content_type
    )
