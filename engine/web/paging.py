"""Long lists on the pages: GET filters checked with a Vietnamese 400, and page links.

A filter or page number that is not one of the values offered is refused with a page
naming the parameter (never ignored, never a 500); the pager's links keep the filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from engine.web.common import PageError

PAGE_SIZE = 50
PAGE = "trang"


def bad_parameter(name: str, value: str, hint: str) -> PageError:
    """The 400 page of a GET parameter with a value the page does not offer."""
    shown = value if len(value) <= 80 else value[:80] + "…"
    return PageError(400, "Địa chỉ trang không hợp lệ",
                     f"Tham số «{name}» không nhận giá trị «{shown}». {hint} Bỏ tham số này "
                     "khỏi địa chỉ để xem tất cả.")


def choice(query: QueryParams, name: str, allowed: Mapping[str, str], hint: str) -> str | None:
    """The parameter's value if it is one of `allowed`'s keys; None if absent or empty."""
    value = query.get(name, "")
    if not value:
        return None
    if value not in allowed:
        raise bad_parameter(name, value, hint)
    return value


@dataclass(frozen=True, slots=True)
class Pager:
    """Which page of `total` items is shown, and the links to its neighbours."""

    page: int
    pages: int
    total: int
    path: str
    kept: tuple[tuple[str, str], ...]

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    def link(self, page: int | None = None, **changed: str | None) -> str:
        """This list's address with the same filters, at `page` (else the first page)."""
        values = {**dict(self.kept), **changed}
        pairs = [(k, v) for k, v in values.items() if v] + (
            [(PAGE, str(page))] if page and page > 1 else [])
        return self.path + ("?" + urlencode(pairs) if pairs else "")

    @property
    def previous(self) -> str | None:
        return self.link(self.page - 1) if self.page > 1 else None

    @property
    def next(self) -> str | None:
        return self.link(self.page + 1) if self.page < self.pages else None

    @property
    def here(self) -> str:
        """The query string of this very page (for forms that come back to it)."""
        return self.link(self.page).removeprefix(self.path).removeprefix("?")


def pager(query: QueryParams, *, path: str, total: int, kept: Mapping[str, str | None],
          clamp: bool = False) -> Pager:
    """The page asked for by `trang` (1 if absent). Past the last page it is refused, or,
    with `clamp` (back from a decision that emptied it), the last page."""
    pages = max(1, -(-total // PAGE_SIZE))
    text = query.get(PAGE, "") or "1"
    number = int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0
    if clamp and number > pages:
        number = pages
    if not 1 <= number <= pages:
        raise bad_parameter(PAGE, text, f"Danh sách có {pages} trang: chọn số trang từ 1 đến "
                                        f"{pages}.")
    return Pager(number, pages, total, path,
                 tuple((k, v) for k, v in kept.items() if v))
