"""Completion review and deadline extensions in the browser: the lead asks for more time on
its instance's page, the issuer grants it from its review queue; the standing unit returns
a reported completion with a reason, and accepts the one sent again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from engine.store.events import get_instance
from engine.store.review import extension_requests
from tests.test_web_browser import events_of, sign_in_operator
from tests.test_web_support import (
    Y_TE,
    Site,
    browser_session,
    launch,
    register_future_plan,
    served_site,
    shot,
    sign_in_link,
)

YEAR = dt.date.today().year + 1


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from served_site(tmp_path_factory.mktemp("web-review"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


def test_the_lead_asks_for_more_time_and_the_issuer_grants_it(
        site: Site, browser: Browser, tmp_path: Path) -> None:
    plan = register_future_plan(site.store, tmp_path, year=YEAR)
    instance = f"{plan}:ban-hanh-ke-hoach:so-y-te:{YEAR}"
    lead = browser_session(browser)
    lead.goto(sign_in_link(site, directory=f"hanoi-{YEAR}", agency="so-y-te",
                           then=f"/don-vi/viec/{instance}"))
    expect(lead.locator("h1")).to_contain_text("Đầu việc: Ban hành Kế hoạch")
    form = lead.locator('form[action$="/gia-han"]')
    form.locator('input[name="due"]').fill(f"{YEAR}-03-15")
    form.locator("button").click()  # no reason: the form comes back, nothing asked
    expect(lead.locator(".field-error")).to_contain_text("lý do")
    with site.store.transaction() as tx:
        assert extension_requests(tx, instance_id=instance) == []
    form = lead.locator('form[action$="/gia-han"]')
    form.locator('textarea[name="reason"]').fill("Chờ ý kiến góp ý của các phòng chuyên môn")
    form.locator("button").click()
    expect(lead.locator(".notice")).to_have_text(
        "Đã gửi đề nghị gia hạn; chờ cơ quan có thẩm quyền quyết định.")
    expect(lead.locator("main")).to_contain_text("đang chờ quyết định")
    shot(lead, "20-de-nghi-gia-han", lead.locator("h1").inner_text())

    issuer = browser_session(browser)
    issuer.goto(sign_in_link(site, directory=f"hanoi-{YEAR}", agency="ubnd-tp"))
    expect(issuer.locator("main")).to_contain_text("Có 1 việc chờ đơn vị xem xét")
    issuer.click(f'a[href="/lanh-dao/{plan}"]')  # leadership: the issuer's own dashboard
    expect(issuer.locator("h1")).to_have_text("Bảng điều hành kế hoạch")
    issuer.goto(f"{site.url}/xem-xet")
    row = issuer.locator("article[data-extension]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Chờ ý kiến góp ý")
    shot(issuer, "21-xem-xet-gia-han", "Xem xét và gia hạn")
    row.get_by_role("button", name="Chấp thuận", exact=True).click()
    expect(issuer.locator(".notice")).to_have_text("Đã ghi nhận quyết định.")
    expect(issuer.locator("article[data-extension]")).to_have_count(0)
    with site.store.transaction() as tx:
        due = get_instance(tx, instance).due_date
    assert due is not None and dt.date(YEAR, 3, 15) <= due <= dt.date(YEAR, 3, 17)
    lead.reload()
    expect(lead.locator("main")).to_contain_text("đã chấp thuận")
    expect(lead.locator(".facts")).to_contain_text(f"{due:%d/%m/%Y}")


def test_the_lead_cannot_decide_its_own_request(site: Site, browser: Browser,
                                                tmp_path: Path) -> None:
    page = browser_session(browser)
    page.goto(site.page_link(Y_TE))
    page.goto(f"{site.url}/xem-xet")
    expect(page.locator("h1")).to_have_text("Xem xét và gia hạn")
    expect(page.locator("article")).to_have_count(0)  # Sở Y tế reviews and approves nothing


def test_the_standing_unit_returns_a_report_and_accepts_the_one_sent_again(
        site: Site, browser: Browser) -> None:
    instance, _ = site.instance_link(Y_TE)
    lead = browser_session(browser)
    lead.goto(site.page_link(Y_TE))

    def report(url: str) -> None:
        card = lead.locator(f'article[data-instance="{instance}"]')
        card.locator("summary").click()
        card.locator('input[name="evidence_url"]').fill(url)
        card.locator("text=Đã hoàn thành").click()
        expect(lead.locator(".notice").first).to_contain_text("Đã ghi nhận hoàn thành")

    report("https://example.org/ke-hoach-y-te.pdf")
    unit = browser_session(browser)
    sign_in_operator(site, unit)
    unit.goto(f"{site.url}/xem-xet")
    row = unit.locator(f'article[data-review="{instance}"]')
    # No reason: refused at the row, nothing written.
    row.get_by_role("button", name="Trả lại").click()
    expect(unit.locator(f'article[data-review="{instance}"] .field-error')).to_contain_text(
        "lý do")
    assert [k for k, _, _ in events_of(site, instance)] == ["completed"]
    row = unit.locator(f'article[data-review="{instance}"]')
    row.locator('input[name="reason"]').fill("Thiếu quyết định ban hành kèm theo")
    row.get_by_role("button", name="Trả lại").click()
    expect(unit.locator(f'article[data-review="{instance}"]')).to_have_count(0)
    lead.goto(f"{site.url}/don-vi")
    report("https://example.org/ke-hoach-y-te-kem-quyet-dinh.pdf")
    unit.goto(f"{site.url}/xem-xet")
    shot(unit, "22-xem-xet-bao-cao", "Xem xét và gia hạn")
    accept = unit.locator(f'article[data-review="{instance}"]')
    accept.get_by_role("button", name="Chấp nhận").click()
    expect(unit.locator(f'article[data-review="{instance}"]')).to_have_count(0)
    assert [k for k, _, _ in events_of(site, instance)] == [
        "completed", "returned", "completed", "accepted"]
    lead.goto(f"{site.url}/don-vi/viec/{instance}")
    expect(lead.locator("table.grid")).to_contain_text("Trả lại báo cáo")
    expect(lead.locator("table.grid")).to_contain_text("Thiếu quyết định ban hành")
