"""Find task tables in a plan document and normalise their rows (pure: text in, rows out)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from engine.importer.columns import EXTRA, ROLES, map_header, role_of
from engine.importer.text import ascii_fold, one_line

__all__ = ["EXTRA", "ROLES", "TABLE_END", "Row", "TaskTable", "find_tables_in_text", "map_header",
           "role_of", "tables_from_rows"]

_ROMAN_OR_LETTER = re.compile(r"^(?:[IVXLC]+|[A-ZĐ])[.)]?$")
_SECTION_TEXT = re.compile(r"^(?:[IVXLC]+|[A-ZĐ])[.)]\s+\S|^(?:Phần|Mục|Nhóm|PHẦN|MỤC|NHÓM)\s"
                           r"|^(?:Giai đoạn|GIAI ĐOẠN)\s+(?:\d|[IVX]+\b)")
_NUMBERED_HEADING = re.compile(r"^\d{1,2}(?:\.\d{1,2})*[.)]\s+\w{2,}.*\w\s+\w")
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")
# Where a task table ends: the receivers' list and the signature block.
TABLE_END = re.compile(r"^(?:Nơi nhận|KT\.|TM\.|Q\.|CHỦ TỊCH|PHÓ CHỦ TỊCH|BỘ TRƯỞNG|THỦ TƯỚNG)",
                       re.I)
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
    spanned: tuple[str, ...] = ()
    guessed: tuple[tuple[str, str], ...] = ()  # (role, why): cells placed by a guess
    absorbed: tuple[str, ...] = ()  # columns that took the cells beyond the header's width

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
    merged: frozenset[int] = frozenset()
    numbered: bool = False  # name the row by its printed number (a grid), not by its line
    at: str = ""  # where in the grid, for notes on rows that are no task (", row 9 from the top")
    guessed: tuple[tuple[str, str], ...] = ()


def find_tables_in_text(text: str) -> list[TaskTable]:
    """Find task tables in a plain-text export whose table rows are tab-separated.

    Copes with cells spanning lines, rows split by page breaks, repeated headers, a header
    over two rows or with a cell on a line of its own, page numbers, section rows,
    column-number rows and total rows.
    """
    lines = text.splitlines()
    tables: list[TaskTable] = []
    i = 0
    while i < len(lines):
        found = _text_header(lines, i) if "\t" in lines[i] else None
        if found is None:
            i += 1
            continue
        columns, used = found
        raws, skipped, end = _collect_text_rows(lines, i + used, len(columns))
        caption = _caption(lines[max(0, i - 8):i])
        tables.append(build_table(raws, columns, caption=caption, where=f"line {i + 1}",
                                  skipped=skipped))
        i = end
    return tables


def _text_header(lines: Sequence[str], i: int) -> tuple[tuple[str, ...], int] | None:
    """The header at line i and how many lines it takes: a second header line (sub-headers
    under a merged "Cơ quan thực hiện") and a header cell that fell onto the next line
    ("Ghi chú" alone) are part of it."""
    rows = [lines[k].split("\t") for k in range(i, min(i + 2, len(lines)))]
    found = header_at(rows, 0)
    if found is None:
        return None
    columns, used = found
    after = lines[i + used].strip() if i + used < len(lines) else ""
    if after and "\t" not in after and len(after) <= 30 and role_of(after) not in (
            "other", "title", "number") and role_of(after) not in columns:
        return (*columns, role_of(after)), used + 1
    return columns, used


def header_at(rows: Sequence[Sequence[str | None]], h: int
              ) -> tuple[tuple[str, ...], int] | None:
    """The column roles if rows[h] starts a header, and how many rows the header takes."""
    first = [c or "" for c in rows[h]]
    if h + 1 < len(rows) and _is_subheader(rows[h + 1]):
        columns = map_header(_merge_header(rows[h], rows[h + 1]))
        if columns is not None:
            return columns, 2
    columns = map_header(first)
    return (columns, 1) if columns is not None else None


def _is_subheader(cells: Sequence[str | None]) -> bool:
    texts = [one_line(c or "") for c in cells]
    filled = [t for t in texts if t]
    if not filled or len(texts) < 3 or len(filled) == len(texts):
        return False
    roles = [role_of(t) for t in filled]
    return all(len(t) <= 40 and not t[:1].isdigit() for t in filled) and \
        all(r not in ("other", "title", "number") for r in roles)


def _merge_header(top: Sequence[str | None], sub: Sequence[str | None]) -> list[str]:
    """Each column's header text from two rows; a top cell merged across the columns of its
    sub-headers stands over each of them."""
    merged: list[str] = []
    carry = ""
    for j in range(max(len(top), len(sub))):
        upper = one_line(top[j] or "") if j < len(top) else ""
        lower = one_line(sub[j] or "") if j < len(sub) else ""
        if upper:
            carry = upper
        elif lower:
            upper = carry
        merged.append(f"{upper} {lower}".strip())
    return merged


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
        if TABLE_END.match(line.strip()):
            break
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
        elif re.fullmatch(r"[-–\s]*\d{1,3}[-–\s]*", line.strip()):
            skipped.append(f"{where}: page number")
        elif (_SECTION_TEXT.match(line.strip()) or _NUMBERED_HEADING.match(line.strip())) \
                and len(line) < 160:
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
    namer = _RowNamer()
    for raw in raws:
        cells = _keyed(raw.cells, columns)
        kind = (raw.section and "section") or _kind_of(raw.cells, cells)
        if kind == "continuation" and raw.merged & _positions(columns, _INHERITED):
            kind = "task"  # its lead or deadline is a cell merged down from the row above
        if kind == "section":
            section = raw.section or " ".join(c.strip() for c in raw.cells if c.strip())
        elif kind in ("column-numbers", "total", "empty", "footer"):
            notes.append(f"{raw.where}{raw.at}: {kind} row")
        elif kind == "continuation" and rows:
            rows[-1] = _merge(rows[-1], cells)
            notes.append(f"{raw.where}{raw.at}: continues the row above (page break)")
        else:
            spanned = tuple(columns[k] for k in sorted(raw.merged) if k < len(columns))
            where = namer.name(raw, one_line(cells.get("number", "")))
            absorbed = (columns[-1],) if len([c for c in raw.cells[len(columns):] if c.strip()]) \
                else ()
            rows.append(_inherit(Row(cells, where, cells.get("number", ""), section,
                                     spanned=spanned, guessed=raw.guessed, absorbed=absorbed),
                                 rows[-1] if rows else None))
    return TaskTable(caption, columns, where, tuple(rows), tuple(notes))


@dataclass
class _RowNamer:
    """Names task rows of a grid as a reader finds them: by the number printed in the row
    ("row 3"), else as the row after a numbered one, else by its place among the rows."""

    last: str = ""
    count: int = 0
    since: int = 0

    def name(self, raw: _Raw, number: str) -> str:
        self.count += 1
        if not raw.numbered:
            return raw.where
        if number:
            self.last, self.since = number.rstrip("."), 0
            return f"{raw.where}, row {self.last}"
        self.since += 1
        if self.last:
            after = f"row {self.last}" + (f" (+{self.since})" if self.since > 1 else "")
            return f"{raw.where}, the unnumbered row after {after}"
        return f"{raw.where}, task row {self.count}"


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
    if number and len(filled) == 2 and not one_line(cells.get("title", "")) \
            and not cells.get("due"):
        return "section"  # "5.1 | | Thương mại": a numbered group heading beside the task column
    if len(filled) == 1 and number == one_line(filled[0]) and _NUMBERED_HEADING.match(number):
        return "section"  # "1. Chuyển đổi số ...", merged across the row
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


def _positions(columns: Sequence[str], roles: Sequence[str]) -> frozenset[int]:
    return frozenset(k for k, role in enumerate(columns) if role in roles)


def _inherit(row: Row, above: Row | None) -> Row:
    if above is None:
        return row
    cells = dict(row.cells)
    taken = []
    # A cell merged down (not just blank) applies to the rows it spans, whatever its role.
    merged = [r for r in row.spanned if r not in _INHERITED and r in ("coordinators", "media",
                                                                      "result", "note")]
    for role in (*_INHERITED, *merged):
        if role in cells and not cells[role] and above.get(role):
            cells[role] = above.get(role)
            taken.append(role)
    return replace(row, cells=cells, inherited=tuple(taken)) if taken else row


def tables_from_rows(grid: Sequence[Sequence[str | None]], *, caption: str, where: str,
                     places: Sequence[str] | None = None, numbered: bool = True,
                     guesses: Sequence[tuple[tuple[str, str], ...]] | None = None
                     ) -> TaskTable | None:
    """A task table from a grid of cell texts (a .docx or PDF table), or None if no header.

    A None cell is the lower part of a cell merged down (or across): a lead or deadline
    cell spanning rows applies to each of them. Rows before the header are ignored; a
    repeated header row is skipped. `places` names where each grid row is ("line 57" of a
    flattened export, "page 3, table 1" of a PDF); rows are named by it, followed (when
    `numbered`) by the number printed in the row. `guesses` are, per grid row, the cells
    a reader of the export placed by a guess, (role, why), for `# CHECK:` marks.
    """
    for h in range(min(len(grid), 5)):
        found = header_at(grid, h)
        if found is None:
            continue
        columns, used = found
        raws: list[_Raw] = []
        skipped: list[str] = []
        for r, cells in enumerate(grid[h + used:], start=h + used + 1):
            texts = [c or "" for c in cells]
            place = places[r - 1] if places else where
            at = f", row {r} from the top" if numbered else ""
            if map_header(texts):
                skipped.append(f"{place}{at}: repeated header row")
            else:
                merged = frozenset(k for k, c in enumerate(cells) if c is None)
                raws.append(_Raw(texts, place, merged=merged, numbered=numbered, at=at,
                                 guessed=tuple(guesses[r - 1]) if guesses else ()))
        return build_table(raws, columns, caption=caption, where=where, skipped=skipped)
    return None
