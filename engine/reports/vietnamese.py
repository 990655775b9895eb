"""Vietnamese conventions for reports: alphabetical order, numbers, rates, dates, periods."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# Vietnamese alphabetical order (CLDR "vi"): letters a ă â b c d đ e ê ... o ô ơ ... u ư ...
# first; then tones, none < huyền < hỏi < ngã < sắc < nặng; then lower before upper case.
_LETTER_RANK = {c: 0x110000 + n for n, c in enumerate("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz")}
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_LABEL = re.compile(r"(?P<year>\d{4})(?:-(?:Q(?P<q>\d)|H(?P<h>\d)|(?P<nine>9M)|W(?P<w>\d{2})"
                    r"|(?P<m>\d{2})))?$")


def vietnamese_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...],
                                            str]:
    """A key sorting `text` in Vietnamese alphabetical order, without system locales.

    Letters compare first ("Đông Anh" after "Dương Xá", before "Gia Lâm"), then tone marks
    ("Ma" < "Mà" < "Mả" < "Mã" < "Má" < "Mạ"), then case. Other characters (spaces,
    digits, punctuation) sort before letters, by code point.
    """
    letters, tones, cases = [], [], []
    for char in unicodedata.normalize("NFC", text):
        marks = unicodedata.normalize("NFD", char)
        toneless = unicodedata.normalize("NFC", "".join(m for m in marks if m not in _TONE_RANK))
        lower = toneless.lower() or char  # a lone tone mark stays itself
        letters.append(_LETTER_RANK.get(lower, ord(lower[0])))
        tones.append(max((_TONE_RANK.get(m, 0) for m in marks), default=0))
        cases.append(int(toneless != lower))
    return tuple(letters), tuple(tones), tuple(cases), text


def format_number(value: int) -> str:
    """A whole number with a dot between thousands: 1234567 -> "1.234.567"."""
    return f"{value:,}".replace(",", ".")


def format_rate(value: float | None, *, decimals: int = 1) -> str:
    """A rate as a percentage with a decimal comma: 0.3456 -> "34,6%"; none -> "—"."""
    if value is None:
        return "—"
    whole = f"{value * 100:,.{decimals}f}"  # "1,234.5"
    return whole.replace(",", " ").replace(".", ",").replace(" ", ".") + "%"


def format_date(day: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy, or an em dash when there is no date (a continuous duty)."""
    return day.strftime("%d/%m/%Y") if day is not None else "—"


def period_title(label: str) -> str:
    """A period as a heading or a list names it: "2024-Q1" -> "Quý I năm 2024"."""
    return capital(period_name(label))


def period_name(label: str) -> str:
    """A period label as a report names it: "2024-Q1" -> "quý I năm 2024",
    "2024-H1" -> "6 tháng đầu năm 2024", "2024-9M" -> "9 tháng năm 2024"."""
    found = _LABEL.match(label)
    if found is None:
        return label
    year = found["year"]
    if found["q"]:
        return f"quý {_ROMAN.get(int(found['q']), found['q'])} năm {year}"
    if found["h"]:
        return f"6 tháng {'đầu' if found['h'] == '1' else 'cuối'} năm {year}"
    if found["nine"]:
        return f"9 tháng năm {year}"
    if found["w"]:
        return f"tuần {found['w']} năm {year}"
    if found["m"]:
        return f"tháng {int(found['m'])} năm {year}"
    return f"năm {year}"


def span_name(start: dt.date, end: dt.date) -> str:
    """A span of whole months as a report names it ("quý II năm 2024", "tháng 3 năm 2024",
    "6 tháng cuối năm 2024"); any other span: "trong kỳ"."""
    next_day = end + dt.timedelta(days=1)
    months = (next_day.year - start.year) * 12 + next_day.month - start.month
    if start.day != 1 or next_day.day != 1 or start.year != end.year:
        return "trong kỳ"
    if months == 3 and start.month % 3 == 1:
        return period_name(f"{start.year}-Q{start.month // 3 + 1}")
    if months == 1:
        return period_name(f"{start.year}-{start.month:02d}")
    if months == 6 and start.month in (1, 7):
        return period_name(f"{start.year}-H{1 if start.month == 1 else 2}")
    return "trong kỳ"


def capital(text: str) -> str:
    """The first letter upper-cased, the rest kept ("quý II" -> "Quý II", not "Quý ii")."""
    return text[:1].upper() + text[1:]


def upper_vi(text: str) -> str:
    """Upper case with the marks kept ("Sở Nội vụ" -> "SỞ NỘI VỤ"), for document headers."""
    return unicodedata.normalize("NFC", text).upper()
