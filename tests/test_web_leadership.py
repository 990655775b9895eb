"""Leadership's own credential, over real HTTP on both stores: it signs in to the read-only
dashboard of its directory's plans and downloads their reports, and nothing else."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import httpx
import openpyxl
import pytest

from engine.api.auth import IssuedToken, Role, issue_token, revoke_token
from engine.store.database import Store
from engine.web.signin import LINK_LIFETIME, leadership_link
from tests.test_sweep_support import PLAN, clean_escalation_tables, iid, register_seed
from tests.test_web_clock import csrf_of, serving, token_sign_in

DIRECTORY = "hanoi-2024"
Q1_REPORT = iid("bao-cao-dinh-ky", "so-y-te", "2024-Q1")
REFUSED = "Tài khoản lãnh đạo chỉ xem bảng điều hành"


@pytest.fixture
def seeded(store: Store) -> Iterator[Store]:
    register_seed(store)
    yield store
    clean_escalation_tables(store)


def leader(store: Store, directory: str = DIRECTORY) -> IssuedToken:
    with store.transaction() as tx:
        return issue_token(tx, role=Role.LEADERSHIP, directory_id=directory, agency_id=None,
                           now=dt.datetime.now(dt.UTC), note="Chủ tịch UBND")


def test_the_leadership_link_opens_the_dashboard_and_its_reports_download(
        seeded: Store) -> None:
    token = leader(seeded)
    with serving(seeded) as url, httpx.Client(base_url=url, follow_redirects=True,
                                              timeout=60) as site:
        link = leadership_link(url, token.id, token.signing_secret,
                               expires=dt.datetime.now(dt.UTC) + LINK_LIFETIME)
        board = site.get(link)
        assert board.status_code == 200 and board.url.path == f"/lanh-dao/{PLAN}"
        assert "<h1>Bảng điều hành kế hoạch</h1>" in board.text
        assert f'href="/lanh-dao/{PLAN}/bao-cao.xlsx' in board.text
        assert 'href="/theo-doi' not in board.text and 'href="/don-vi' not in board.text
        workbook = site.get(f"/lanh-dao/{PLAN}/bao-cao.xlsx", params={"ky": "2024-Q1"})
        assert workbook.status_code == 200 and "attachment" in \
            workbook.headers["content-disposition"]
        sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
        assert sheet is not None and sheet.max_row > 10
        html = site.get(f"/lanh-dao/{PLAN}/bao-cao.html", params={"ky": "2024-Q1"})
        assert html.status_code == 200 and "<html" in html.text


def test_a_leadership_session_is_refused_everything_but_the_dashboard(seeded: Store) -> None:
    token = leader(seeded)
    with serving(seeded) as url, httpx.Client(base_url=url, timeout=30) as site:
        signed = token_sign_in(site, token.token)
        assert signed.status_code == 303 and signed.headers["location"] == "/lanh-dao"
        assert site.get("/lanh-dao").headers["location"] == f"/lanh-dao/{PLAN}"  # one plan
        board = site.get(f"/lanh-dao/{PLAN}")
        assert board.status_code == 200
        csrf = csrf_of(board.text)
        for path in ("/theo-doi", f"/theo-doi/ke-hoach/{PLAN}", "/theo-doi/thu-di",
                     f"/theo-doi/ke-hoach/{PLAN}/co-quan/so-y-te", "/xem-xet", "/don-vi",
                     f"/don-vi/viec/{Q1_REPORT}", "/tep/f_0"):
            page = site.get(path)
            assert page.status_code == 403 and REFUSED in page.text, path
        for path, form in ((f"/don-vi/viec/{Q1_REPORT}/hoan-thanh",
                            {"evidence_url": "https://so-y-te.example.org/q1"}),
                           (f"/don-vi/viec/{Q1_REPORT}/gia-han", {"due": "2024-04-15"}),
                           ("/don-vi/lich", {}),
                           (f"/theo-doi/ke-hoach/{PLAN}/co-quan/so-y-te/lien-ket", {}),
                           ("/xem-xet/gia-han/1/chap-thuan", {})):
            sent = site.post(path, data={"csrf": csrf, **form})
            assert sent.status_code == 403 and REFUSED in sent.text, path
        api = site.post(f"/api/v1/instances/{Q1_REPORT}/complete", json={},
                        headers={"Authorization": f"Bearer {token.token}"})
        assert api.status_code == 403 and api.json()["type"].endswith("wrong-role")
        assert "Token lãnh đạo" in api.json()["detail"]
        assert site.post("/dang-xuat", data={"csrf": csrf}).status_code == 303  # may sign out
    with seeded.transaction() as tx:
        from engine.store.events import get_instance

        assert get_instance(tx, Q1_REPORT).state.completed_at is None  # nothing was written


def test_a_leadership_token_reads_only_its_own_directory(seeded: Store) -> None:
    other = leader(seeded, directory="da-nang-2024")
    with serving(seeded) as url, httpx.Client(base_url=url, timeout=30) as site:
        token_sign_in(site, other.token)
        assert site.get("/lanh-dao", follow_redirects=False).status_code == 200  # no plan
        page = site.get(f"/lanh-dao/{PLAN}")
        assert page.status_code == 403 and "Không có quyền xem trang này" in page.text
        assert site.get(f"/lanh-dao/{PLAN}/bao-cao.xlsx").status_code == 403


def test_a_revoked_leadership_token_is_refused_at_once(seeded: Store) -> None:
    token = leader(seeded)
    with serving(seeded) as url, httpx.Client(base_url=url, timeout=30) as site:
        token_sign_in(site, token.token)
        assert site.get(f"/lanh-dao/{PLAN}").status_code == 200
        with seeded.transaction() as tx:
            revoke_token(tx, token.id, now=dt.datetime.now(dt.UTC))
        again = site.get(f"/lanh-dao/{PLAN}")  # the open session ends with it
        assert again.status_code == 303 and again.headers["location"].startswith("/dang-nhap")
        form = token_sign_in(site, token.token)
        assert form.status_code == 401 and "đã bị thu hồi" in form.text
        link = site.get(leadership_link(url, token.id, token.signing_secret,
                                        expires=dt.datetime.now(dt.UTC) + LINK_LIFETIME))
        assert link.status_code == 403 and "Liên kết đã bị thu hồi" in link.text
