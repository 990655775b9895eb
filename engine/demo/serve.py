"""`kehoach demo --serve`: after the year, the web pages stay up with sign-in links printed."""

from __future__ import annotations

import time
from collections.abc import Callable

from engine.cli.main import EXIT_OK, out


def sign_in_links(base_url: str, plan_id: str) -> tuple[str, str, str]:
    """(dashboard address, an operator's sign-in link to it, an agency's sign-in link).

    The operator token is made for the demo; the agency is the one with the most overdue
    work at the end of the year (its page has something to do).
    """
    from engine.api.auth import Role, issue_token
    from engine.api.service import PlanDirectories
    from engine.store.database import open_store, utc_now
    from engine.store.metrics import rollup
    from engine.store.queries import require_plan
    from engine.web.signin import LINK_LIFETIME, agency_credential, make_code, sign_in_url

    dashboard = f"/theo-doi/ke-hoach/{plan_id}"
    store, now = open_store(), utc_now()
    try:
        with store.transaction() as tx:
            operator = issue_token(tx, role=Role.OPERATOR, directory_id=None, agency_id=None,
                                   now=now, note="kehoach demo --serve")
            operator_link = sign_in_url(base_url, make_code(
                operator.id, operator.signing_secret, purpose="link",
                expires=now + LINK_LIFETIME), then=dashboard)
            year = str(require_plan(tx, plan_id).year)
            lagging = rollup(tx, plan=plan_id, period=year, by="agency")[0].key
            token_id, secret = agency_credential(
                tx, directory=PlanDirectories().of(tx, plan_id), agency=lagging, now=now)
            agency_link = sign_in_url(base_url, make_code(token_id, secret, purpose="link",
                                                          expires=now + LINK_LIFETIME))
    finally:
        store.close()
    return base_url + dashboard, operator_link, agency_link


def serve_until_interrupted(base_url: str, plan_id: str, *, alive: Callable[[], bool]) -> int:
    """Print where the pages are, then wait (the API process serves them) until Ctrl-C."""
    dashboard, operator_link, agency_link = sign_in_links(base_url, plan_id)
    out.print(f"\ndashboard:      {dashboard}")
    out.print(f"sign in (standing unit): {operator_link}", soft_wrap=True)
    out.print(f"sign in (the most lagging agency's page): {agency_link}", soft_wrap=True)
    out.print("the pages stay up until Ctrl-C", highlight=False)
    try:
        while alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        out.print("stopped")
        return EXIT_OK
    out.print("the web server stopped; see demo-output/logs/webhook-api.log")
    return 4
