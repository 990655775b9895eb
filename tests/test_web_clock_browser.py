"""The simulated clock and the leadership credential in a real browser (Debian's chromium
driven by Playwright): what a trial user sees, with screenshots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from engine.api.auth import Role, issue_token
from engine.settings import Settings
from engine.store.database import open_store
from engine.web.signin import LINK_LIFETIME, leadership_link
from tests.test_sweep_support import PLAN, iid, register_seed
from tests.test_web_clock import agency_link, serving
from tests.test_web_support import browser_session, launch, shot

BANNER = "Đồng hồ mô phỏng: số liệu tính đến ngày 28/03/2024"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


def test_a_trial_on_a_simulated_clock_says_so_and_leadership_reads_the_dashboard(
        browser: Browser, tmp_path: Path) -> None:
    store = open_store(Settings(home=tmp_path))
    register_seed(store)
    now = dt.datetime.now(dt.UTC)
    with store.transaction() as tx:
        leader = issue_token(tx, role=Role.LEADERSHIP, directory_id="hanoi-2024",
                             agency_id=None, now=now)
    try:
        with serving(store, as_of="2024-03-28") as url:
            agency = browser_session(browser)
            agency.goto(agency_link(store, url, now=now))
            expect(agency.locator(".clock-banner")).to_contain_text(BANNER)
            expect(agency.locator("#nhom-soon h2")).to_have_text(
                "Sắp đến hạn (trong 7 ngày) (2)")
            shot(agency, "mo-phong-viec-cua-don-vi", "Việc của đơn vị")
            agency.goto(f"{url}/don-vi/viec/{iid('bao-cao-dinh-ky', 'so-y-te', '2024-Q1')}")
            agency.fill("input[name=due]", "2024-04-15")
            agency.fill("textarea[name=reason]", "Chờ số liệu của các bệnh viện")
            agency.click("text=Gửi đề nghị gia hạn")
            expect(agency.locator(".notice")).to_contain_text("Đã gửi đề nghị gia hạn")

            reader = browser_session(browser)
            reader.goto(leadership_link(url, leader.id, leader.signing_secret,
                                        expires=now + LINK_LIFETIME))
            expect(reader).to_have_url(f"{url}/lanh-dao/{PLAN}")
            expect(reader.locator(".clock-banner")).to_contain_text(BANNER)
            expect(reader.locator("header nav a")).to_have_text(["Bảng điều hành"])
            shot(reader, "mo-phong-lanh-dao", "Bảng điều hành kế hoạch")
            with reader.expect_download() as download:
                reader.click("text=XLSX")
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
            assert saved.suffix == ".xlsx" and saved.read_bytes()[:2] == b"PK"
            reader.goto(f"{url}/theo-doi/thu-di")
            expect(reader.locator("h1")).to_have_text("Không có quyền với trang này")
    finally:
        store.close()
