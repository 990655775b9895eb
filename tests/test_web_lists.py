"""The long lists of the standing unit's pages, in the browser and over HTTP: the review
queue (/xem-xet) and the outbox (/theo-doi/thu-di) page 50 at a time, keep their filters
from page to page, put pending extension requests first, name agencies, and answer a bad
page number or filter with a Vietnamese 400 page naming the parameter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from engine.store.review import request_extension, submit_completion
from engine.store.tables import InstanceRow
from engine.sweep.run import run_sweep
from tests.test_store import local
from tests.test_sweep_support import PLAN, at
from tests.test_web_browser import sign_in_operator
from tests.test_web_support import Site, browser_session, launch, served_site, shot

ASKING = f"{PLAN}:ban-hanh-ke-hoach:so-tai-chinh:2024"
REPORTED = 62  # completions awaiting review: two pages of the queue


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The seed site with 62 completions to review, one extension request, and the outbox
    of four more sweeps."""
    for built in served_site(tmp_path_factory.mktemp("web-lists")):
        with built.store.transaction() as tx:
            ids = [i for i in tx.scalars(select(InstanceRow.id).where(
                InstanceRow.plan_id == PLAN, InstanceRow.due_date.is_not(None))
                .order_by(InstanceRow.due_date, InstanceRow.id)) if i != ASKING]
            for instance in ids[:REPORTED]:
                submit_completion(tx, instance_id=instance, at=local(2024, 2, 5), actor="x",
                                  source="test")
            request_extension(tx, instance_id=ASKING, due=local(2024, 3, 5).date(),
                              reason="Chờ ý kiến Bộ Tài chính", actor="so-tai-chinh",
                              agency="so-tai-chinh", now=local(2024, 2, 16), source="test")
            for month, day in ((2, 21), (3, 25), (4, 22), (6, 24)):
                run_sweep(tx, now=at(2024, month, day))
        yield built


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


@pytest.fixture(scope="module")
def http(site: Site) -> Iterator[httpx.Client]:
    """An operator's session over plain HTTP (the sign-in form, then its cookie)."""
    with httpx.Client(base_url=site.url, follow_redirects=True) as client:
        form = client.get("/dang-nhap")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf, form.text
        answer = client.post("/dang-nhap", data={"token": site.operator.token,
                                                 "csrf": csrf.group(1)})
        assert "Các kế hoạch đang theo dõi" in answer.text, answer.text
        yield client


def items(page_html: str) -> list[str]:
    return re.findall(r'data-(?:review|extension)="([^"]+)"', page_html)


def test_the_queue_shows_extension_requests_first_and_pages_keeping_the_filter(
        site: Site, browser: Browser) -> None:
    page = browser_session(browser)
    sign_in_operator(site, page)
    page.goto(f"{site.url}/xem-xet")
    kinds = page.locator("nav.kinds")
    expect(kinds).to_contain_text(f"Tất cả ({REPORTED + 1})")
    expect(kinds).to_contain_text("Đề nghị gia hạn (1)")
    expect(kinds).to_contain_text(f"Báo cáo hoàn thành ({REPORTED})")
    expect(page.locator("article").first).to_have_attribute("data-extension", re.compile(r"\d"))
    expect(page.locator("article")).to_have_count(50)
    expect(page.locator("nav.pager").first).to_contain_text("Trang 1/2")
    shot(page, "22-xem-xet-phan-trang", "Xem xét và gia hạn")

    page.select_option('select[name="ke-hoach"]', PLAN)
    page.click("form.filters button")
    expect(page).to_have_url(re.compile(f"ke-hoach={PLAN}"))
    page.click("nav.kinds >> text=Báo cáo hoàn thành")
    expect(page.locator("article[data-extension]")).to_have_count(0)
    first = page.locator("article[data-review]").evaluate_all(
        "rows => rows.map(r => r.dataset.review)")
    assert len(first) == 50
    page.locator("nav.pager").first.get_by_text("Trang sau").click()
    expect(page.locator("nav.pager").first).to_contain_text("Trang 2/2")
    expect(page).to_have_url(re.compile(f"loai=hoan-thanh&ke-hoach={PLAN}&trang=2$"))
    second = page.locator("article[data-review]").evaluate_all(
        "rows => rows.map(r => r.dataset.review)")
    assert len(second) == REPORTED - 50 and not set(first) & set(second)
    expect(page.locator('select[name="ke-hoach"]')).to_have_value(PLAN)
    page.locator("nav.pager").first.get_by_text("Trang trước").click()
    expect(page.locator("article[data-review]").first).to_have_attribute("data-review",
                                                                           first[0])


def test_the_extension_filter_shows_only_extension_requests(http: httpx.Client) -> None:
    answer = http.get("/xem-xet", params={"loai": "gia-han"})
    assert answer.status_code == 200
    assert re.findall(r'data-(review|extension)="', answer.text) == ["extension"]
    assert "Chờ ý kiến Bộ Tài chính" in answer.text and "Trang 1/" not in answer.text
    by_lead = http.get("/xem-xet", params={"co-quan": "so-tai-chinh"})
    assert items(by_lead.text)[0].isdigit()
    assert all("so-tai-chinh" in i for i in items(by_lead.text)[1:])


@pytest.mark.parametrize(("query", "named"), [
    ({"trang": "3"}, "trang"), ({"trang": "0"}, "trang"), ({"trang": "hai"}, "trang"),
    ({"trang": "99999999999999999999"}, "trang"), ({"loai": "tat-ca"}, "loai"),
    ({"ke-hoach": "khong-co"}, "ke-hoach"), ({"co-quan": "<script>"}, "co-quan"),
], ids=["past the last page", "page zero", "a word", "a huge number", "an unknown kind",
        "an unknown plan", "an unknown agency"])
def test_a_bad_page_or_filter_of_the_queue_is_a_400_naming_it(
        http: httpx.Client, query: dict[str, str], named: str) -> None:
    answer = http.get("/xem-xet", params=query)
    assert answer.status_code == 400
    assert "Địa chỉ trang không hợp lệ" in answer.text
    assert f"Tham số «{named}» không nhận giá trị" in answer.text
    assert "<script>" not in answer.text


@pytest.mark.parametrize(("query", "named"), [
    ({"trang-thai": "da-xoa"}, "trang-thai"), ({"co-quan": "khong-co"}, "co-quan"),
    ({"trang": "-1"}, "trang"),
], ids=["an unknown state", "an unknown recipient", "a negative page"])
def test_a_bad_page_or_filter_of_the_outbox_is_a_400_naming_it(
        http: httpx.Client, query: dict[str, str], named: str) -> None:
    answer = http.get("/theo-doi/thu-di", params=query)
    assert answer.status_code == 400
    assert f"Tham số «{named}» không nhận giá trị" in answer.text


def test_the_outbox_names_agencies_and_pages_by_state_and_recipient(
        site: Site, browser: Browser) -> None:
    page = browser_session(browser)
    sign_in_operator(site, page)
    page.goto(f"{site.url}/theo-doi/thu-di")
    rows = page.locator("table.grid tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("nav.pager").first).to_contain_text("Trang 1/")
    finance = page.locator('span[title="so-tai-chinh"]').first
    expect(finance).to_have_text("Sở Tài chính")
    expect(page.locator("table.grid")).not_to_contain_text("so-tai-chinh,")
    shot(page, "23-thu-di-phan-trang", "Thư đã gửi")
    page.click("nav.periods >> text=chờ gửi")
    page.select_option('select[name="co-quan"]', "so-tai-chinh")
    page.click("form.filters button")
    expect(page).to_have_url(re.compile(r"trang-thai=queued&co-quan=so-tai-chinh$"))
    expect(rows.first).to_contain_text("Đang chờ gửi")
    names = rows.locator("td:nth-child(2) span").all_inner_texts()
    assert names and set(names) == {"Sở Tài chính"}
    page.goto(f"{site.url}/theo-doi/thu-di?trang=2")
    expect(page.locator("nav.pager").first).to_contain_text("Trang 2/")
    expect(page.locator('nav.pager a[rel="prev"]').first).to_have_attribute(
        "href", "/theo-doi/thu-di")


def test_a_decision_from_a_filtered_page_comes_back_to_it(site: Site, browser: Browser,
                                                          tmp_path: Path) -> None:
    page = browser_session(browser)
    sign_in_operator(site, page)
    page.goto(f"{site.url}/xem-xet?loai=hoan-thanh&trang=2")
    row = page.locator("article[data-review]").first
    decided = row.get_attribute("data-review")
    row.get_by_role("button", name="Chấp nhận").click()
    expect(page.locator(".notice")).to_have_text("Đã ghi nhận quyết định.")
    expect(page).to_have_url(re.compile(r"\?loai=hoan-thanh&trang=2&xong=1$"))
    expect(page.locator("nav.pager").first).to_contain_text("Trang 2/2")
    expect(page.locator(f'article[data-review="{decided}"]')).to_have_count(0)
    expect(page.locator("nav.kinds")).to_contain_text(f"Báo cáo hoàn thành ({REPORTED - 1})")
