from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status

from app.core.spreadsheets import XLSX_MEDIA_TYPE
from app.errors import problems
from app.http.body_limit import max_body_bytes
from app.http.idempotency import WriterDep
from app.http.json_bodies import StrictJSONRoute
from app.models.region import REGION_CODE_PATTERN
from app.services import budget_import
from app.services.budget_import import (
    MAX_FILE_BYTES,
    MAX_REQUEST_BYTES,
    BudgetImportReport,
)

router = APIRouter(tags=["budget"], route_class=StrictJSONRoute)


@router.post(
    "/budget-lines/import",
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
async def import_budget_lines(
    writer: WriterDep,
    file: Annotated[
        UploadFile,
        File(description="The DPA as .csv (UTF-8 or Windows-1252; `,` or `;`) or .xlsx."),
    ],
    fiscal_year: Annotated[
        int | None,
        Query(ge=2000, le=2100, description="For every row, unless the file has a Tahun column."),
    ] = None,
    region_code: Annotated[
        str | None,
        Query(
            pattern=REGION_CODE_PATTERN,
            description="The office whose budget it is, for every row, unless the file has a "
            "Kode Wilayah column.",
        ),
    ] = None,
) -> BudgetImportReport:
    """Import the budget lines of the office's DPA spreadsheet, **all or nothing**.

    Row 1 holds the headers (case-insensitive; English or Indonesian):

    | field | Indonesian header |
    |---|---|
    | `sub_kegiatan_code` | Kode Sub Kegiatan |
    | `sub_kegiatan_name` | Nama Sub Kegiatan |
    | `kode_rekening` | Kode Rekening |
    | `name` | Uraian |
    | `original_ceiling` | Pagu / Pagu Awal / Anggaran Awal |
    | `skpd` | SKPD |
    | `fiscal_year` (optional) | Tahun / Tahun Anggaran |
    | `region_code` (optional) | Kode Wilayah |

    Amounts are integer rupiah, written `45000000` or `45.000.000`; decimals and negative
    amounts are refused. Other columns are ignored and listed in the report. An XLSX is read
    from its first sheet.

    Each row is checked like `POST /budget-lines`, against the other rows and against the
    existing lines. If any row is wrong nothing is written: the 422 lists every bad row and
    column in `errors` (`loc: ["file", "row", 7, "kode_rekening"]`, numbered as the
    spreadsheet shows them, header = row 1). At most 2 MB (413) and 5,000 lines (422) per
    file."""
    content = await file.read(MAX_FILE_BYTES + 1)
    return await budget_import.import_lines(
        writer,
        content=content,
        file_name=file.filename,
        content_type=file.content_type,
        fiscal_year=fiscal_year,
        region_code=region_code,
    )
