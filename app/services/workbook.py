"""The XLSX half of `exports.write`: openpyxl's write-only workbook, kept apart so that only a
worker that writes a workbook loads openpyxl."""

import asyncio
import tempfile
from collections.abc import AsyncIterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.services.exports import FILE_CHUNK_BYTES, BoldRow, Layout, safe_text


async def chunks(
    layout: Layout, headers: list[str], batches: AsyncIterator[list[list[Any]]]
) -> AsyncIterator[bytes]:
    """The workbook, written to a temporary file as the `batches` come, then streamed from it."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(layout.sheet)
    worksheet.freeze_panes = "A2"
    for column, width in enumerate(layout.widths, start=1):
        worksheet.column_dimensions[get_column_letter(column)].width = width
    _append(worksheet, layout, [BoldRow(headers)])
    async for rows in batches:
        # Writing cells is CPU work: keep it off the event loop.
        await asyncio.to_thread(_append, worksheet, layout, rows)
    with tempfile.TemporaryFile() as file:
        await asyncio.to_thread(workbook.save, file)
        file.seek(0)
        while chunk := await asyncio.to_thread(file.read, FILE_CHUNK_BYTES):
            yield chunk


_BOLD = Font(bold=True)
_MONEY_FORMAT = "#,##0;-#,##0"


def _append(worksheet: Any, layout: Layout, rows: list[list[Any]]) -> None:
    for row in rows:
        bold = isinstance(row, BoldRow)
        worksheet.append(
            [_xlsx_cell(worksheet, layout, column, value, bold) for column, value in enumerate(row)]
        )


def _xlsx_cell(worksheet: Any, layout: Layout, column: int, value: Any, bold: bool) -> Any:
    """The value as openpyxl should write it: text always as text (openpyxl would store text
    starting with `=` as a formula, and `#N/A` as an error), amounts formatted, totals bold.
    Most cells need no styling and go as plain values, which openpyxl writes fastest."""
    money = layout.money_from is not None and column >= layout.money_from
    formula = False
    if isinstance(value, str):
        value, formula = safe_text(value)
        if not (formula or value in ERROR_CODES or bold):
            return value
    elif not (bold or (money and isinstance(value, int))):
        return value
    cell = WriteOnlyCell(worksheet, value)
    if isinstance(value, str):
        cell.data_type = "s"
        cell.quotePrefix = formula
    elif money:
        cell.number_format = _MONEY_FORMAT
    if bold:
        cell.font = _BOLD
    return cell
