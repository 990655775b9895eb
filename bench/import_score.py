"""Score `kehoach import` against annotated truth files: per-field agreement.

Each fixture document (tests/fixtures/import/NAME.*: .docx, .pdf, text exports) is imported
with no directory (the draft drafts its own) and compared, task by task, with NAME.truth.yaml:
the task text, the lead and the coordinating agencies (by full name) and the deadline (the
phrases the engine should read; right when they give the same due dates in the plan year).
A wrong field the draft did not mark `# CHECK:` is counted as unflagged.

    .venv/bin/python -m bench.import_score              # every fixture
    .venv/bin/python -m bench.import_score --held-out   # only the plans never tuned on
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz

from engine.cli.importing import read_document
from engine.core.due_phrases import parse_due
from engine.core.errors import DuePhraseError
from engine.core.workdays import WorkCalendar
from engine.importer import build_draft
from engine.importer.draft import Draft, DraftTask
from engine.importer.own_directory import own_directory
from engine.importer.text import fold_name, one_line

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "import"
FIELDS = ("title", "lead", "coordinators", "due")
DOCUMENT_SUFFIXES = (".docx", ".pdf", ".md", ".txt")


@dataclass
class Score:
    """Agreement of one draft with its truth."""

    document: str
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    total: int = 0
    unflagged: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def fields_right(self) -> int:
        return sum(self.right.values())

    @property
    def share(self) -> float:
        return self.fields_right / (self.total * len(FIELDS)) if self.total else 0.0


def documents(folder: Path = FIXTURES) -> list[Path]:
    """Every fixture document that has a truth file."""
    return sorted(p for p in folder.iterdir() if p.suffix in DOCUMENT_SUFFIXES
                  and truth_of(p).is_file())


def truth_of(document: Path) -> Path:
    return document.parent / f"{document.name.split('.')[0]}.truth.yaml"


def import_draft(document: Path, *, year: int) -> Draft:
    """The draft `kehoach import DOC -o X` writes, with its own directory."""
    text, tables = read_document(document)
    directory = own_directory(text, year=year)
    return build_draft(tables, text=text, directory=directory, directory_ref="x.yaml",
                       year=year, drafted=True)


def score_document(document: Path) -> Score:
    """Import `document` and compare the draft with its truth file."""
    truth = yaml.safe_load(truth_of(document).read_text(encoding="utf-8"))
    draft = import_draft(document, year=int(truth["year"]))
    return compare(draft, truth, document=document.name)


def compare(draft: Draft, truth: dict[str, Any], *, document: str) -> Score:
    """Per-field agreement of `draft` with `truth` (the parsed truth file)."""
    names = {p.id: p.name for p in draft.proposed}
    groups = _groups(draft.tasks)
    score = Score(document, total=len(truth["tasks"]))
    used: set[int] = set()
    for n, expected in enumerate(truth["tasks"], start=1):
        k = _best(groups, expected["title"], used)
        if k is None:
            score.unflagged += [f"task {n} {name} (not found)" for name in FIELDS]
            continue
        used.add(k)
        mine = groups[k]
        same = {"title": _text(mine[0].title) == _text(expected["title"]),
                "lead": _names(mine[0].lead, names) == _names(expected["lead"], None),
                "coordinators": _names(mine[0].coordinators, names)
                == _names(expected["coordinators"], None),
                "due": _rules([t.due for t in mine], truth["year"])
                == _rules(expected["phrases"], truth["year"])}
        for name, ok in same.items():
            score.right[name] += ok
            if not ok and not any(name in t.doubts for t in mine):
                score.unflagged.append(f"task {n} {name}")
    score.extra = [groups[k][0].title[:40] for k in range(len(groups)) if k not in used]
    return score


def _groups(tasks: Sequence[DraftTask]) -> list[list[DraftTask]]:
    """Draft tasks by source row: the milestones of one cell are one printed task."""
    by_row: dict[str, list[DraftTask]] = {}
    for task in tasks:
        by_row.setdefault(task.where, []).append(task)
    return list(by_row.values())


def _best(groups: Sequence[Sequence[DraftTask]], title: str, used: set[int]) -> int | None:
    scored = [(fuzz.ratio(_text(g[0].title), _text(title)), k) for k, g in enumerate(groups)
              if k not in used]
    best = max(scored, default=(0.0, -1))
    return best[1] if best[0] >= 80 else None


def _text(text: str) -> str:
    return unicodedata.normalize("NFC", one_line(text))


def _names(refs: Sequence[str], names: dict[str, str] | None) -> set[str]:
    return {fold_name(names.get(r, r) if names is not None else r) for r in refs}


def _rules(phrases: Sequence[str], year: int) -> list[object]:
    """What the phrases mean: the same rule, or the same due dates in the plan year
    ("Tháng 3/2026" and "Tháng 01-3/2026" are both due on 31/03/2026)."""
    out: list[object] = []
    for phrase in phrases:
        try:
            rule = parse_due(phrase, year=year)
        except DuePhraseError:
            out.append(_text(phrase))
            continue
        dates = tuple(o.printed for o in rule.occurrences(year=year, calendar=_CALENDAR))
        out.append(dates if dates else replace(rule, phrase=""))
    return out


_CALENDAR = WorkCalendar()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out", action="store_true", help="only the held-out plans")
    parser.add_argument("--seen", action="store_true", help="only the plans developed on")
    args = parser.parse_args(argv)
    totals: dict[bool, list[int]] = {False: [0, 0, 0], True: [0, 0, 0]}
    print(f"{'document':34} {'tasks':>5} " + " ".join(f"{f:>12}" for f in FIELDS)
          + f" {'all':>7} {'unflagged':>9} {'extra':>5}")
    for document in documents():
        held = bool(yaml.safe_load(truth_of(document).read_text("utf-8"))["held_out"])
        if (args.held_out and not held) or (args.seen and held):
            continue
        s = score_document(document)
        cells = " ".join(f"{s.right[f]:>5}/{s.total:<6}" for f in FIELDS)
        print(f"{s.document:34} {s.total:>5} {cells} {s.share:>7.1%} {len(s.unflagged):>9} "
              f"{len(s.extra):>5}")
        for line in s.unflagged:
            print(f"    unflagged: {line}")
        t = totals[held]
        t[0], t[1], t[2] = t[0] + s.fields_right, t[1] + s.total * len(FIELDS), \
            t[2] + len(s.unflagged)
    for held, (right, total, unflagged) in totals.items():
        if total:
            label = "held out (never seen)" if held else "seen while developing"
            print(f"{label}: {right}/{total} fields right ({right / total:.1%}), "
                  f"{unflagged} wrong and unflagged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
