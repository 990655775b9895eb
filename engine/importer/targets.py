"""Quantities in task text ("tối thiểu 12 tin/bài", "06 cuộc") read as targets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.importer.text import one_line

# Units that plans count in; longest first so that "tin/bài" wins over "tin".
_UNITS = sorted((
    "tin/bài", "tin, bài", "tin bài", "bài viết", "bài", "tin", "cuộc", "lớp", "hội nghị",
    "buổi", "lần", "chuyên mục", "chuyên đề", "chuyên trang", "phóng sự", "số", "ấn phẩm",
    "tài liệu", "video", "clip", "pano", "băng rôn", "áp phích", "tờ rơi", "cuốn", "bản",
    "đợt", "chương trình", "kỳ", "tọa đàm", "phiên", "đoàn", "sản phẩm", "cuộc thi",
), key=len, reverse=True)
_FIRM = r"tối thiểu|ít nhất|không ít hơn|đảm bảo|tổ chức|đăng tải|có|phát hành|xuất bản"
_QUANTITY = re.compile(
    rf"(?:(?P<firm>{_FIRM})\s+)?(?P<count>\d{{1,4}})\s+(?P<unit>{'|'.join(map(re.escape, _UNITS))})"
    r"(?!\w)(?P<per>\s*/\s*(?:\d+\s*)?(?:tuần|tháng|quý|năm|ngày))?",
    re.I,
)


@dataclass(frozen=True)
class TargetGuess:
    """A count read from a task's text.

    Attributes:
        certain: False when the count is not introduced by "tối thiểu", "ít nhất"...
            or when the text holds several counts.
    """

    count: int
    unit: str
    certain: bool
    reason: str | None = None


def read_target(title: str) -> TargetGuess | None:
    """The target a task's text states, if any.

    A count per period ("01 lần/1 tuần") is a target of one per instance, and document
    numbers, years and "Đề án 06" are not counts (no unit follows them).

    Args:
        title: the task text as printed.

    Returns:
        The first quantity found, or None.
    """
    text = one_line(title)
    found = [m for m in _QUANTITY.finditer(text) if int(m["count"]) > 0]
    if not found:
        return None
    first = found[0]
    unit = _unit(first["unit"])
    count = int(first["count"])
    reasons = []
    if not first["firm"]:
        reasons.append(f"a count in the text ({first.group().strip()!r}): is it a target?")
    if len({(int(m["count"]), _unit(m["unit"])) for m in found}) > 1:
        others = ", ".join(repr(m.group().strip()) for m in found[1:])
        reasons.append(f"the text has other counts too ({others})")
    return TargetGuess(count, unit, not reasons, "; ".join(reasons) or None)


def _unit(printed: str) -> str:
    unit = printed.lower()
    return "tin/bài" if unit in ("tin, bài", "tin bài") else unit
