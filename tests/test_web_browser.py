"""The web pages in a real browser: Debian's chromium driven by Playwright, against the app
served by uvicorn on loopback, signed in through the links of a real digest of the seed
plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from engine.api.auth import revoke_token
from engine.store.tables import EventRow
from engine.store.tables_web import EvidenceFileRow
from engine.web.signin import make_code, read_code, sign_in_url
from tests.test_web_support import (
    DAN_TOC,
    PLAN,
    Y_TE,
    Site,
    browser_session,
    launch,
    served_site,
    shot,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from served_site(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


def events_of(site: Site, instance_id: str) -> list[tuple[str, str, str | None]]:
    with site.store.transaction() as tx:
        return [(e.kind, e.actor, e.evidence_url) for e in tx.scalars(
            select(EventRow).where(EventRow.instance_id == instance_id).order_by(EventRow.id))]


def sign_in_operator(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/dang-nhap")
    page.fill("#token", site.operator.token)
    page.click("text=Đăng nhập >> nth=-1")
    expect(page.locator("h1")).to_have_text("Các kế hoạch đang theo dõi")


def test_an_agency_marks_its_work_done_with_a_file_from_its_digest_link(
        site: Site, browser: Browser, tmp_path: Path) -> None:
    page = browser_session(browser)
    instance, _ = site.instance_link(Y_TE)
    page.goto(site.page_link(Y_TE))
    assert page.url == f"{site.url}/don-vi"
    shot(page, "01-viec-cua-don-vi", "Việc của đơn vị")
    card = page.locator(f'article[data-instance="{instance}"]')
    card.locator("summary").click()
    evidence = tmp_path / "bien-ban-ban-hanh.pdf"
    evidence.write_bytes(PDF)
    card.locator('input[type="file"]').set_input_files(str(evidence))
    card.locator('textarea[name="note"]').fill("Đã ban hành kế hoạch tuyên truyền")
    card.locator("text=Đã hoàn thành").click()
    expect(page.locator(".notice")).to_contain_text("Đã ghi nhận hoàn thành: «Ban hành Kế hoạch")
    done = page.locator(f'#nhom-done article[data-instance="{instance}"]')
    expect(done).to_contain_text("bien-ban-ban-hanh.pdf")
    expect(done.locator(".badge")).to_have_text("Hoàn thành quá hạn")
    shot(page, "02-da-hoan-thanh", "Việc của đơn vị")
    [(kind, actor, url)] = events_of(site, instance)
    assert (kind, actor) == ("completed", "so-y-te") and url and "/tep/" in url
    with page.expect_download() as download:  # the file, as the store kept it
        done.locator("a", has_text="bien-ban-ban-hanh.pdf").click()
    assert Path(download.value.path()).read_bytes() == PDF


def test_the_dashboard_shows_the_new_figure_and_the_instance_history(
        site: Site, browser: Browser) -> None:
    page = browser_session(browser)
    sign_in_operator(site, page)
    shot(page, "03-cac-ke-hoach", "Các kế hoạch đang theo dõi")
    page.goto(f"{site.url}/theo-doi/ke-hoach/{PLAN}?ky=2024")
    before = int(page.locator('[data-status="done_late"] .big').inner_text())
    agency_page = browser_session(browser)
    agency_page.goto(site.page_link(DAN_TOC))
    other, _ = site.instance_link(DAN_TOC)
    card = agency_page.locator(f'article[data-instance="{other}"]')
    card.locator("summary").click()
    card.locator('input[name="evidence_url"]').fill("https://example.org/ke-hoach-dan-toc.pdf")
    card.locator("text=Đã hoàn thành").click()
    expect(agency_page.locator(".notice")).to_contain_text("Đã ghi nhận hoàn thành")
    page.reload()
    for _ in range(60):  # a slow build (a loaded machine) is shown as kept while rebuilt
        if page.locator(".refreshing").count() == 0:
            break
        page.wait_for_timeout(500)
        page.reload()
    assert int(page.locator('[data-status="done_late"] .big').inner_text()) == before + 1
    expect(page.locator("table.heat")).to_be_visible()
    expect(page.locator("svg.burnup polyline")).to_have_count(2)
    shot(page, "04-bang-theo-doi", "Bảng theo dõi kế hoạch")
    page.click("#xep-hang tbody tr >> nth=0 >> a")
    expect(page.locator("h1")).to_contain_text("Cơ quan: ")
    shot(page, "05-co-quan", page.locator("h1").inner_text())
    agency_name = page.locator("h1").inner_text().removeprefix("Cơ quan: ")
    page.click("text=Tạo liên kết đăng nhập cho đơn vị")  # for an agency whose link expired
    fresh_link = page.locator('input[aria-label="Liên kết đăng nhập"]').input_value()
    newcomer = browser_session(browser)
    newcomer.goto(fresh_link)
    expect(newcomer.locator("h1")).to_have_text("Việc của đơn vị")
    expect(newcomer.locator("main")).to_contain_text(agency_name)
    newcomer.context.close()
    page.goto(f"{site.url}/theo-doi/viec/{other}")
    history = page.locator("table.grid tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Báo hoàn thành")
    expect(history.first).to_contain_text("Ban Dân tộc")
    shot(page, "06-lich-su-dau-viec", page.locator("h1").inner_text())
    page.goto(f"{site.url}/theo-doi/thu-di")
    expect(page.locator("table.grid tbody tr").first).to_contain_text("Đã gửi")
    shot(page, "07-thu-da-gui", "Thư đã gửi")


def test_leadership_reads_a_printable_dashboard_and_downloads_the_reports(
        site: Site, browser: Browser) -> None:
    page = browser_session(browser)
    sign_in_operator(site, page)
    page.goto(f"{site.url}/lanh-dao/{PLAN}?ky=2024-Q1")
    expect(page.locator("form.action")).to_have_count(0)
    shot(page, "08-bang-dieu-hanh", "Bảng điều hành kế hoạch")
    for fmt, starts in (("DOCX", b"PK\x03\x04"), ("XLSX", b"PK\x03\x04"),
                        ("HTML", b"<!DOCTYPE html>")):
        with page.expect_download() as download:
            page.click(f"text={fmt}")
        assert Path(download.value.path()).read_bytes().lstrip()[:len(starts)] == starts
        if fmt == "DOCX":  # the administrative document, not a workbook renamed
            document = docx.Document(download.value.path())
            assert "BÁO CÁO" in [p.text for p in document.paragraphs]
            assert any("Nơi nhận:" in cell.text for table in document.tables
                       for row in table.rows for cell in row.cells)
    page.emulate_media(media="print")
    expect(page.locator("nav.periods")).to_be_hidden()
    page.pdf(path=str(Path(shot(page, "09-ban-in", "Bảng điều hành kế hoạch")).with_suffix(
        ".pdf")))


def test_a_second_agency_can_neither_see_nor_change_the_first_ones_work(
        site: Site, browser: Browser) -> None:
    theirs, _ = site.instance_link(Y_TE)
    page = browser_session(browser)
    page.goto(site.page_link(DAN_TOC))
    assert theirs not in page.content()
    recorded = events_of(site, theirs)
    page.goto(f"{site.url}/don-vi/viec/{theirs}")  # URL tampering: the other's instance
    shot(page, "10-khong-co-quyen", "Không có quyền với đầu việc này")
    page.goto(f"{site.url}/don-vi")
    card = page.locator("#nhom-overdue article").first
    card.locator("summary").click()
    form = card.locator("form.action").first
    form.evaluate("(f, id) => f.action = '/don-vi/viec/' + id + '/hoan-thanh'", theirs)
    form.locator('input[name="evidence_url"]').fill("https://example.org/gia-mao.pdf")
    form.locator("text=Đã hoàn thành").click()
    expect(page.locator("h1")).to_have_text("Không có quyền với đầu việc này")
    assert events_of(site, theirs) == recorded
    operator_page = browser_session(browser)  # an agency session is no operator
    operator_page.goto(site.page_link(DAN_TOC))
    operator_page.goto(f"{site.url}/theo-doi/ke-hoach/{PLAN}")
    expect(operator_page.locator("h1")).to_have_text("Không có quyền xem trang này")


def test_a_forged_or_stale_form_is_refused_and_nothing_is_written(
        site: Site, browser: Browser) -> None:
    page = browser_session(browser)
    page.goto(site.page_link(DAN_TOC))
    card = page.locator("#nhom-overdue article").first
    instance = card.get_attribute("data-instance")
    assert instance
    card.locator("summary").click()
    card.locator('input[name="csrf"]').first.evaluate("i => i.value = 'f'.repeat(64)")
    card.locator('input[name="evidence_url"]').fill("https://example.org/x.pdf")
    card.locator("text=Đã hoàn thành").click()
    shot(page, "11-bieu-mau-gia-mao", "Biểu mẫu không hợp lệ")
    assert events_of(site, instance) == []
    # A cross-site POST carries the cookie at most (SameSite=Lax drops it), never the token.
    answer = page.request.post(f"{site.url}/don-vi/viec/{instance}/hoan-thanh",
                               multipart={"evidence_url": "https://example.org/x.pdf"})
    assert answer.status == 403 and events_of(site, instance) == []


def test_bad_input_comes_back_at_the_field_with_nothing_written(
        site: Site, browser: Browser, tmp_path: Path) -> None:
    page = browser_session(browser)
    page.goto(site.page_link(DAN_TOC))
    card = page.locator("#nhom-overdue article").first
    instance = card.get_attribute("data-instance")
    assert instance
    card.locator("summary").click()
    program = tmp_path / "bao-cao.pdf"
    program.write_bytes(b"MZ\x90\x00 not a pdf")
    card.locator('input[type="file"]').set_input_files(str(program))
    card.locator('input[name="evidence_url"]').fill("ftp://example.org/bao-cao.pdf")
    card.locator("text=Đã hoàn thành").click()
    again = page.locator(f'article[data-instance="{instance}"]')
    expect(again.locator(".field-error").nth(0)).to_contain_text("http:// hoặc https://")
    expect(again.locator(".field-error").nth(1)).to_contain_text("không phải tệp PDF")
    expect(again.locator('input[name="evidence_url"]')).to_have_value(
        "ftp://example.org/bao-cao.pdf")
    shot(page, "12-loi-nhap-lieu", "Việc của đơn vị")
    assert events_of(site, instance) == []
    with site.store.transaction() as tx:
        assert tx.scalar(select(func.count()).select_from(EvidenceFileRow).where(
            EvidenceFileRow.instance_id == instance)) == 0


def test_an_expired_link_says_so_and_how_to_get_a_new_one(site: Site, browser: Browser,
                                                          ) -> None:
    link = site.page_link(DAN_TOC)
    code = link.split("ma=", 1)[1]
    with site.store.transaction() as tx:
        caller = read_code(tx, code, purpose="link", now=dt.datetime.now(dt.UTC))
    stale = make_code(caller.token_id, caller.signing_secret, purpose="link",
                      expires=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    page = browser_session(browser)
    response = page.goto(sign_in_url(site.url, stale))
    assert response is not None and response.status == 410
    expect(page.locator("main")).to_contain_text("Cách lấy liên kết mới")
    shot(page, "13-lien-ket-het-han", "Liên kết đã hết hạn")
    forged = code[:-4] + ("0000" if not code.endswith("0000") else "1111")
    page.goto(sign_in_url(site.url, forged))
    expect(page.locator("h1")).to_have_text("Liên kết không hợp lệ")


def test_revoking_the_agency_token_refuses_its_link_and_its_open_session(
        site: Site, browser: Browser) -> None:
    page = browser_session(browser)
    link = site.page_link("so-noi-vu@hanoi.example.org")
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Việc của đơn vị")
    with site.store.transaction() as tx:
        caller = read_code(tx, link.split("ma=", 1)[1], purpose="link",
                           now=dt.datetime.now(dt.UTC))
        revoke_token(tx, caller.token_id, now=dt.datetime.now(dt.UTC))
    page.reload()
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Liên kết đã bị thu hồi")


def test_the_api_docs_and_every_asset_come_from_the_app_itself(site: Site,
                                                               browser: Browser) -> None:
    page = browser_session(browser)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{site.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("kehoach webhook API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page.goto(site.page_link(DAN_TOC))
    expect(page.locator("h1")).to_have_text("Việc của đơn vị")
    assert requested and all(url.startswith(site.url) for url in requested), requested


def test_the_agency_page_gives_its_calendar_feed(site: Site, browser: Browser) -> None:
    page = browser_session(browser)
    page.goto(site.page_link(DAN_TOC))
    page.click("text=Tạo địa chỉ lịch")
    feed = page.locator('input[aria-label="Địa chỉ lịch"]').input_value()
    assert feed.startswith(f"{site.url}/api/v1/agencies/ban-dan-toc/calendar.ics?token=")
    answer = page.request.get(feed)
    assert answer.status == 200 and "BEGIN:VCALENDAR" in answer.text()
    assert answer.headers["content-type"].startswith("text/calendar")


def test_a_file_over_the_limit_is_refused_before_it_is_read(site: Site, browser: Browser,
                                                            tmp_path: Path) -> None:
    page = browser_session(browser)
    page.goto(site.page_link(DAN_TOC))
    card = page.locator("#nhom-overdue article").first
    instance = card.get_attribute("data-instance")
    assert instance
    card.locator("summary").click()
    big = tmp_path / "ho-so.pdf"
    big.write_bytes(PDF + b"0" * (11 * 1024 * 1024))
    card.locator('input[type="file"]').set_input_files(str(big))
    card.locator("text=Đã hoàn thành").click()
    expect(page.locator("h1")).to_have_text("Tệp quá lớn")
    expect(page.locator("main")).to_contain_text("10 MB")
    assert events_of(site, instance) == []
