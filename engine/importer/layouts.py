"""Text exports in the shapes tools produce: pipe and Markdown tables (as tab-separated
lines), and tables flattened to one cell per line (engine.importer.flat). Pure."""

from __future__ import annotations

import re

from engine.importer.table import TaskTable

_BOLD = re.compile(r"\*{1,3}([^*]+)\*{1,3}")  # Markdown emphasis: "**I**" is the section "I"
_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")


def pipes_to_tabs(text: str) -> str:
    """Pipe-separated and Markdown table lines as tab-separated lines, line for line (a
    Markdown rule line "|---|---|" becomes blank); other lines are kept."""
    out = []
    for line in text.splitlines():
        bare = line.strip()
        if bare.count("|") < 2 or "\t" in bare:
            out.append(line)
        elif _RULE.match(bare):
            out.append("")
        else:
            cells = bare.replace("\\|", "\x00").removeprefix("|").removesuffix("|").split("|")
            out.append("\t".join(_BOLD.sub(r"\1", c.strip()).replace("\x00", "|")
                                 for c in cells))
    return "\n".join(out)


def find_tables_in_export(text: str) -> list[TaskTable]:
    """Task tables of a text export in any shape: tab-, pipe- or Markdown-separated rows,
    HTML table rows, cells between lone "|" lines, or, when there are none, one cell per line."""
    from engine.importer.barred import find_barred_tables, looks_barred
    from engine.importer.flat import find_flattened_tables
    from engine.importer.html_tables import find_html_tables, has_html_tables
    from engine.importer.table import find_tables_in_text

    found = find_html_tables(text) if has_html_tables(text) else []
    found = found or find_tables_in_text(pipes_to_tabs(text))
    if not found and looks_barred(text):
        found = find_barred_tables(text)
    return found or find_flattened_tables(text)
