"""Helpers of the web page tests: the seed plan swept and mailed, the app served by uvicorn on
loopback, and Debian's chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import datetime as dt
import email
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from engine.api.app import create_app
from engine.api.auth import IssuedToken, Role, issue_token
from engine.mail.dispatch import dispatch
from engine.settings import Settings
from engine.store.database import Store, open_store
from engine.sweep.run import run_sweep
from notifiers.folder import FolderNotifier
from tests.conftest import ROOT
from tests.test_api_support import free_port
from tests.test_sweep_support import PLAN, at, register_seed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SHOTS = ROOT / "test-output" / "screenshots"
Y_TE = "so-y-te@hanoi.example.org"
DAN_TOC = "ban-dan-toc@hanoi.example.org"
__all__ = ["PLAN", "Site", "browser_session", "served_site", "shot"]


@dataclass
class Site:
    """The app on loopback over a store holding the seed plan, swept on 06/02/2024 with
    its digests rendered as .eml files, and an operator token."""

    store: Store
    url: str
    settings: Settings
    mails: dict[str, str]   # recipient address -> plain-text body
    operator: IssuedToken

    def page_link(self, address: str) -> str:
        """The sign-in link to the agency's page, as its digest gives it."""
        found = re.search(r"Cách 1 — mở trang «Việc của đơn vị».*?\n\s+(http\S+)",
                          self.mails[address], re.S)
        assert found, self.mails[address]
        return found.group(1)

    def instance_link(self, address: str) -> tuple[str, str]:
        """(instance id, its sign-in link) of the first item of the agency's digest."""
        found = re.search(r"- Mở để báo hoàn thành: (http\S+)", self.mails[address])
        assert found, self.mails[address]
        then = parse_qs(urlsplit(found.group(1)).query)["tiep"][0]
        return then.removeprefix("/don-vi/viec/"), found.group(1)


def _mails(folder: Path) -> dict[str, str]:
    found = {}
    for path in sorted(folder.glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        part = mail.get_body(preferencelist=("plain",))
        assert part is not None
        for address in mail["To"].addresses:
            found[address.addr_spec] = str(part.get_content())
    return found


def served_site(folder: Path) -> Iterator[Site]:
    """Build the site in `folder` and serve it until the generator is closed."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(home=folder, public_url=url)
    store = open_store(settings)
    register_seed(store)
    now = dt.datetime.now(dt.UTC)
    with store.transaction() as tx:
        run_sweep(tx, now=at(2024, 2, 6))
        operator = issue_token(tx, role=Role.OPERATOR, directory_id=None, agency_id=None,
                               now=now, note="browser tests")
    dispatch(store, notifier=FolderNotifier(folder / "mail", sender="kehoach@example.org"),
             now=now, settings=settings)
    try:
        with app_on_port(create_app(settings, store=store), port):
            yield Site(store, url, settings, _mails(folder / "mail"), operator)
    finally:
        store.close()


@contextmanager
def app_on_port(app: Any, port: int) -> Iterator[None]:
    """Serve `app` with uvicorn on 127.0.0.1:`port` in a thread until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


def launch() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright."""
    assert shutil.which("chromium") == CHROMIUM or Path(CHROMIUM).exists(), (
        "the browser tests need Debian's chromium at /usr/bin/chromium (apt-get install "
        "chromium; `bash run.sh test` installs it when run as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            yield browser
        finally:
            browser.close()


def browser_session(browser: Browser) -> Page:
    """A fresh browser profile (its own cookies): one user."""
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    return context.new_page()


def shot(page: Page, name: str, heading: str) -> Path:
    """Check the page's <h1> reads `heading`, then write its full-page screenshot."""
    assert page.locator("h1").first.inner_text().strip() == heading
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.screenshot(path=str(SHOTS / f"{name}-top.png"))  # what a reader sees first
    assert path.stat().st_size > 5000
    return path


def register_future_plan(store: Store, folder: Path, *, year: int) -> str:
    """The seed plan and its directory moved to `year` (so that its deadlines are ahead),
    registered; returns the plan id."""
    from tests.test_sweep_support import SPEC, register_spec

    directory = (SPEC.parent / "../directories/hanoi-2024.yaml").resolve().read_text("utf-8")
    (folder / "directories").mkdir(parents=True, exist_ok=True)
    (folder / "hanoi").mkdir(exist_ok=True)
    (folder / "directories" / f"hanoi-{year}.yaml").write_text(
        directory.replace("2025-02-28", f"{year + 1}-02-28").replace(
            "working_days: [2024-05-04]", "working_days: []").replace("2024", str(year)),
        "utf-8")
    spec = folder / "hanoi" / f"{year}-tt-cchc.yaml"
    spec.write_text(SPEC.read_text("utf-8").replace("2024", str(year)), "utf-8")
    register_spec(store, spec, now=dt.datetime.now(dt.UTC))
    return f"hn-{year}-tt-cchc"


def sign_in_link(site: Site, *, directory: str, agency: str, then: str | None = None) -> str:
    """A sign-in link for `agency`, as a digest (or the standing unit) would give it."""
    from engine.web.signin import LINK_LIFETIME, agency_credential, make_code, sign_in_url

    now = dt.datetime.now(dt.UTC)
    with site.store.transaction() as tx:
        token_id, secret = agency_credential(tx, directory=directory, agency=agency, now=now)
    code = make_code(token_id, secret, purpose="link", expires=now + LINK_LIFETIME)
    return sign_in_url(site.url, code, then=then)
