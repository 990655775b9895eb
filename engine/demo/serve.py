"""`kehoach demo --serve`: after the year, the web pages stay up with sign-in links printed."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from engine.cli.main import EXIT_OK, out

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True, slots=True)
class DemoLinks:
    """Where the demo's pages are, and a sign-in link for each kind of user."""

    dashboard: str
    operator: str
    agency: str
    leadership: str


def sign_in_links(base_url: str, plan_id: str, *, now: dt.datetime) -> DemoLinks:
    """The dashboard's address and sign-in links valid for LINK_LIFETIME from `now` (the
    pages' simulated clock): the standing unit's (a demo operator token), the most lagging
    agency's (its page has something to do) and leadership's (a demo leadership token of
    the plan's directory: the read-only dashboard and the report downloads)."""
    from engine.api.auth import Role, issue_token
    from engine.api.service import PlanDirectories
    from engine.store.database import open_store
    from engine.store.metrics import rollup
    from engine.store.queries import require_plan
    from engine.web.signin import (
        LINK_LIFETIME,
        agency_credential,
        leadership_link,
        make_code,
        sign_in_url,
    )

    dashboard, expires = f"/theo-doi/ke-hoach/{plan_id}", now + LINK_LIFETIME
    store = open_store()
    try:
        with store.transaction() as tx:
            directory = PlanDirectories().of(tx, plan_id)
            operator = issue_token(tx, role=Role.OPERATOR, directory_id=None, agency_id=None,
                                   now=now, note="kehoach demo --serve")
            leader = issue_token(tx, role=Role.LEADERSHIP, directory_id=directory,
                                 agency_id=None, now=now, note="kehoach demo --serve")
            year = str(require_plan(tx, plan_id).year)
            lagging = rollup(tx, plan=plan_id, period=year, by="agency")[0].key
            token_id, secret = agency_credential(tx, directory=directory, agency=lagging,
                                                 now=now)
    finally:
        store.close()
    return DemoLinks(
        base_url + dashboard,
        sign_in_url(base_url, make_code(operator.id, operator.signing_secret, purpose="link",
                                        expires=expires), then=dashboard),
        sign_in_url(base_url, make_code(token_id, secret, purpose="link", expires=expires)),
        leadership_link(base_url, leader.id, leader.signing_secret, expires=expires))


def serve_until_interrupted(base_url: str, plan_id: str, *, now: dt.datetime,
                            alive: Callable[[], bool]) -> int:
    """Print where the pages are, then wait (the API process serves them) until Ctrl-C."""
    links = sign_in_links(base_url, plan_id, now=now)
    out.print(f"\ndashboard:      {links.dashboard}")
    out.print(f"clock:          the pages judge time as of "
              f"{now.astimezone(LOCAL):%d/%m/%Y %H:%M} (the year's end; a simulated clock, "
              "every page says so)")
    out.print(f"sign in (standing unit): {links.operator}", soft_wrap=True)
    out.print(f"sign in (the most lagging agency's page): {links.agency}", soft_wrap=True)
    out.print(f"sign in (leadership, read-only): {links.leadership}", soft_wrap=True)
    out.print("the pages stay up until Ctrl-C", highlight=False)
    try:
        while alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        out.print("stopped")
        return EXIT_OK
    out.print("the web server stopped; see demo-output/logs/web-pages.log")
    return 4
