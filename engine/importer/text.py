"""Text helpers shared by the importer: HTML-free cells, folded names and ASCII slugs."""

from __future__ import annotations

import html
import re
import unicodedata

_BREAK_TAGS = re.compile(r"<\s*(?:li|br|p|/p|/li|tr|/tr)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]{0,200}>")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
# Words that mark a cell as a deadline: a year, a month or quarter, a cadence.
WHEN_WORDS = re.compile(r"\b(?:19|20)\d{2}\b|thường xuyên|hằng|hàng (?:năm|quý|tháng)|định kỳ|"
                        r"\b(?:quý|tháng)\s+[IV\d]", re.I)

# Abbreviations written in plans, expanded so that "UBND TP" and "Ủy ban nhân dân Thành phố"
# fold to the same key.
_ABBREVIATIONS = {
    "ubnd": "uy ban nhan dan",
    "hdnd": "hoi dong nhan dan",
    "tp": "thanh pho",
    "tw": "trung uong",
    "mttq": "mat tran to quoc",
    "pt&th": "phat thanh va truyen hinh",
    "ptth": "phat thanh va truyen hinh",
    "pt-th": "phat thanh va truyen hinh",
    "ttdt": "thong tin dien tu",
    "tt&tt": "thong tin va truyen thong",
    "vpub": "van phong uy ban nhan dan",
}
_LEADING_FILLER = ("cac ", "he thong ", "toan bo ", "nhung ")


def strip_markup(text: str) -> str:
    """Text of a cell without HTML tags; list items and line breaks become new lines."""
    broken = _BREAK_TAGS.sub("\n", text)
    bare = html.unescape(_ANY_TAG.sub(" ", broken))
    lines = (_SPACES.sub(" ", line).strip() for line in bare.splitlines())
    return "\n".join(line for line in lines if line)


_PAIRED = re.compile(r"\*{1,3}([^*]*)\*{1,3}|(?<![\w_])_{1,2}([^_\n]+?)_{1,2}(?![\w_])")
_EDGE = re.compile(r"^\*+(?=\S)|(?<=\S)\*+$")


def strip_emphasis(line: str) -> str:
    """A line of a text export without Markdown emphasis markers ("*", "**", "_"), paired
    or left open where the emphasis runs over a line break ("*- Số lần" ... "trực tiếp*")."""
    bare = _PAIRED.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), line)
    return _EDGE.sub("", bare.strip())


def one_line(text: str) -> str:
    """A cell's text on one line, without markup or leading list bullets."""
    flat = " ".join(strip_markup(text).split())
    return re.sub(r"^[-+•*]\s+", "", flat).strip()


def ascii_fold(text: str) -> str:
    """Lower-case ASCII: diacritics dropped, "đ" read as "d", spaces collapsed."""
    swapped = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in swapped if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


def fold_name(text: str) -> str:
    """A key for comparing agency names: ASCII, abbreviations expanded, punctuation dropped."""
    words = []
    for word in ascii_fold(text).replace(".", " ").split():
        words.append(_ABBREVIATIONS.get(word, word))
    joined = " ".join(words).replace("&", " va ")
    key = " ".join(re.sub(r"[^a-z0-9 ]", " ", joined).split())
    for filler in _LEADING_FILLER:
        key = key.removeprefix(filler)
    return key


def slugify(text: str, *, max_words: int = 6) -> str:
    """An ASCII id from Vietnamese text: "Sở Nội vụ" -> "so-noi-vu"."""
    words = re.sub(r"[^a-z0-9]+", " ", ascii_fold(text)).split()
    return "-".join(words[:max_words]) or "x"
