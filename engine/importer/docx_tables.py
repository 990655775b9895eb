"""Task tables of a .docx document (python-docx), as grids of cell texts with merges undone."""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.table import Table, _Cell

from engine.importer.table import TaskTable, tables_from_rows


def docx_text(document: DocxDocument) -> str:
    """The body paragraphs of `document`, one per line (for the plan header)."""
    return "\n".join(p.text for p in document.paragraphs)


def find_tables_in_docx(document: DocxDocument) -> list[TaskTable]:
    """Every task table of `document`, with the paragraphs before it as its caption."""
    tables: list[TaskTable] = []
    before: list[str] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            text = "".join(t.text or "" for t in child.iter(qn("w:t"))).strip()
            if text:
                before = [*before[-7:], text]
        elif child.tag == qn("w:tbl"):
            table = Table(child, document)
            # Tables are counted as a reader counts them: the task tables (a letterhead or
            # signature laid out as a table is no table to a reader).
            found = tables_from_rows(_grid(table), caption=" / ".join(before),
                                     where=f"table {len(tables) + 1}")
            if found is not None:
                tables.append(found)
            before = []
    return tables


def _grid(table: Table) -> list[list[str | None]]:
    """Cell texts row by row. A cell merged down is None below its first row (it spans
    those rows: its lead or deadline applies to them) and a cell merged across is blank
    after its first column, as in a text export."""
    grid = []
    for tr in table._tbl.tr_lst:
        row: list[str | None] = []
        for tc in tr.tc_lst:
            text = None if tc.vMerge == "continue" else _cell_text(_Cell(tc, table))
            row += [text] + [""] * (tc.grid_span - 1)
        grid.append(row)
    return grid


def _cell_text(cell: _Cell) -> str:
    return "\n".join(p.text for p in cell.paragraphs)
