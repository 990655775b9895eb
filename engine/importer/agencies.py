"""Split agency cells into names and match them to directory ids (case- and accent-blind)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz, process

from engine.core.spec import GROUP_PREFIX, Directory
from engine.importer.cells import AgencyCell, Match, ProposedAgency
from engine.importer.central import GOVERNMENT, PROVINCE
from engine.importer.collectives import (
    bare_kind,
    collective_of_kinds,
    joins_after_and,
    localities,
    split_at_and,
    without_title,
)
from engine.importer.text import ascii_fold, fold_name, slugify, strip_markup

__all__ = ["AGENCY_HEAD", "AgencyCell", "Match", "ProposedAgency", "Vocabulary",
           "central_vocabulary", "read_agencies"]

FUZZY_CUTOFF = 86
_MAX_SPAN = 8
# Strong separators always end a name; weak ones may sit inside one ("Sở Lao động - Thương
# binh và Xã hội", "UBND các quận, huyện, thị xã"), so the split between them is chosen by
# what the directory knows.
_STRONG = re.compile(r"\s*(?:;|\n|•|(?:^|(?<=[.;:]))\s*-\s+|\s+\+\s+)\s*")
_WEAK = re.compile(r"(\s*,(?!\u2060)\s*|\s+-\s+|\s+v[aà]\s+)", re.I)
# "Văn phòng HĐND và UBND phường" is one office: its "và" is no separator (a word joiner
# around it hides it from _WEAK).
_JOINED = re.compile(r"(HĐND|Hội đồng nhân dân)\s+và\s+(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)"
                     r"|((?:Mặt trận Tổ quốc|MTTQ)[^,;\n]*?)\s+và\s+"
                     r"(các\s+tổ\s+chức\s+(?:thành\s+viên|chính\s+trị\s*-\s*xã\s+hội))", re.I)
# ... and "Mặt trận Tổ quốc Việt Nam và các tổ chức thành viên" is one body with its members.
# "Các bộ, ngành, địa phương" names two collectives: the ministries and the provinces.
_LOCALITIES = re.compile(r"((?:các\s+)?bộ,\s*(?:cơ quan\s+ngang\s+bộ|ngành)(?:\s+trung\s+ương)?)"
                         r"\s*(?:,|và|,\s*và)\s*(?:các\s+)?địa\s+phương\b", re.I)
_PROVINCES = "Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương"
_LIST_LABEL = re.compile(r"^(?P<label>[^:]{2,40}):\s*(?P<rest>.*)$", re.S)
# Labels that introduce a list without being part of each name ("Các đơn vị: A, B").
_GENERIC_LABELS = {"don vi", "co quan", "co quan don vi", "gom", "bao gom", "nhu", "cu the"}
# Phrases that name no one in particular ("và các cơ quan liên quan"): dropped, but flagged.
_VAGUE = re.compile(r"\b(?:lien quan|khac|co lien quan|tuong ung)$|^(?:co quan|don vi|to chuc"
                    r"|co quan don vi|dia phuong)$")
_RELEVANT = re.compile(r"\s+(?:có\s+)?liên\s+quan\s*$", re.I)
# The head word of an agency name: a piece without one ("Thể thao" in "Sở Văn hóa, Thể thao
# và Du lịch") continues the unknown name before it rather than naming a body of its own.
_HEAD = re.compile(r"^(?:Các\s+|Những\s+)?(?:Bộ|Sở|Ban|Ủy ban|Uỷ ban|UBND|Văn phòng|Thanh tra|"
                   r"Đài|Báo|Tạp chí|Công an|Cục|Tổng cục|Vụ|Viện|Trung tâm|Hội|Liên đoàn|"
                   r"Liên minh|Liên hiệp|Đoàn|Mặt trận|Thành ủy|Tỉnh ủy|Tỉnh đoàn|Thành đoàn|Phòng|"
                   r"Chi cục|Ngân hàng|Kho bạc|Bảo hiểm|Trường|Học viện|Tòa án|Kiểm toán|"
                   r"Hội đồng|Tập đoàn|Tổng công ty|Công ty|Chính phủ|Thủ tướng|Quốc hội|"
                   r"Công đoàn|Đảng ủy|Cổng|Hệ thống|Bệnh viện|Ngân|Quỹ)\b|^[A-ZĐ]{2,}\b")
_KINDS = (("uy ban nhan dan quan", "district"), ("uy ban nhan dan huyen", "district"),
          ("uy ban nhan dan thi xa", "district"), ("uy ban nhan dan xa", "commune"),
          ("uy ban nhan dan phuong", "commune"), ("so ", "department"), ("ban ", "party"),
          ("bao ", "press"), ("dai ", "press"), ("cong doan", "mass-org"),
          ("thanh doan", "mass-org"), ("hoi ", "mass-org"), ("bo ", "central"))


@dataclass
class Vocabulary:
    """Every name the directory knows, folded, with the reference each one stands for."""

    refs: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    outside: Vocabulary | None = None
    bodies: dict[str, ProposedAgency] = field(default_factory=dict)

    @classmethod
    def of(cls, directory: Directory, *, central: bool = True) -> Vocabulary:
        """Names, short names and aliases of the directory's agencies and groups; with
        `central`, the Government, ministries and provincial bodies (engine.importer.central)
        are known too, as agencies to propose when the directory lacks them."""
        vocab = cls(outside=central_vocabulary() if central else None)
        for agency in directory.agencies:
            for name in (agency.name, agency.short, *agency.aliases):
                if name:
                    vocab.refs.setdefault(fold_name(name), agency.id)
            vocab.kinds[agency.id] = agency.kind
        for group in directory.groups:
            for name in (group.name, *group.aliases):
                vocab.refs.setdefault(fold_name(name), GROUP_PREFIX + group.id)
        return vocab

    def lookup(self, text: str) -> tuple[str, float] | None:
        """The reference `text` names and the match score (100 = exact after folding)."""
        key = fold_name(text)
        if not key:
            return None
        if key in self.refs:
            return self.refs[key], 100.0
        if len(key) >= 8:
            found = process.extractOne(key, list(self.refs), scorer=fuzz.ratio,
                                       score_cutoff=FUZZY_CUTOFF)
            # A fuzzy match must keep the head word: "Sở Nội vụ" is never "Bộ Nội vụ"; and
            # one body is never the collective: "UBND phường" is not "UBND các xã, phường";
            # nor is one level another: "UBND các huyện" is not "UBND các tỉnh".
            if found and found[0].split()[0] == key.split()[0] and \
                    ("cac" not in found[0].split() or "cac" in ascii_fold(text).split()) and \
                    _same_level(found[0], key) and \
                    ("co" in found[0].split()) == ("co" in key.split()):  # "... có đảo"
                return self.refs[found[0]], float(found[1])
        outside = self.outside.lookup(text) if self.outside is not None else None
        if outside and self.outside and _PLURAL.match(text) and \
                self.outside.kinds[outside[0]] != "collective":
            return None  # "Các Sở GDĐT" is every province's department, not one of them
        return outside

    def collective(self, ref: str) -> bool:
        """Whether `ref` names many bodies (a group, "Các bộ, ngành"), not one."""
        kind = self.kinds.get(ref) or (self.outside.kinds.get(ref) if self.outside else None)
        return ref.startswith(GROUP_PREFIX) or kind == "collective"

    def proposal(self, ref: str) -> ProposedAgency | None:
        """The body `ref` names if it is known only outside the directory."""
        if ref in self.kinds or ref.startswith(GROUP_PREFIX) or self.outside is None:
            return None
        return self.outside.bodies.get(ref)


def central_vocabulary() -> Vocabulary:
    """The bodies of engine.importer.central, as a vocabulary of their own."""
    vocab = Vocabulary()
    for ident, name, kind, aliases in (*GOVERNMENT, *PROVINCE):
        vocab.bodies[ident] = ProposedAgency(ident, name, kind)
        vocab.kinds[ident] = kind
        for alias in (name, *aliases):
            vocab.refs.setdefault(fold_name(alias), ident)
    return vocab


def read_agencies(cell: str, vocab: Vocabulary) -> AgencyCell:
    """Split an agency cell into names and match each to the directory.

    Args:
        cell: the cell text as printed (HTML list markup and bullets allowed).
        vocab: the directory's names (`Vocabulary.of(directory)`).

    Returns:
        The matches in cell order and the agencies to propose for the directory.
    """
    matches: list[Match] = []
    text = _split_run_on(_LOCALITIES.sub(rf"\1; {_PROVINCES}", strip_markup(cell)), vocab)
    for chunk in _STRONG.split(_JOINED.sub(_keep_together, text)):
        chunk, why = localities(without_title(chunk.strip(" .-")))
        if chunk:
            matches.extend(_split_noted(chunk, [replace(m, note=m.note or why) for m in
                                                _read_chunk(chunk, vocab)]))
    proposed = []
    for i, m in enumerate(matches):
        known = vocab.proposal(m.ref) if m.ref else None
        if known is not None:
            proposed.append(known)
        elif m.ref is None and not m.vague:
            name = m.text.replace("\u2060", "").strip()
            new = ProposedAgency(slugify(name, max_words=8), name, _guess_kind(name))
            proposed.append(new)
            matches[i] = Match(m.text, new.id, 100.0, joined=m.joined,
                               note=m.note or _headless(name))
    return AgencyCell(tuple(matches), tuple(dict.fromkeys(proposed)))


def _split_noted(chunk: str, matches: list[Match]) -> list[Match]:
    """Two new names split where "và" joined them are flagged: one name, or two?"""
    return [replace(m, note=m.note or f"split from {prev.text!r} at 'và': one name, or two?")
            if prev is not None and prev.ref is None and m.ref is None and not m.vague
            and split_at_and(chunk, prev.text, m.text) else m
            for prev, m in zip([None, *matches[:-1]], matches, strict=True)]


def _headless(name: str) -> str:
    """Why a new name does not read as a body's full name: it has no head word."""
    if _HEAD.match(name) or re.match(r"^(?:Các|Những)\s", name):
        return ""
    return ("no head word of a body (Bộ, Sở, Ủy ban, Cục...): a short name, or no agency "
            "at all? Write the body's full name")


# Where a second name may start with no separator before it (a line break lost in export):
# "Sở Khoa học và Công nghệ Sở Công Thương".
_NEXT_NAME = re.compile(r"\s(?=(?:Sở|Bộ|Ủy ban|Uỷ ban|UBND|Ban|Văn phòng|Công an|Thanh tra|Đài)"
                        r"\s+[A-ZĐÀ-Ỹ])")


def _keep_together(found: re.Match[str]) -> str:
    first, second = (found[1], found[2]) if found[1] else (found[3], found[4])
    return f"{first} \u2060và\u2060 {second}"


def _split_run_on(text: str, vocab: Vocabulary) -> str:
    """Put a separator between two names run together, when the first is a known name."""
    out, start = [], 0
    for found in _NEXT_NAME.finditer(text):
        head = re.split(r"[;,\n]", text[start:found.start()])[-1].strip()
        known = vocab.lookup(head) if head else None
        if known is not None and known[1] >= 100:
            out.append(text[start:found.start()] + ";")
            start = found.end()
    return " ".join([*out, text[start:]]) if out else text


_INNER = re.compile(r"^(?P<outer>[^()]+?)\s*\((?P<inner>[^()]+)\)$")


def _read_chunk(chunk: str, vocab: Vocabulary) -> list[Match]:
    inner = _INNER.match(chunk)
    if inner and _HEAD.match(inner["inner"].strip()):
        # "Bộ TN&MT (Vụ Pháp chế)": the unit in brackets does the work.
        outer = " ".join(inner["outer"].split())
        return [Match(m.text, m.ref, min(m.score, 85.0), m.vague,
                      note=f"read as the unit in brackets; the body printed before them is "
                           f"{outer!r}: which one carries the task?")
                for m in _read_chunk(inner["inner"].strip(), vocab)]
    pieces, seps, prefixes = _pieces(chunk)
    best: list[tuple[float, list[Match]]] = [(0.0, [])]
    for end in range(1, len(pieces) + 1):
        options = []
        for start in range(max(0, end - _MAX_SPAN), end):
            text = _join(pieces, seps, start, end)
            found = _lookup(text, prefixes[start], vocab)
            if found is None and end - start > 1 and \
                    not _one_unknown(pieces[start:end], seps[start:end - 1]):
                continue
            if found is None and prefixes[start] and not _HEAD.match(text):
                text = f"{prefixes[start]} {text}"  # "các Cục: A, B" names "Cục A", "Cục B"
            value, match = _value(text, found, end - start, alone=len(pieces) == 1)
            options.append((best[start][0] + value, [*best[start][1], match]))
        best.append(max(options, key=lambda option: option[0]))
    return _kinds_together(_glue_unmatched(best[-1][1], vocab))


def _kinds_together(matches: list[Match]) -> list[Match]:
    """Bare kinds listed together ("Viện, Trường") are one collective, "Các viện, trường";
    one alone ("Doanh nghiệp") is read as all of its kind, flagged."""
    out: list[Match] = []
    run: list[str] = []
    for m in [*matches, None]:
        if m is not None and m.ref is None and not m.vague and bare_kind(m.text):
            run.append(m.text)
            continue
        if run:
            name = collective_of_kinds(run)
            out.append(Match(name, None, note="" if len(run) > 1 else
                             f"{run[0]!r} names a kind of body: read as {name!r}"))
            run = []
        if m is not None:
            out.append(m)
    return out


def _value(text: str, found: tuple[str, float] | None, width: int, *, alone: bool
           ) -> tuple[float, Match]:
    if found is None:
        # An unknown piece without a head word is worth less alone than inside its name.
        value = 0.0 if _HEAD.match(text) or width > 1 else -1.0
        vague = bool(_VAGUE.search(fold_name(text)))
        joined = not vague and (width > 1 or (not alone and not _HEAD.match(text)))
        return value, Match(text, None, 0.0, vague=vague, joined=joined)
    # Exact names beat a fuzzy reading of a longer span that swallows a separator.
    weight = 1.0 if found[1] >= 100 else (found[1] - 80.0) / 20.0
    return 1000.0 * width * weight - 100.0, Match(text, found[0], found[1])


def _lookup(text: str, prefix: str, vocab: Vocabulary) -> tuple[str, float] | None:
    found = vocab.lookup(text)
    if fold_name(text) == "uy ban nhan dan cac dia phuong":
        found, text = None, "địa phương"  # the localities' People's Committees: as below
    if found is None and fold_name(text) == "dia phuong":
        # "Các địa phương" of a Government or ministry plan are the provinces; of a
        # province's plan, its communes: read as the provinces, below 100 to be checked.
        provinces = vocab.lookup(_PROVINCES)
        return (provinces[0], min(provinces[1], 90.0)) if provinces else None
    if found is None and _RELEVANT.search(text):
        # "Các sở, ngành liên quan": the relevant members of a known group, so the group,
        # scored below 100 so that the draft asks whether all of it is meant. A collective
        # drafted as one body ("Các bộ, ngành") has no members to choose from: it is meant.
        within = vocab.lookup(_RELEVANT.sub("", text))
        sure = within is not None and not within[0].startswith(GROUP_PREFIX) and \
            vocab.collective(within[0])
        found = (within[0], within[1] if sure else min(within[1], 90.0)) if within else None
    if prefix and (found is None or found[1] < 100):
        with_prefix = vocab.lookup(f"{prefix} {text}")
        if with_prefix and (found is None or with_prefix[1] > found[1]):
            return with_prefix
    return found


AGENCY_HEAD = _HEAD  # for readers that must tell an agency line from a wrapped task text


def _one_unknown(pieces: Sequence[str], seps: Sequence[str]) -> bool:
    """Whether pieces read as one unknown name: a head word first, none after ("Sở Văn
    hóa", "Thể thao", "Du lịch"; "Vụ Phổ biến", "giáo dục pháp luật"), and no later piece
    that starts a list of its own ("các ...") or names no one ("liên quan")."""
    first, rest = pieces[0].strip(), [p.strip() for p in pieces[1:]]
    return bool(_HEAD.match(first)) and all(
        p and (not _HEAD.match(p) or joins_after_and(sep, p)) and not _LIST_START.match(p)
        and not _VAGUE.search(fold_name(p)) for p, sep in zip(rest, seps, strict=True))


_LEVEL_WORDS = {"tinh", "huyen", "quan", "xa", "phuong", "thi", "tran", "khu"}
def _same_level(one: str, other: str) -> bool:
    """Whether two folded names share a level word (or neither has one)."""
    a, b = _LEVEL_WORDS & set(one.split()), _LEVEL_WORDS & set(other.split())
    return bool(a & b) or not (a or b)


_PLURAL = re.compile(r"^\s*(?:các|những)\s", re.I)
_LIST_START = re.compile(r"^(?:các|những|mọi|toàn bộ|và|cùng)\b", re.I)


def _pieces(chunk: str) -> tuple[list[str], list[str], list[str]]:
    """Pieces between weak separators, the separators, and the list prefix of each piece
    ("các Sở: Nội vụ, Tư pháp" gives pieces "Nội vụ", "Tư pháp" with prefix "Sở")."""
    parts = _WEAK.split(chunk)
    pieces, seps = parts[0::2], parts[1::2]
    prefixes: list[str] = []
    prefix = ""
    for i, piece in enumerate(pieces):
        labelled = _LIST_LABEL.match(piece)
        if labelled:
            # "Các Sở: A, B" and "Cục trưởng các Cục: A, B" name "Sở A", "Cục A"...
            label = re.sub(r"^(?:.*\s)?(?:các|những)\s+", "", labelled["label"].strip(),
                           flags=re.I)
            prefix = "" if fold_name(label) in _GENERIC_LABELS else label
            pieces[i] = labelled["rest"]
        prefixes.append(prefix)
    return pieces, seps, prefixes


def _join(pieces: Sequence[str], seps: Sequence[str], start: int, end: int) -> str:
    text = pieces[start]
    for k in range(start + 1, end):
        text += seps[k - 1] + pieces[k]
    return text.strip()


def _glue_unmatched(matches: list[Match], vocab: Vocabulary) -> list[Match]:
    """Join a name with the short lower-case unknown pieces after it ("Đài X quận, huyện")."""
    out: list[Match] = []
    for m in matches:
        prev = out[-1] if out else None
        if (prev is not None and m.ref is None and not prev.vague and not m.vague
                and m.text[:1].islower() and len(m.text.split()) <= 3):
            text = f"{prev.text}, {m.text}"
            out[-1] = Match(text, prev.ref, min(prev.score, 85.0) if prev.ref else 0.0,
                            joined=prev.ref is None)
            out[-1:] = _split_levels(out[-1], vocab)
        else:
            out.append(m)
    return [m for m in out if m.text.strip(" ,.")]


_TWO_LEVELS = re.compile(r"^(?P<head>.*?)\s*(?:các\s+)?quận,\s*huyện(?:,\s*thị xã)?,\s*"
                         r"xã,\s*phường,\s*thị trấn$", re.I)


def _split_levels(match: Match, vocab: Vocabulary) -> list[Match]:
    """ "X các quận, huyện, xã, phường, thị trấn" names X at district and at commune level."""
    found = _TWO_LEVELS.match(match.text)
    if not found:
        return [match]
    head = found["head"].strip()
    upper = vocab.lookup(f"{head} các quận, huyện")
    lower = vocab.lookup(f"{head} các xã, phường, thị trấn")
    if not (upper and lower):
        return [match]
    return [Match(match.text, upper[0], 95.0), Match(match.text, lower[0], 95.0)]


def _guess_kind(name: str) -> str:
    key = fold_name(name) + " "
    if key.startswith("uy ban nhan dan cac") or _PLURAL.match(name):
        return "collective"
    return next((kind for head, kind in _KINDS if key.startswith(head)), "other")
