"""Task tables of a PDF with a text layer (pdfplumber), a table continued over pages joined."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.importer.table import TaskTable, header_at, tables_from_rows

Grid = list[list[str | None]]


def read_pdf(pdf: Any) -> tuple[str, list[TaskTable]]:
    """The text of an open `pdfplumber.PDF` (for the plan header) and its task tables.

    A table whose page holds no header continues the table of the page before (the
    same number of columns): its rows are appended, so a row split by the page break is
    joined as in a text export.
    """
    texts: list[str] = []
    grids: list[tuple[str, str, Grid]] = []
    for number, page in enumerate(pdf.pages, start=1):
        texts.append(page.extract_text() or "")
        for k, table in enumerate(page.find_tables()):
            rows: Grid = [[_clean(c) for c in row] for row in table.extract()]
            if not rows:
                continue
            if grids and not _has_header(rows) and k == 0 and _width(grids[-1][2]) == _width(rows):
                grids[-1][2].extend(rows)
                continue
            above = page.within_bbox((0, 0, page.width, table.bbox[1])).extract_text() or ""
            caption = " / ".join(line.strip() for line in above.splitlines()[-8:] if line.strip())
            grids.append((caption, f"page {number}, table {k + 1}", rows))
    tables = [found for caption, where, grid in grids
              if (found := tables_from_rows(grid, caption=caption, where=where)) is not None]
    return "\n".join(texts), tables


def _clean(cell: str | None) -> str | None:
    return None if cell is None else cell.replace("\u00a0", " ")


def _has_header(rows: Sequence[Sequence[str | None]]) -> bool:
    return any(header_at(rows, h) is not None for h in range(min(len(rows), 3)))


def _width(rows: Sequence[Sequence[str | None]]) -> int:
    return max((len(r) for r in rows), default=0)
