"""Score `kehoach import` against annotated truth files: per-field agreement.

Each fixture document (tests/fixtures/import/NAME.*: .docx, .pdf, text exports) is imported
with no directory (the draft drafts its own) and compared, task by task, with NAME.truth.yaml:
the task text, the lead and the coordinating agencies (by full name) and the deadline (the
phrases the engine should read; right when they give the same due dates in the plan year).
A wrong field the draft did not mark `# CHECK:` is counted as unflagged; a right field it
marked is a wasted flag, so the report gives the flags' precision too (flagging every field
would leave nothing unflagged and make the flags worthless).

    .venv/bin/python -m bench.import_score                      # every fixture
    .venv/bin/python -m bench.import_score --held-out           # only the plans never tuned on
    .venv/bin/python -m bench.import_score --folder /some/dir   # documents + truth elsewhere
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
    flagged: int = 0  # fields marked `# CHECK:`
    flagged_right: int = 0  # of those, the ones that were right all the same
    wrong: list[str] = field(default_factory=list)  # every wrong field, flagged or not

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
            flagged = any(name in t.doubts for t in mine)
            score.flagged += flagged
            score.flagged_right += flagged and ok
            if not ok:
                score.wrong.append(f"task {n} {name}: {_shown(mine, name)!r}"
                                   f"{'' if flagged else ' (unflagged)'}")
            if not ok and not flagged:
                score.unflagged.append(f"task {n} {name}")
    score.extra = [groups[k][0].title[:40] for k in range(len(groups)) if k not in used]
    return score


def _shown(mine: Sequence[DraftTask], name: str) -> str:
    values = [str(getattr(t, name)) for t in mine]
    return values[0] if len(set(values)) == 1 else " | ".join(values)


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
    parser.add_argument("--folder", type=Path, metavar="DIR", default=FIXTURES,
                        help="score the documents of DIR that have a NAME.truth.yaml beside "
                             "them (default: the import fixtures)")
    parser.add_argument("--wrong", action="store_true",
                        help="list every wrong field, flagged or not, with what was read")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"--folder {args.folder}: not a folder")
    totals: dict[bool, Totals] = {False: Totals(), True: Totals()}
    print(f"{'document':34} {'tasks':>5} " + " ".join(f"{f:>12}" for f in FIELDS)
          + f" {'all':>7} {'unflagged':>9} {'flagged':>7} {'f.right':>7} {'extra':>5}")
    for document in documents(args.folder):
        held = bool(yaml.safe_load(truth_of(document).read_text("utf-8")).get("held_out"))
        if (args.held_out and not held) or (args.seen and held):
            continue
        s = score_document(document)
        cells = " ".join(f"{s.right[f]:>5}/{s.total:<6}" for f in FIELDS)
        print(f"{s.document:34} {s.total:>5} {cells} {s.share:>7.1%} {len(s.unflagged):>9} "
              f"{s.flagged:>7} {s.flagged_right:>7} {len(s.extra):>5}")
        for line in s.wrong if args.wrong else s.unflagged:
            print(f"    {'wrong' if args.wrong else 'unflagged'}: {line}")
        totals[held].add(s)
    for held, t in totals.items():
        if t.total:
            label = "held out (never seen)" if held else "seen while developing"
            print(f"{label}: {t.right}/{t.total} fields right ({t.right / t.total:.1%}), "
                  f"{t.unflagged} wrong and unflagged; {t.flagged} flagged, of which "
                  f"{t.flagged - t.flagged_right} wrong and {t.flagged_right} right "
                  f"(flag precision {t.precision:.1%})")
    return 0


@dataclass
class Totals:
    """Sums over documents."""

    right: int = 0
    total: int = 0
    unflagged: int = 0
    flagged: int = 0
    flagged_right: int = 0

    def add(self, s: Score) -> None:
        self.right += s.fields_right
        self.total += s.total * len(FIELDS)
        self.unflagged += len(s.unflagged)
        self.flagged += s.flagged
        self.flagged_right += s.flagged_right

    @property
    def precision(self) -> float:
        """Of the flagged fields, the share that were wrong (1.0 when none is flagged)."""
        return (self.flagged - self.flagged_right) / self.flagged if self.flagged else 1.0


if __name__ == "__main__":
    raise SystemExit(main())
