"""Find task tables in a plan document and normalise their rows (pure: text in, rows out)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from engine.importer.text import ascii_fold, one_line

# Column roles, recognised from header words (ASCII-folded). Order matters: the first rule
# that matches a header cell wins ("Cơ quan truyền thông" is media, not lead).
_HEADER_RULES: tuple[tuple[str, str], ...] = (
    ("number", r"^(?:s ?t ?t|t ?t|so tt|so thu tu|no\.?)$"),
    ("budget", r"kinh phi|du toan|budget"),
    ("media", r"truyen thong|bao chi"),
    ("coordinators", r"phoi hop"),
    ("due", r"thoi gian|thoi han|hoan thanh|tien do|thoi diem|deadline"),
    ("result", r"ket qua|san pham"),
    ("note", r"ghi chu"),
    ("lead", r"chu tri|thuc hien|dau moi|trach nhiem|don vi|co quan"),
    ("title", r"nhiem vu|noi dung|cong viec|hoat dong|ten "),
)
ROLES = ("number", "title", "lead", "coordinators", "media", "due", "result", "budget", "note")
_ROMAN_OR_LETTER = re.compile(r"^(?:[IVXLC]+|[A-ZĐ])[.)]?$")
_SECTION_TEXT = re.compile(r"^(?:[IVXLC]+|[A-ZĐ])[.)]\s+\S|^(?:Phần|Mục|Nhóm|PHẦN|MỤC)\s")
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")
_TOTAL = re.compile(r"^(?:tong|cong|bang chu)\b")


@dataclass(frozen=True)
class Row:
    """One task row of a table, its cells keyed by role."""

    cells: dict[str, str]
    where: str
    number: str = ""
    section: str | None = None
    inherited: tuple[str, ...] = ()
    continued: bool = False

    def get(self, role: str) -> str:
        """The cell text for `role`, "" when the table has no such column."""
        return self.cells.get(role, "")


@dataclass(frozen=True)
class TaskTable:
    """A task table: what preceded it, its column roles and its rows."""

    caption: str
    columns: tuple[str, ...]
    where: str
    rows: tuple[Row, ...] = ()
    skipped: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class _Raw:
    cells: list[str]
    where: str
    section: str | None = None


def map_header(cells: Sequence[str]) -> tuple[str, ...] | None:
    """The role of each column if `cells` is a task-table header, else None.

    A header names at least a task column and a lead or deadline column.
    """
    texts = [one_line(cell) for cell in cells]
    if any(len(text) > 80 for text in texts) or (texts and texts[0][:1].isdigit()):
        return None
    roles = tuple(_role_of(cell) for cell in cells)
    if "title" in roles and ("lead" in roles or "due" in roles):
        return roles
    return None


def _role_of(cell: str) -> str:
    text = ascii_fold(one_line(cell)).strip(" :.")
    if not text:
        return "other"
    for role, pattern in _HEADER_RULES:
        if re.search(pattern, text):
            return role
    return "other"


def find_tables_in_text(text: str) -> list[TaskTable]:
    """Find task tables in a plain-text export whose table rows are tab-separated.

    Copes with cells spanning lines, rows split by page breaks, repeated headers,
    page numbers, section rows, column-number rows and total rows.
    """
    lines = text.splitlines()
    tables: list[TaskTable] = []
    i = 0
    while i < len(lines):
        columns = map_header(lines[i].split("\t")) if "\t" in lines[i] else None
        if columns is None:
            i += 1
            continue
        raws, skipped, end = _collect_text_rows(lines, i + 1, len(columns))
        caption = _caption(lines[max(0, i - 8):i])
        tables.append(build_table(raws, columns, caption=caption, where=f"line {i + 1}",
                                  skipped=skipped))
        i = end
    return tables


def _caption(lines: Iterable[str]) -> str:
    return " / ".join(line.strip() for line in lines if line.strip())


def _collect_text_rows(lines: list[str], start: int, width: int
                       ) -> tuple[list[_Raw], list[str], int]:
    raws: list[_Raw] = []
    skipped: list[str] = []
    i = start
    while i < len(lines):
        line, where = lines[i], f"line {i + 1}"
        open_row = bool(raws) and len(raws[-1].cells) < width and raws[-1].section is None
        if not line.strip():
            pass
        elif "\t" in line:
            cells = line.split("\t")
            if map_header(cells):
                skipped.append(f"{where}: repeated header row")
            elif open_row:
                raws[-1].cells[-1] += "\n" + cells[0]
                raws[-1].cells.extend(cells[1:])
            else:
                raws.append(_Raw(cells, where))
        elif open_row:
            raws[-1].cells[-1] += "\n" + line
        elif line.strip().isdigit():
            skipped.append(f"{where}: page number")
        elif _SECTION_TEXT.match(line.strip()) and len(line) < 160:
            raws.append(_Raw([], where, section=line.strip()))
        else:
            break
        i += 1
    return raws, skipped, i


def build_table(raws: Sequence[_Raw], columns: tuple[str, ...], *, caption: str, where: str,
                skipped: Sequence[str] = ()) -> TaskTable:
    """Turn raw rows into task rows: drop column-number and total rows, merge split rows,
    carry section titles, and fill blank lead and deadline cells from the row above."""
    rows: list[Row] = []
    notes = list(skipped)
    section: str | None = None
    for raw in raws:
        cells = _keyed(raw.cells, columns)
        kind = (raw.section and "section") or _kind_of(raw.cells, cells)
        if kind == "section":
            section = raw.section or " ".join(c.strip() for c in raw.cells if c.strip())
        elif kind in ("column-numbers", "total", "empty", "footer"):
            notes.append(f"{raw.where}: {kind} row")
        elif kind == "continuation" and rows:
            rows[-1] = _merge(rows[-1], cells)
            notes.append(f"{raw.where}: continues the row above (page break)")
        else:
            rows.append(_inherit(Row(cells, raw.where, cells.get("number", ""), section),
                                 rows[-1] if rows else None))
    return TaskTable(caption, columns, where, tuple(rows), tuple(notes))


def _keyed(cells: Sequence[str], columns: Sequence[str]) -> dict[str, str]:
    keyed: dict[str, str] = {}
    for role, cell in zip(columns, cells, strict=False):
        if role != "other":
            text = cell.strip()
            keyed[role] = f"{keyed[role]}\n{text}".strip() if role in keyed else text
    if len(cells) > len(columns) and columns:
        extra = " ".join(c.strip() for c in cells[len(columns):] if c.strip())
        last = columns[-1]
        keyed[last] = f"{keyed.get(last, '')} {extra}".strip()
    return keyed


def _kind_of(raw: Sequence[str], cells: dict[str, str]) -> str:
    filled = [c.strip() for c in raw if c.strip()]
    number = one_line(cells.get("number", ""))
    if not filled:
        return "empty"
    if all(_COLUMN_NUMBER.match(c) for c in filled) and len(filled) >= 3:
        return "column-numbers"
    if _TOTAL.match(ascii_fold(number or filled[0])) and not number[:1].isdigit():
        return "total"
    if _ROMAN_OR_LETTER.match(number) and not _has_task(cells):
        return "section"
    if len(filled) == 1 and (_SECTION_TEXT.match(filled[0]) or filled[0].isupper()):
        return "section"
    if not number and _is_continuation(cells):
        return "continuation"
    if not one_line(cells.get("title", "")) and not number[:1].isdigit():
        return "footer"
    return "task"


def _has_task(cells: dict[str, str]) -> bool:
    return any(cells.get(role) for role in ("lead", "due", "coordinators"))


def _is_continuation(cells: dict[str, str]) -> bool:
    title = one_line(cells.get("title", ""))
    starts_low = bool(title) and not title[0].isupper() and not title[0].isdigit()
    return starts_low or not (cells.get("lead") or cells.get("due"))


def _merge(row: Row, more: dict[str, str]) -> Row:
    cells = dict(row.cells)
    for role, text in more.items():
        if text:
            cells[role] = f"{cells.get(role, '')} {text}".strip()
    return replace(row, cells=cells, continued=True)


# A merged cell exported as text leaves the cells below it blank; a task cannot lack a lead
# or a deadline, so those two inherit. Notes and coordinators may truly be blank.
_INHERITED = ("lead", "due")


def _inherit(row: Row, above: Row | None) -> Row:
    if above is None:
        return row
    cells = dict(row.cells)
    taken = []
    for role in _INHERITED:
        if role in cells and not cells[role] and above.get(role):
            cells[role] = above.get(role)
            taken.append(role)
    return replace(row, cells=cells, inherited=tuple(taken)) if taken else row


def tables_from_rows(grid: Sequence[Sequence[str]], *, caption: str, where: str
                     ) -> TaskTable | None:
    """A task table from a grid of cell texts (e.g. a .docx table), or None if no header.

    Rows before the header are ignored; a repeated header row is skipped.
    """
    for h, header in enumerate(grid[:5]):
        columns = map_header(header)
        if columns is None:
            continue
        raws: list[_Raw] = []
        skipped: list[str] = []
        for r, cells in enumerate(grid[h + 1:], start=h + 2):
            if map_header(cells):
                skipped.append(f"{where}, row {r}: repeated header row")
            else:
                raws.append(_Raw(list(cells), f"{where}, row {r}"))
        return build_table(raws, columns, caption=caption, where=where, skipped=skipped)
    return None
