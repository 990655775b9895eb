"""What an agency meets around review and extensions, over real HTTP on both stores (the
app clock at 28/03/2024): a refused form comes back on the instance's own page; its
reports awaiting the standing unit's review are listed (and marked "đang chờ xem xét");
the standing unit sees the note and the file's name; extension refusals carry no spec
code, and no «Đề nghị gia hạn…» is offered where none could be accepted."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from engine.store.database import Store
from engine.store.events import get_instance
from tests.test_sweep_support import iid
from tests.test_web_clock import AS_OF, Q1_REPORT, agency_link, csrf_of, seeded, serving

__all__ = ["seeded"]  # the fixture, imported for pytest
PDF = b"%PDF-1.4\n% van ban\n"
LATE = iid("ban-hanh-ke-hoach", "so-y-te")  # due 20/02: past the window on 28/03
YEAR_END = iid("de-xuat-khen-thuong", "so-y-te")  # due 31/12/2024, the plan year's last day
NEWS_YEAR = iid("tin-bai-trang-ttdt", "so-y-te")  # a target of 12 posts: a progress form
NEWS_Q1 = iid("tin-bai-chuyen-trang-cchc", "so-y-te", "2024-Q1")


def card(html: str, instance: str) -> str:
    """The agency page's article of one instance."""
    found = re.search(rf'<article[^>]*data-instance="{re.escape(instance)}".*?</article>', html,
                      re.S)
    assert found, instance
    return found.group(0)


@contextmanager
def signed_in(store: Store, url: str, agency: str = "so-y-te") -> Iterator[httpx.Client]:
    """A browser-like client signed in by the agency's link."""
    with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as client:
        assert client.get(agency_link(store, url, now=dt.datetime.now(dt.UTC),
                                      agency=agency)).status_code == 200
        yield client


def test_a_refused_form_comes_back_on_the_instance_page(seeded: Store) -> None:
    with serving(seeded, as_of=AS_OF) as url, signed_in(seeded, url) as agency:
        page = agency.get(f"/don-vi/viec/{Q1_REPORT}")
        refused = agency.post(f"/don-vi/viec/{Q1_REPORT}/hoan-thanh", data={
            "csrf": csrf_of(page.text), "back": "instance", "note": "xong"},
            files={"file": ("bao-cao.exe", b"MZ\x90\x00", "application/octet-stream")})
        assert refused.status_code == 422
        assert "<h1>Đầu việc: " in refused.text and "Việc của đơn vị</h1>" not in refused.text
        assert "Tệp «bao-cao.exe» không thuộc loại được nhận" in refused.text
        assert 'value="xong"' in refused.text or ">xong<" in refused.text  # the note kept
        progress = agency.post(f"/don-vi/viec/{NEWS_YEAR}/tien-do", data={
            "csrf": csrf_of(page.text), "back": "instance", "count": "0"})
        assert progress.status_code == 422 and "<h1>Đầu việc: " in progress.text
        assert "Số lượng phải là số nguyên" in progress.text
        # sent from the list, a refusal still comes back on the list
        listed = agency.post(f"/don-vi/viec/{Q1_REPORT}/hoan-thanh", data={
            "csrf": csrf_of(page.text), "back": "page", "evidence_url": "khong-phai-url"})
        assert listed.status_code == 422 and "Việc của đơn vị</h1>" in listed.text
    with seeded.transaction() as tx:
        assert get_instance(tx, Q1_REPORT).state.completed_at is None  # nothing written


def report_done(agency: httpx.Client) -> httpx.Response:
    """Report the Q1 report done from its page, with a note and an uploaded PDF."""
    page = agency.get(f"/don-vi/viec/{Q1_REPORT}")
    return agency.post(f"/don-vi/viec/{Q1_REPORT}/hoan-thanh", data={
        "csrf": csrf_of(page.text), "back": "instance",
        "note": "Đã gửi báo cáo quý I kèm phụ lục"},
        files={"file": ("van-ban.pdf", PDF, "application/pdf")})


def test_the_agency_sees_its_reports_and_requests_wait_for_a_decision(seeded: Store) -> None:
    with serving(seeded, as_of=AS_OF) as url, signed_in(seeded, url) as agency:
        done = report_done(agency)
        assert done.status_code == 200 and "đang chờ xem xét" in done.text
        assert "đang chờ xem xét" in card(agency.get("/don-vi").text, Q1_REPORT)
        page = agency.get(f"/don-vi/viec/{NEWS_Q1}")
        asked = agency.post(f"/don-vi/viec/{NEWS_Q1}/gia-han", data={
            "csrf": csrf_of(page.text), "due": "2024-04-15", "reason": "Chờ số liệu"})
        assert asked.status_code == 200
        own = agency.get("/xem-xet").text
        assert "Việc của đơn vị đang chờ xem xét, quyết định (2)" in own
        assert f'data-own-review="{Q1_REPORT}"' in own and "van-ban.pdf" in own
        assert "data-own-extension=" in own and "Chờ số liệu" in own
        assert "Báo cáo hoàn thành chờ xem xét (0)" not in own  # Sở Y tế reviews nothing


def test_the_standing_unit_sees_the_note_and_the_file_by_name(seeded: Store) -> None:
    with serving(seeded, as_of=AS_OF) as url, signed_in(seeded, url) as agency:
        assert report_done(agency).status_code == 200
        with signed_in(seeded, url, agency="so-noi-vu") as unit:
            queue = unit.get("/xem-xet").text
            row = re.search(rf'<article[^>]*data-review="{re.escape(Q1_REPORT)}".*?</article>',
                            queue, re.S)
            assert row, queue[:3000]
            assert "Đã gửi báo cáo quý I kèm phụ lục" in row.group(0)
            link = re.search(r'<a href="(/tep/[0-9a-f]+)">van-ban.pdf</a>', row.group(0))
            assert link and "http://" not in row.group(0)
            assert unit.get(link.group(1)).content == PDF  # the reviewer may open it


def test_an_extension_refusal_carries_no_spec_code(seeded: Store) -> None:
    with serving(seeded, as_of=AS_OF) as url, signed_in(seeded, url) as agency:
        page = agency.get(f"/don-vi/viec/{Q1_REPORT}")
        refused = agency.post(f"/don-vi/viec/{Q1_REPORT}/gia-han", data={
            "csrf": csrf_of(page.text), "due": "2025-01-15", "reason": "Chờ số liệu"})
        assert refused.status_code == 422 and "vượt quá năm kế hoạch 2024" in refused.text
        assert "review.extend_past_plan_year" not in refused.text


def test_no_extension_is_offered_where_none_could_be_accepted(seeded: Store) -> None:
    with serving(seeded, as_of=AS_OF) as url, signed_in(seeded, url) as agency:
        listing = agency.get("/don-vi").text
        assert "Đề nghị gia hạn…" in card(listing, Q1_REPORT)
        for instance in (LATE, YEAR_END):
            shown = card(listing, instance)
            assert "Đề nghị gia hạn…" not in shown
            assert "Không đề nghị gia hạn được" in shown
        assert "Quá thời điểm được đề nghị gia hạn" in card(listing, LATE)
        assert "ngày cuối năm kế hoạch 2024; kế hoạch không cho gia hạn sang năm sau" in \
            card(listing, YEAR_END)
        own = agency.get(f"/don-vi/viec/{YEAR_END}").text
        assert 'action="/don-vi/viec/' + YEAR_END + '/gia-han"' not in own
        assert "Không đề nghị gia hạn được" in own and "review." not in own + listing


def test_a_refused_form_keeps_the_reason_no_extension_can_be_asked(seeded: Store) -> None:
    with serving(seeded, as_of=AS_OF) as url, signed_in(seeded, url) as agency:
        page = agency.get(f"/don-vi/viec/{YEAR_END}")
        refused = agency.post(f"/don-vi/viec/{YEAR_END}/hoan-thanh", data={
            "csrf": csrf_of(page.text), "back": "instance"},
            files={"file": ("bao-cao.exe", b"MZ\x90\x00", "application/octet-stream")})
        assert refused.status_code == 422 and "không thuộc loại được nhận" in refused.text
        assert 'action="/don-vi/viec/' + YEAR_END + '/gia-han"' not in refused.text
        assert "Không đề nghị gia hạn được" in refused.text
