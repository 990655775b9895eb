"""The directory a draft carries when none is given: the issuer from the letterhead, then
every agency the plan names, each marked `# CHECK:`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from engine.core.spec import Agency, Directory, DirectoryHeader
from engine.importer.agencies import ProposedAgency, Vocabulary, central_vocabulary
from engine.importer.emit import render_mapping, render_sequence
from engine.importer.text import ascii_fold, slugify

_NOT_LETTERHEAD = re.compile(r"^(?:CỘNG HÒA|CỘNG HOÀ|Độc lập|ĐỘC LẬP|-{2,}|Số\s*:)", re.I)
_PLACE = re.compile(r"^\s*(?P<place>[^\d,\n]{2,40}),\s*ngày\b", re.M)
_UNIT = re.compile(r"^(?P<head>ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|UBND|HỘI ĐỒNG NHÂN DÂN)\s+"
                   r"(?P<level>TỈNH|THÀNH PHỐ|XÃ|PHƯỜNG|ĐẶC KHU)\s+(?P<name>.+)$")
# Span of a drafted directory: plans of a Government programme run for years.
_YEARS = 10


def letterhead(text: str) -> str:
    """The issuing body as its letterhead prints it (upper case), or "". An appendix
    exported alone has no letterhead: the body its caption names ("Kèm theo Kế hoạch số
    310/KH-UBND ... của UBND thành phố Hà Nội") stands for it."""
    for line in text.splitlines()[:15]:
        for cell in line.split("\t"):
            cell = _MARKUP.sub("", cell).strip()
            if cell and not _NOT_LETTERHEAD.match(cell) and _BODY.match(ascii_fold(cell)) and \
                    cell.upper() == cell and len(cell) <= 70 and not _DATED.search(cell):
                return " ".join(cell.split())
    annexed = _ANNEXED_TO.search(" ".join(_MARKUP.sub("", text[:3000]).split()))
    return annexed["body"].strip(" .").upper() if annexed else ""


_MARKUP = re.compile(r"[*#]+")
_DATED = re.compile(r"\b(?:NĂM|ĐẾN|GIAI ĐOẠN)\s+\d{4}")  # a title's words, not a body's
# A letterhead names a body; an appendix's upper-case title ("DANH MỤC NHIỆM VỤ") does not.
_BODY = re.compile(r"^(?:bo|so|uy ban|ubnd|hdnd|chinh phu|thu tuong|ban|van phong|hoi dong|"
                   r"dang uy|dang bo|tinh uy|thanh uy|cuc|tong cuc|vien|trung tam|cong an|"
                   r"thanh tra|dai|bao|hoi|lien doan|mat tran|ngan hang|kho bac|bao hiem|"
                   r"kiem toan|toa an|vien kiem sat|hoc vien|truong|tap doan|tong cong ty)\b")
_ANNEXED_TO = re.compile(r"\(\s*Kèm theo[^()]{0,200}?\bcủa\s+(?P<body>[^()]{3,80}?)\s*\)", re.I)


def issuer_of(head: str) -> ProposedAgency:
    """The issuer's id, name and kind from its letterhead ("BỘ TƯ PHÁP", "ỦY BAN NHÂN DÂN
    TỈNH LÂM ĐỒNG"); a body the importer knows keeps its usual name."""
    if not head:
        return ProposedAgency("co-quan-ban-hanh", "Cơ quan ban hành", "issuer")
    central = central_vocabulary()
    found = central.lookup(head)
    if found is not None:
        body = central.bodies[found[0]]
        return ProposedAgency(body.id, body.name, "issuer")
    unit = _UNIT.match(head)
    if unit:
        level = unit["level"].lower()
        council = unit["head"].startswith("H")
        name = f"{'Hội đồng' if council else 'Ủy ban'} nhân dân {level} {unit['name'].title()}"
        short = {"tỉnh": "tinh", "thành phố": "tp", "xã": "xa", "phường": "phuong",
                 "đặc khu": "dac-khu"}[level]
        return ProposedAgency(f"{'hdnd' if council else 'ubnd'}-{short}", name, "issuer")
    return ProposedAgency(slugify(head, max_words=8), body_name(head, central), "issuer")


# The level word before a place name: "SỞ Y TẾ TỈNH QUẢNG NINH" is "Sở Y tế" of "tỉnh Quảng
# Ninh".
_LEVEL = re.compile(r"\s(TỈNH|THÀNH PHỐ|TP\.?|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG|ĐẶC KHU)\s+(?=\S)")
_TWO_WORD_HEADS = {"trung tâm", "văn phòng", "ủy ban", "uỷ ban", "hội đồng", "tổng cục", "chi cục",
                   "thanh tra", "công an", "ngân hàng", "kho bạc", "bảo hiểm", "học viện",
                   "bệnh viện", "tổng công ty", "công ty", "liên đoàn", "mặt trận", "đảng ủy",
                   "đảng uỷ", "tỉnh ủy", "thành ủy"}
_LOWER_AFTER_HEAD = {"nhân", "dân", "và", "các", "của", "thuộc", "trực"}


def body_name(head: str, central: Vocabulary) -> str:
    """An upper-case letterhead name as the body writes it: "SỞ Y TẾ TỈNH QUẢNG NINH" ->
    "Sở Y tế tỉnh Quảng Ninh", "BAN QUẢN LÝ DỰ ÁN" -> "Ban Quản lý dự án"."""
    level = _LEVEL.search(head)
    body, place = (head[:level.start()], head[level.start():]) if level else (head, "")
    found = central.lookup(body)
    if found is not None and found[1] >= 100:
        name = central.bodies[found[0]].name
    else:
        words = body.lower().split()
        # The head word and the word after it are capitalised ("Sở Y tế", "Ban Quản lý",
        # "Trung tâm Y tế": a head of two words counts as one).
        after = 2 if " ".join(words[:2]) in _TWO_WORD_HEADS else 1
        name = " ".join(w.capitalize() if k == 0 or (k == after and w not in _LOWER_AFTER_HEAD)
                        else w for k, w in enumerate(words))
    if level:
        name += f" {level[1].lower()} {place[level.end() - level.start():].title()}"
    return name


def place_of(text: str, head: str) -> str:
    """The city or province of the plan: the place of its date line, else the letterhead."""
    found = _PLACE.search(text[:4000])
    if found:
        return found["place"].strip()
    unit = _UNIT.match(head)
    return unit["name"].title() if unit else "Việt Nam"


def own_directory(text: str, *, year: int) -> Directory:
    """A directory holding only the plan's issuer, for matching and for the draft."""
    head = letterhead(text)
    issuer = issuer_of(head)
    city = place_of(text, head)
    header = DirectoryHeader(id=f"{slugify(city)}-{year}", city=city,
                             valid_from=dt.date(year, 1, 1),
                             valid_until=dt.date(year + _YEARS - 1, 12, 31),
                             source="drafted by kehoach import from the plan itself")
    return Directory(directory=header, agencies=(Agency(id=issuer.id, name=issuer.name,
                                                        kind="issuer"),))


def directory_yaml(directory: Directory, proposed: Sequence[ProposedAgency]) -> str:
    """The drafted directory as YAML: every agency marked `# CHECK:`."""
    info = directory.directory
    lines = ["# Agency directory drafted by kehoach import from the plan it names.",
             "# Lines marked CHECK were guessed: fix names and kinds, add e-mail addresses."]
    head = render_mapping(
        {"id": info.id, "city": info.city, "valid_from": info.valid_from,
         "valid_until": info.valid_until, "source": info.source}, indent=2,
        comments={"city": ["CHECK: read from the date line or the letterhead"],
                  "valid_until": [f"CHECK: {_YEARS} years from the plan year: the span "
                                  "the plan's names stay true"]})
    lines += ["directory:", *head]
    agencies = [{"id": a.id, "name": a.name, "kind": a.kind, "emails": []}
                for a in directory.agencies]
    notes = [{"id": ["CHECK: the issuer, read from the letterhead"]}]
    for p in proposed:
        if all(p.id != a["id"] for a in agencies):
            agencies.append({"id": p.id, "name": p.name, "kind": p.kind, "emails": []})
            notes.append({"id": [f"CHECK: named in the plan; kind {p.kind!r} guessed from "
                                 "the name"]})
    lines += ["agencies:", *render_sequence(agencies, indent=2, comments=notes)]
    return "\n".join(lines) + "\n"
