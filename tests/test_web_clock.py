"""The app clock (KEHOACH_AS_OF, `serve api --as-of`) over real HTTP, on both stores: the
pages and the API judge "now" by it, every page says when it is simulated, and without it
the real clock applies. Also the token form's `?tiep=`."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from engine.api.app import create_app
from engine.api.auth import Role, issue_token
from engine.settings import Settings
from engine.store.database import Store
from engine.store.review import extension_requests
from engine.web.signin import LINK_LIFETIME, agency_credential, make_code, sign_in_url
from tests.test_api_support import free_port
from tests.test_sweep_support import at, clean_escalation_tables, iid, register_seed
from tests.test_web_support import app_on_port

KEHOACH = str(Path(sys.executable).parent / "kehoach")
DIRECTORY = "hanoi-2024"
AS_OF = "2024-03-28"  # a Thursday: the Q1 reports (due 01/04) are due within 7 days
Q1_REPORT = iid("bao-cao-dinh-ky", "so-y-te", "2024-Q1")
BANNER = "Đồng hồ mô phỏng: số liệu tính đến ngày 28/03/2024"


@pytest.fixture
def seeded(store: Store) -> Iterator[Store]:
    register_seed(store)
    yield store
    clean_escalation_tables(store)


@contextmanager
def serving(store: Store, *, as_of: str | None = None) -> Iterator[str]:
    """The app over `store` on loopback (uvicorn), its clock simulated if `as_of`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(public_url=url, as_of=as_of)
    with app_on_port(create_app(settings, store=store), port):
        yield url


def agency_link(store: Store, url: str, *, now: dt.datetime, agency: str = "so-y-te") -> str:
    with store.transaction() as tx:
        token_id, secret = agency_credential(tx, directory=DIRECTORY, agency=agency, now=now)
    return sign_in_url(url, make_code(token_id, secret, purpose="link",
                                      expires=now + LINK_LIFETIME))


def groups(html: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r"<h2>([^<(]+?) (?:\(trong 7 ngày\) )?"
                                                    r"\((\d+)\)</h2>", html)}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, html[:2000]
    return found.group(1)


def ask_extension(browser: httpx.Client, *, due: str) -> httpx.Response:
    page = browser.get(f"/don-vi/viec/{Q1_REPORT}")
    assert page.status_code == 200
    return browser.post(f"/don-vi/viec/{Q1_REPORT}/gia-han", data={
        "csrf": csrf_of(page.text), "due": due, "reason": "Chờ số liệu của các bệnh viện"})


def test_under_the_simulated_clock_the_agency_page_and_the_api_take_its_date(
        seeded: Store) -> None:
    now = dt.datetime.now(dt.UTC)
    with serving(seeded) as real_url, serving(seeded, as_of=AS_OF) as sim_url:
        with httpx.Client(base_url=real_url, follow_redirects=True, timeout=30) as real:
            page = real.get(agency_link(seeded, real_url, now=now))
            assert page.url.path == "/don-vi" and "Đồng hồ mô phỏng" not in page.text
            assert groups(page.text) == {"Quá hạn": 11, "Sắp đến hạn": 0, "Trong hạn": 0,
                                         "Đã xong": 0}
            refused = ask_extension(real, due="2024-04-15")  # today: long past the window
            assert refused.status_code == 422 and "Quá thời điểm được đề nghị gia hạn" in \
                refused.text
        with httpx.Client(base_url=sim_url, follow_redirects=True, timeout=30) as sim:
            page = sim.get(agency_link(seeded, sim_url, now=now))
            assert BANNER in page.text
            assert groups(page.text) == {"Quá hạn": 1, "Sắp đến hạn": 2, "Trong hạn": 8,
                                         "Đã xong": 0}
            # the one overdue (due 20/02) is late by the working days to 28/03, not to today
            assert re.findall(r"trễ \d+ ngày", page.text) == ["trễ 27 ngày"]
            asked = ask_extension(sim, due="2024-04-15")
            assert asked.status_code == 200 and asked.url.params.get("gia_han") == "1"
            assert "Đã gửi đề nghị gia hạn" in asked.text and BANNER in asked.text
    with seeded.transaction() as tx:
        [request] = extension_requests(tx, instance_id=Q1_REPORT)
    assert request.state == "requested"
    assert request.requested_at.astimezone(at(2024, 1, 1).tzinfo).date() == dt.date(2024, 3, 28)


def test_the_api_lists_as_of_the_simulated_clock_and_completes_on_time_by_default(
        seeded: Store) -> None:
    with seeded.transaction() as tx:
        token = issue_token(tx, role=Role.AGENCY, directory_id=DIRECTORY, agency_id="so-y-te",
                            now=dt.datetime.now(dt.UTC)).token
    bearer = {"Authorization": f"Bearer {token}"}
    with serving(seeded, as_of=AS_OF) as url, httpx.Client(base_url=url, timeout=30) as api:
        listing = api.get("/api/v1/agencies/so-y-te/instances", headers=bearer).json()
        assert listing["as_of"].startswith("2024-03-28T17:00")
        assert {i["status"] for i in listing["instances"]} == {"overdue", "on_track"}
        done = api.post(f"/api/v1/instances/{Q1_REPORT}/complete", headers=bearer, json={})
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "done_on_time"  # "now" is 28/03, not today
        assert done.json()["completed_at"].startswith("2024-03-28T17:00")
    with serving(seeded) as url, httpx.Client(base_url=url, timeout=30) as api:
        listing = api.get("/api/v1/agencies/so-y-te/instances", headers=bearer).json()
        assert listing["as_of"][:4] == str(dt.date.today().year)


def test_a_link_is_judged_by_the_clock_of_the_site_it_opens(seeded: Store) -> None:
    """A link mailed on 20/03/2024 expires on 03/04/2024: valid on a site simulating
    28/03/2024, expired on the real one."""
    with serving(seeded, as_of=AS_OF) as sim_url, serving(seeded) as real_url:
        mailed = at(2024, 3, 20)
        with httpx.Client(follow_redirects=True, timeout=30) as browser:
            page = browser.get(agency_link(seeded, sim_url, now=mailed))
            assert page.status_code == 200 and page.url.path == "/don-vi"
        with httpx.Client(follow_redirects=True, timeout=30) as browser:
            page = browser.get(agency_link(seeded, real_url, now=mailed))
            assert page.status_code == 410 and "03/04/2024" in page.text


def test_every_page_says_the_clock_is_simulated_and_none_does_without_it(
        seeded: Store) -> None:
    with serving(seeded, as_of=AS_OF) as url, httpx.Client(base_url=url, timeout=30) as site:
        for path in ("/dang-nhap", "/dang-nhap?ma=tok_0.1.00", "/docs-khong-co"):
            answer = site.get(path)
            if answer.headers["content-type"].startswith("text/html"):
                assert BANNER in answer.text, path
        assert BANNER in site.get("/dang-nhap?ma=tok_0.1." + "0" * 64).text
    with serving(seeded) as url, httpx.Client(base_url=url, timeout=30) as site:
        assert "Đồng hồ mô phỏng" not in site.get("/dang-nhap").text


def token_sign_in(site: httpx.Client, token: str, *, tiep: str | None = None) -> httpx.Response:
    """Open the token form (with `?tiep=`) and send it with `token`."""
    form = site.get("/dang-nhap", params={"tiep": tiep} if tiep is not None else None)
    found = re.search(r'name="tiep" value="([^"]*)"', form.text)
    data = {"csrf": csrf_of(form.text), "token": token}
    if found:
        data["tiep"] = found.group(1)
    return site.post("/dang-nhap", data=data)


@pytest.mark.parametrize(("tiep", "lands_on"), [
    ("/theo-doi/thu-di", "/theo-doi/thu-di"),
    ("/theo-doi/ke-hoach/hn-2024-tt-cchc?ky=2024-Q1",
     "/theo-doi/ke-hoach/hn-2024-tt-cchc?ky=2024-Q1"),
    ("//evil.example.org/x", "/theo-doi"),
    ("https://evil.example.org/", "/theo-doi"),
    ("/\\evil.example.org", "/theo-doi"),
    ("javascript:alert(1)", "/theo-doi"),
    ("/x\r\nSet-Cookie: a=b", "/theo-doi"),
], ids=["path", "path and query", "//host", "scheme", "backslash", "javascript", "CRLF"])
def test_the_token_form_goes_on_to_tiep_only_within_the_site(
        seeded: Store, tiep: str, lands_on: str) -> None:
    with seeded.transaction() as tx:
        operator = issue_token(tx, role=Role.OPERATOR, directory_id=None, agency_id=None,
                               now=dt.datetime.now(dt.UTC))
    with serving(seeded) as url, httpx.Client(base_url=url, timeout=30) as site:
        answer = token_sign_in(site, operator.token, tiep=tiep)
        assert answer.status_code == 303 and answer.headers["location"] == lands_on
        # a forged POST (not from the form) is held to the same rule
        form = site.get("/dang-nhap")
        forged = site.post("/dang-nhap", data={"csrf": csrf_of(form.text),
                                                "token": operator.token, "tiep": tiep})
        assert forged.headers["location"] == lands_on


def test_a_page_asked_for_before_signing_in_opens_after_the_token_form(seeded: Store) -> None:
    with seeded.transaction() as tx:
        operator = issue_token(tx, role=Role.OPERATOR, directory_id=None, agency_id=None,
                               now=dt.datetime.now(dt.UTC))
    with serving(seeded) as url, httpx.Client(base_url=url, timeout=30,
                                              follow_redirects=True) as site:
        form = site.get("/theo-doi/thu-di")
        assert form.url.path == "/dang-nhap" and form.url.params["tiep"] == "/theo-doi/thu-di"
        sent = site.post("/dang-nhap", data={
            "csrf": csrf_of(form.text), "token": operator.token,
            "tiep": re.search(r'name="tiep" value="([^"]*)"', form.text).group(1)})  # type: ignore[union-attr]
        assert sent.url.path == "/theo-doi/thu-di" and "<h1>Thư đã gửi" in sent.text


@pytest.mark.parametrize(("argv", "env", "code", "message"), [
    (["--as-of", "31/12/2024"], {}, 1,
     "error: --as-of: '31/12/2024' is not a date (YYYY-MM-DD) or an ISO 8601 time"),
    (["--as-of", "2024-02-30"], {}, 1, "error: --as-of: '2024-02-30' is not a date"),
    ([], {"KEHOACH_AS_OF": "hôm qua"}, 4,
     "error: KEHOACH_AS_OF='hôm qua': 'hôm qua' is not a date"),
], ids=["day first", "no such day", "setting"])
def test_a_bad_as_of_is_one_clear_line_and_a_non_zero_exit(
        tmp_path: Path, argv: list[str], env: dict[str, str], code: int, message: str) -> None:
    done = subprocess.run([KEHOACH, "serve", "api", "--port", str(free_port()), *argv],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "KEHOACH_HOME": str(tmp_path), **env})
    assert done.returncode == code
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""

