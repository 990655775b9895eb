"""What an agency cell was read as: its names, what each was matched to, the bodies to
propose, and why the reading needs a look. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from engine.importer.central import ASK_UNLESS_PRINTED
from engine.importer.text import fold_name


@dataclass(frozen=True)
class Match:
    """One name read from a cell and what it was matched to."""

    text: str
    ref: str | None
    score: float = 0.0
    vague: bool = False
    joined: bool = False  # an unknown name read across separators (or a piece without head)
    note: str = ""  # why a name read as printed still needs a look

    @property
    def fuzzy(self) -> bool:
        """Whether the match is not exact (a misspelling, a variant): worth a look."""
        return self.ref is not None and self.score < 100


@dataclass(frozen=True)
class ProposedAgency:
    """An agency named in the document that the directory does not know."""

    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class AgencyCell:
    """The agencies of one cell, in order."""

    matches: tuple[Match, ...] = ()
    proposed: tuple[ProposedAgency, ...] = ()

    @property
    def refs(self) -> tuple[str, ...]:
        """Directory references, proposed ids included, without duplicates."""
        seen: dict[str, None] = {}
        for m in self.matches:
            if m.ref:
                seen.setdefault(m.ref)
        return tuple(seen)

    def doubts(self, *, drafted: bool = False, settled: frozenset[str] = frozenset()
               ) -> list[str]:
        """Why this cell needs a look: fuzzy matches, names split or joined by guess, vague
        phrases, and (unless the directory is `drafted` from the plan itself, where every
        entry carries its own CHECK) names the directory lacks. A body of `settled` is
        asked no question of engine.importer.central.ASK_UNLESS_PRINTED: the plan never
        prints the word, so it names the body without it."""
        names = {p.id: p.name for p in self.proposed}
        out = [f"{m.text!r} read as {m.ref}{_named(names.get(m.ref or ''))} (fuzzy match, "
               f"{m.score:.0f}%)" for m in self.matches if m.fuzzy]
        out += [f"{m.text.replace(chr(0x2060), '')!r}: where one name ends and the next "
                "begins was guessed" for m in self.matches if m.joined]
        out += [f"{m.text!r}: {ASK_UNLESS_PRINTED[m.ref][1]}" for m in self.matches
                if m.ref in ASK_UNLESS_PRINTED and m.ref not in settled and not m.fuzzy
                and ASK_UNLESS_PRINTED[m.ref][0] not in fold_name(m.text)]
        if not drafted:
            out += [f"{p.name!r} is not in the directory: proposed as new agency {p.id}"
                    for p in self.proposed]
        out += [f"{m.text!r} names no agency in particular: left out" for m in self.matches
                if m.vague]
        out += [f"{m.text.replace(chr(0x2060), '')!r}: {m.note}" for m in self.matches
                if m.note and not m.fuzzy]
        return out


def _named(name: str | None) -> str:
    return f" ({name})" if name else ""
