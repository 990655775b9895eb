"""Task tables of a PDF with a text layer (pdfplumber), a table continued over pages joined."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from engine.importer.table import TaskTable, tables_from_rows

Grid = list[list[str | None]]


def read_pdf(pdf: Any) -> tuple[str, list[TaskTable]]:
    """The text of an open `pdfplumber.PDF` (for the plan header) and its task tables.

    The first table of a page that starts at the top of the page (no text above it but a
    page number) continues the table of the page before if it has as many columns: its
    rows are appended (a header repeated there is skipped later), so a row split by the
    page break is joined as in a text export.
    """
    texts: list[str] = []
    grids: list[tuple[str, list[int], Grid]] = []  # caption, each row's page, rows
    for number, page in enumerate(pdf.pages, start=1):
        texts.append(page.extract_text() or "")
        for k, table in enumerate(page.find_tables()):
            rows: Grid = [[_clean(c) for c in row] for row in table.extract()]
            if not rows:
                continue
            above = page.within_bbox((0, 0, page.width, table.bbox[1])).extract_text() or ""
            caption = " / ".join(line.strip() for line in above.splitlines()[-8:] if line.strip())
            on_top = not _PAGE_NUMBER.sub("", caption).strip()
            if grids and k == 0 and on_top and _width(grids[-1][2]) == _width(rows):
                grids[-1][2].extend(rows)
                grids[-1][1].extend([number] * len(rows))
                continue
            grids.append((caption, [number] * len(rows), rows))
    tables: list[TaskTable] = []
    for caption, pages, grid in grids:
        # Task tables are counted as a reader counts them; each row is on its own page.
        n = len(tables) + 1
        found = tables_from_rows(grid, caption=caption, where=f"table {n}",
                                 places=[f"page {p}, table {n}" for p in pages])
        if found is not None:
            tables.append(found)
    return "\n".join(texts), tables


def _clean(cell: str | None) -> str | None:
    """A cell's text with the line wraps of the page undone; a new line that starts a list
    item ("- Sở Nội vụ") is kept."""
    if cell is None:
        return None
    return _WRAP.sub(" ", cell.replace("\u00a0", " "))


_WRAP = re.compile(r"[ \t]*\n(?![-+•*]\s)[ \t]*")
_PAGE_NUMBER = re.compile(r"[-–\s]*\d{1,3}[-–\s]*")


def _width(rows: Sequence[Sequence[str | None]]) -> int:
    return max((len(r) for r in rows), default=0)
