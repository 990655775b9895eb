"""Leadership prints its dashboard (Debian's chromium, Playwright's page.pdf on A4): every
column of the ranking and of the heat map is on paper, the heat map keeps its colours, the
site's navigation is left off; the period picker names its periods; and a browser that
opens an unknown address gets the pages' Vietnamese error page, not the API's JSON."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pdfplumber
import pytest
from PIL import Image
from playwright.sync_api import Browser, expect
from sqlalchemy import func, or_, select

from engine.api.auth import Role, issue_token
from engine.core.status import Event, EventKind
from engine.store.events import record_event
from engine.store.tables import AgencyRow, InstanceRow
from engine.web.signin import LINK_LIFETIME, leadership_link
from tests.conftest import ROOT
from tests.test_sweep_support import at
from tests.test_web_support import PLAN, Site, browser_session, launch, served_site

OUT = ROOT / "test-output" / "print"
RANKING = ["Hạng", "Cơ quan", "Số đầu việc", "Hoàn thành đúng hạn", "Hoàn thành quá hạn",
           "Đang thực hiện trong hạn", "Quá hạn chưa hoàn thành", "Miễn / hủy",
           "Tỷ lệ hoàn thành", "Tỷ lệ đúng hạn", "Trễ nhiều nhất (ngày làm việc)"]
MONTHS = [f"T{n}" for n in range(1, 13)]
ORANGE = (0xFF, 0xB7, 0x4D)  # .h-warn
MM5 = 5 / 25.4 * 72  # 5 mm in PDF points
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from served_site(tmp_path_factory.mktemp("web-print"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


def leadership_url(site: Site) -> str:
    now = dt.datetime.now(dt.UTC)
    with site.store.transaction() as tx:
        token = issue_token(tx, role=Role.LEADERSHIP, directory_id="hanoi-2024",
                            agency_id=None, now=now, note="Chủ tịch UBND")
    return leadership_link(site.url, token.id, token.signing_secret, expires=now + LINK_LIFETIME)


def flat(text: str) -> str:
    return " ".join(text.split())


def half_done_in_january(site: Site, name: str) -> None:
    """Half the agency's January deadlines completed (late): its January cell turns
    orange (còn quá hạn, at least half done)."""
    due = func.coalesce(InstanceRow.printed_due, InstanceRow.due_date)
    with site.store.transaction() as tx:
        agency = tx.scalars(select(AgencyRow.id).where(AgencyRow.plan_id == PLAN,
                                                        or_(AgencyRow.name == name,
                                                            AgencyRow.short == name))).one()
        january = sorted(tx.scalars(select(InstanceRow.id).where(
            InstanceRow.plan_id == PLAN, InstanceRow.agency_id == agency,
            due >= dt.date(2024, 1, 1), due <= dt.date(2024, 1, 31))))
        assert len(january) >= 2, january
        for instance in january[:len(january) // 2]:
            record_event(tx, Event(instance, EventKind.COMPLETED, at(2024, 2, 20), "tester",
                                   "test", evidence_url="https://dai-ptth.example.org/t1"))


def test_the_printed_dashboard_keeps_every_column_its_colours_and_no_navigation(
        site: Site, browser: Browser) -> None:
    half_done_in_january(site, "Đài PTTH Hà Nội")
    page = browser_session(browser)
    page.goto(leadership_url(site))
    expect(page.locator("h1")).to_have_text("Bảng điều hành kế hoạch")
    page.goto(f"{site.url}/lanh-dao/{PLAN}?ky=2024")
    warm = page.locator("table.heat tbody tr", has=page.locator("td.h-warn")).first
    name = warm.locator("th").inner_text().strip()
    column = [c.get_attribute("class") for c in warm.locator("td").all()].index("h-warn") + 1
    OUT.mkdir(parents=True, exist_ok=True)
    pdf = OUT / "bang-dieu-hanh.pdf"
    page.pdf(path=str(pdf), format="A4")
    with pdfplumber.open(pdf) as document:
        text = " ".join(flat(p.extract_text() or "") for p in document.pages)
        heads = [[flat(c or "") for c in t[0]] for p in document.pages for t in p.extract_tables()]
        edges = [(w["x0"], w["x1"], p.width) for p in document.pages for w in p.extract_words()]
        found = [(n, p.width, p.height, row.cells[column]) for n, p in enumerate(document.pages)
                 for t in p.find_tables() for row, cells in zip(t.rows, t.extract(), strict=True)
                 if flat(cells[0] or "") == name]
    assert RANKING in heads and ["Cơ quan", *MONTHS] in heads, heads
    # Nothing at the paper's edge, where printers cut (at least 5 mm of margin each side).
    assert min(x0 for x0, _, _ in edges) > MM5 and max(x1 - w for _, x1, w in edges) < -MM5
    assert "Đăng xuất" not in text and text.count("Bảng điều hành") == 1  # the heading only
    assert found, (name, heads)
    page_index, width, height, cell = found[0]
    png = render(pdf, page_index)
    image = Image.open(png).convert("RGB")
    sx, sy = image.width / width, image.height / height
    x0, top, x1, bottom = cell
    patch = [image.getpixel((x, y)) for x in range(int(x0 * sx) + 1, int(x1 * sx) - 1)
             for y in range(int(top * sy) + 1, int(bottom * sy) - 1)]
    near = [p for p in patch if all(abs(a - b) < 40 for a, b in zip(p, ORANGE, strict=True))]
    assert len(near) > len(patch) / 2, (png, cell, patch[:5])


def render(pdf: Path, page_index: int) -> Path:
    """The PDF's page as a PNG next to it (pdftoppm, 96 dpi)."""
    stem = pdf.with_name(f"{pdf.stem}-trang-{page_index + 1}")
    subprocess.run(["pdftoppm", "-png", "-r", "96", "-singlefile", "-f", str(page_index + 1),
                    "-l", str(page_index + 1), str(pdf), str(stem)], check=True)
    return stem.with_suffix(".png")


def test_the_period_picker_names_the_periods_and_keeps_their_codes(
        site: Site, browser: Browser) -> None:
    page = browser_session(browser)
    page.goto(leadership_url(site))
    links = page.locator("nav.periods a[href*='?ky=']")
    expect(links.first).to_have_text("Quý I năm 2024")
    names = links.all_inner_texts()[:4]
    assert names == ["Quý I năm 2024", "6 tháng đầu năm 2024", "9 tháng năm 2024", "Năm 2024"]
    hrefs = [links.nth(i).get_attribute("href") for i in range(4)]
    assert [h.rsplit("=", 1)[1] for h in hrefs if h] == ["2024-Q1", "2024-H1", "2024-9M", "2024"]


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/khong-co-trang", 404),
                                                         ("POST", "/theo-doi", 405)])
def test_a_browser_gets_the_vietnamese_error_page_and_the_api_keeps_problem_json(
        site: Site, method: str, path: str, status: int) -> None:
    with httpx.Client(base_url=site.url, timeout=30) as client:
        page = client.request(method, path, headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == status
        assert page.headers["content-type"].startswith("text/html")
        assert "<h1>Không tìm thấy trang</h1>" in page.text if status == 404 else \
            "<h1>Không thực hiện được yêu cầu</h1>" in page.text
        assert 'href="/"' in page.text
        for headers, where in (({"Accept": "application/json"}, path), ({}, path),
                               ({"Accept": BROWSER_ACCEPT}, "/api/v1/khong-co")):
            answer = client.request(method if where == path else "GET", where, headers=headers)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["status"] == (status if where == path else 404)
