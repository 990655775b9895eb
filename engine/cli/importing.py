"""`kehoach import` and `kehoach rollover`: the file-reading shell around engine.importer."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import zipfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from engine.cli.main import EXIT_OK, err, out, require_database, write_output
from engine.core.errors import Location, SpecError
from engine.core.spec import PlanSpec
from engine.importer import Draft, build_draft
from engine.importer.draft import counted, proposals_yaml
from engine.importer.header import plan_year_hint
from engine.importer.layouts import find_tables_in_export
from engine.importer.own_directory import directory_yaml, own_directory
from engine.importer.rollover import roll_over
from engine.importer.table import TaskTable
from engine.importer.unread import unread_regions
from engine.loader import load_directory, load_plan, read_text


def register_cli(subparsers: Any) -> None:
    """Add the `import` and `rollover` sub-commands to the `kehoach` parser."""
    p = subparsers.add_parser(
        "import", help="draft a plan spec from a plan document's task table(s)",
        description="Read the task tables of a plan (a PDF with a text layer, .docx, or a text "
                    "export: tab-, pipe- or Markdown-separated, or one cell per line) and "
                    "write a draft spec; uncertain fields carry '# CHECK:' comments.")
    p.add_argument("doc", type=Path, metavar="DOC",
                   help="the plan document (.pdf, .docx, or a .txt/.md text export)")
    p.add_argument("--directory", type=Path, metavar="DIR",
                   help="the agency directory (YAML) to match agency names against; without "
                        "it, a directory is drafted beside the draft (FILE.directory.yaml)")
    p.add_argument("--year", type=int, help="the plan year (default: read from the document)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="write the draft here (default: standard output)")
    p.set_defaults(command=cmd_import)

    p = subparsers.add_parser(
        "rollover", help="the next year's spec (dates moved) and directory",
        description="Copy a plan spec to a new year, moving its dates; write a directory for "
                    "that year when the current one does not cover it.")
    p.add_argument("spec", type=Path, metavar="SPEC")
    p.add_argument("--to", type=int, required=True, metavar="YEAR", dest="to_year")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="write the new spec here (default: standard output)")
    p.add_argument("--force", action="store_true", help="overwrite an existing directory file")
    p.add_argument("--from-db", action="store_true",
                   help="carry over the instances still open at year end in the database "
                        "(KEHOACH_DATABASE_URL, or kehoach.db in KEHOACH_HOME)")
    p.set_defaults(command=cmd_rollover)


def cmd_import(args: argparse.Namespace) -> int:
    """Write a draft spec from DOC's task tables and print what needs checking."""
    if args.directory is None and args.output is None:
        raise SpecError("give -o FILE when no --directory is given: the drafted directory is "
                        "written beside the draft", location=Location(str(args.doc)))
    directory = load_directory(args.directory) if args.directory else None
    text, tables = read_document(args.doc)
    unread = unread_notes(args.doc, text, tables)
    if not any(t.rows for t in tables):
        hint = ("; a PDF's tables are found by their ruling lines: for a table drawn "
                "without lines, give the .docx or a text export" if
                args.doc.suffix.lower() == ".pdf" else "")
        rows = "".join(f"; {note}" for note in unread)
        raise SpecError("no task table found (looked for a header row naming the task and "
                        "its lead or deadline: 'Nhiệm vụ', 'Cơ quan chủ trì', 'Thời gian'..."
                        f"){hint}{rows}", location=Location(str(args.doc)))
    if directory is None:
        year = args.year or plan_year_hint(text)
        if year is None:
            raise SpecError("no plan year in the title or the date line: give --year",
                            location=Location(str(args.doc)))
        directory = own_directory(text, year=year)
        own = args.output.with_suffix(".directory.yaml")
        ref = own.name
    else:
        base = args.output.parent if args.output else Path.cwd()
        ref = Path(os.path.relpath(args.directory.resolve(), base.resolve())).as_posix()
    draft = build_draft(tables, text=text, directory=directory, directory_ref=ref,
                        year=args.year, drafted=args.directory is None, unread=unread)
    console = out if args.output else err
    _write(args.output, draft.to_yaml(origin=args.doc.name))
    if args.directory is None:
        _write(own, directory_yaml(directory, draft.proposed))
        console.print(f"wrote directory {own}: the issuer and "
                      f"{counted(len(draft.proposed), 'agency')} named in the plan, each "
                      "marked '# CHECK:'")
    elif draft.proposed and args.output:
        extra = args.output.with_suffix(".new-agencies.yaml")
        _write(extra, proposals_yaml(draft.proposed))
        console.print(f"{counted(len(draft.proposed), 'agency')} not in the directory: see "
                      f"{extra}")
    _print_summary(draft, tables, console)
    return EXIT_OK


def unread_notes(path: Path, text: str, tables: list[TaskTable]) -> list[str]:
    """What a text export holds that looks like table rows but no table took, and the tables
    found with no task row (a .docx or PDF is read by its own tables: no such scan)."""
    notes = [f"the table at {t.where} has a header but no task row under it"
             for t in tables if not t.rows]
    if path.suffix.lower() in (".docx", ".pdf"):
        return notes
    found = unread_regions(text, tables)
    return notes + [u.note(any_table=any(t.rows for t in tables)) for u in found]


def read_document(path: Path) -> tuple[str, list[TaskTable]]:
    if path.is_dir():
        raise SpecError("is a folder: give the plan document itself (a .txt text export, a "
                        ".docx or a .pdf file)", location=Location(str(path)))
    if path.suffix.lower() == ".pdf":
        return _read_pdf(path)
    if path.suffix.lower() != ".docx":
        text = read_text(path)
        return text, find_tables_in_export(text)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    from engine.importer.docx_tables import docx_text, find_tables_in_docx
    if not path.is_file():
        raise SpecError("file not found", location=Location(str(path)))
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SpecError(f"not a readable .docx file ({exc})",
                        location=Location(str(path))) from None
    return docx_text(document), find_tables_in_docx(document)


def _read_pdf(path: Path) -> tuple[str, list[TaskTable]]:
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import PdfminerException

    from engine.importer.pdf_tables import read_pdf
    if not path.is_file():
        raise SpecError("file not found", location=Location(str(path)))
    try:
        with pdfplumber.open(str(path)) as pdf:
            text, tables = read_pdf(pdf)
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError, TypeError) as exc:
        raise SpecError(f"not a readable PDF file ({exc.__class__.__name__}: {exc})",
                        location=Location(str(path))) from None
    if not text.strip():
        raise SpecError("the PDF has no text layer (a scan?): run it through OCR first, or "
                        "give the .docx", location=Location(str(path)))
    return text, tables


def _write(path: Path | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    # (Its folder is created: e.g. ../directories beside a new spec.)
    write_output(path, lambda target: target.write_text(text, encoding="utf-8"))


def _print_summary(draft: Draft, tables: list[TaskTable], console: Console) -> None:
    table = Table(title="kehoach import: summary", title_justify="left", show_lines=False)
    for name in ("row", "task", "due", "fields", "certain", "to check"):
        table.add_column(name, overflow="fold")
    for task in draft.tasks:
        fields = task.fields()
        table.add_row(task.where, task.id, task.due, str(len(fields)),
                      str(len(fields) - len(task.doubts)), ", ".join(task.doubts) or "—")
    console.print(table)
    total = sum(len(t.fields()) for t in draft.tasks)
    doubtful = sum(len(t.doubts) for t in draft.tasks)
    rows = sum(len(t.rows) for t in tables)
    console.print(f"{counted(len(tables), 'table')}, {counted(rows, 'row')} found, "
                  f"{counted(len(draft.tasks), 'task')}; {counted(total, 'field')}: "
                  f"{total - doubtful} certain, {doubtful} to check (marked '# CHECK:' in the "
                  "draft)")
    if draft.unread:
        verb = "looks" if len(draft.unread) == 1 else "look"
        console.print(f"[bold]{counted(len(draft.unread), 'region')} of the document {verb} "
                      "like table rows but were not read as tasks[/bold] (marked '# CHECK:' at "
                      "the top of the draft):")
        for note in draft.unread:
            console.print(f"  {note}", markup=False)
    n = draft.counts()
    console.print(f"read {counted(n['tasks'], 'task')}, {counted(n['agencies'], 'agency')}, "
                  f"{counted(n['deadlines'], 'deadline')}; flagged "
                  f"{counted(n['tasks_flagged'], 'task')}, "
                  f"{counted(n['agencies_flagged'], 'agency')}, "
                  f"{counted(n['deadlines_flagged'], 'deadline')}")


def open_at_year_end(spec: PlanSpec) -> list[tuple[str, str, str]]:
    """(task, agency, period) of the plan's dated instances still open at 31/12 23:59:59.

    Continuous duties ("Thường xuyên") are left out: the next year's spec has them anyway.
    """
    from engine.core.status import Status
    from engine.store.database import open_store
    from engine.store.queries import instance_statuses

    year_end = dt.datetime(spec.plan.year, 12, 31, 23, 59, 59,
                           tzinfo=ZoneInfo(spec.plan.timezone))
    store = open_store()
    try:
        with store.transaction() as tx:
            return [(r.task, r.agency, r.period) for r in instance_statuses(
                tx, plan=spec.plan.id, as_of=year_end)
                if r.status in (Status.ON_TRACK, Status.OVERDUE) and r.due is not None]
    finally:
        store.close()


def cmd_rollover(args: argparse.Namespace) -> int:
    """Write the next year's spec, and its directory when the current one does not cover it."""
    loaded = load_plan(args.spec)
    if args.from_db:
        require_database()
    try:
        result = roll_over(loaded.spec, loaded.directory, to_year=args.to_year,
                           open_instances=open_at_year_end(loaded.spec) if args.from_db
                           else None)
    except ValueError as exc:
        raise SpecError(str(exc), location=Location(str(args.spec))) from None
    spec_dir = (args.output or args.spec).parent
    directory_text = result.directory_yaml()
    if directory_text is not None:
        target = spec_dir / result.directory_ref
        if target.exists() and not args.force:
            err.print(f"directory {target} exists: kept (use --force to overwrite)")
        else:
            _write(target, directory_text)
            (out if args.output else err).print(f"wrote directory {target}")
    _write(args.output, result.spec_yaml())
    if args.output:
        out.print(f"wrote {args.output}: {len(result.spec.tasks)} tasks for "
                  f"{result.spec.plan.year}")
    return EXIT_OK
