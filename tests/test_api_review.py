"""The review and extension routes over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from engine.api.auth import Role, issue_token
from engine.store.tables import EventRow, InstanceRow
from engine.store.tables_review import ExtensionRow
from tests.test_api_core import assert_problem, complete_path
from tests.test_api_support import Api, api, iid, live_server

__all__ = ["api", "live_server"]
FINANCE = iid("ban-hanh-ke-hoach", "so-tai-chinh")
HEALTH = iid("ban-hanh-ke-hoach", "so-y-te")
ASKED = "2024-02-16T09:00:00+07:00"


@pytest.fixture
def review_api(api: Api) -> Iterator[Api]:
    """The API with tokens also for the issuer (the approver) and Sở Tài chính."""
    now = dt.datetime.now(dt.UTC)
    with api.store.transaction() as tx:
        for agency in ("ubnd-tp", "so-tai-chinh"):
            api.tokens[agency] = issue_token(tx, role=Role.AGENCY, directory_id="hanoi-2024",
                                             agency_id=agency, now=now)
    yield api


def written(api: Api) -> tuple[int, int]:
    with api.store.transaction() as tx:
        return (tx.scalar(select(func.count()).select_from(EventRow)) or 0,
                tx.scalar(select(func.count()).select_from(ExtensionRow)) or 0)


def ask(api: Api, body: dict[str, object], *, token: str = "so-tai-chinh",
        instance: str = FINANCE) -> object:
    return api.post(f"/api/v1/instances/{instance}/extension-requests",
                    {"at": ASKED, "reason": "Chờ ý kiến của Bộ", **body}, token=token)


def test_an_agency_asks_for_time_and_the_issuer_grants_another_date(review_api: Api) -> None:
    api = review_api
    asked = ask(api, {"due": "2024-03-05"})
    assert asked.status_code == 200, asked.text
    request = asked.json()
    assert (request["state"], request["previous_due"]) == ("requested", "2024-02-20")
    listed = api.get("/api/v1/extension-requests", token="ubnd-tp").json()
    assert [r["id"] for r in listed["requests"]] == [request["id"]]
    assert api.get("/api/v1/extension-requests", token="so-y-te").json()["count"] == 0
    path = f"/api/v1/extension-requests/{request['id']}"
    assert_problem(api.post(f"{path}/approve", {"at": ASKED}, token="so-noi-vu"), 403,
                   "not-approver", "ubnd-tp")
    granted = api.post(f"{path}/approve", {"at": "2024-02-18T10:00:00+07:00",
                                           "due": "2024-03-01"}, token="ubnd-tp")
    assert granted.status_code == 200, granted.text
    assert (granted.json()["state"], granted.json()["granted_due"]) == ("approved", "2024-03-01")
    before = written(api)
    assert_problem(api.post(f"{path}/refuse", {"reason": "Không đồng ý"}, token="ubnd-tp"),
                   409, "already-decided", "một quyết định")
    assert written(api) == before
    with api.store.transaction() as tx:
        row = tx.get(InstanceRow, FINANCE)
        assert row is not None
        assert (row.due_date, row.original_due_date) == (dt.date(2024, 3, 1),
                                                         dt.date(2024, 2, 20))


@pytest.mark.parametrize(("body", "token", "instance", "status", "kind"), [
    ({"due": "2024-02-19"}, "so-tai-chinh", FINANCE, 422, "due-not-later"),
    ({"due": "2025-01-10"}, "so-tai-chinh", FINANCE, 422, "past-plan-year"),
    ({"due": "2024-03-05"}, "so-y-te", FINANCE, 403, "not-lead"),
    ({"due": "2024-03-05"}, "so-y-te", HEALTH, 409, "closed"),
    ({"due": "2024-03-05", "reason": ""}, "so-tai-chinh", FINANCE, 422, "invalid-body"),
    ({"due": "05/03/2024"}, "so-tai-chinh", FINANCE, 422, "invalid-body"),
    ({"due": "2024-03-05", "at": "2099-01-01T00:00:00+07:00"}, "so-tai-chinh", FINANCE,
     422, "at-in-future"),
], ids=["a date before the current due", "a date after the plan year",
        "for another agency's instance", "on a done instance", "without a reason",
        "a date not in ISO form", "asked in the future"])
def test_a_bad_extension_request_is_refused_and_writes_nothing(
        review_api: Api, body: dict[str, object], token: str, instance: str, status: int,
        kind: str) -> None:
    api = review_api
    done = api.post(complete_path(HEALTH), {"completed_at": "2024-02-10T09:00:00+07:00"})
    assert done.status_code == 200, done.text
    before = written(api)
    assert_problem(ask(api, body, token=token, instance=instance), status, kind)  # type: ignore[arg-type]
    assert written(api) == before


def test_the_standing_unit_returns_a_report_and_it_counts_as_not_done(review_api: Api) -> None:
    api = review_api
    done = api.post(complete_path(HEALTH), {"completed_at": "2024-02-15T10:00:00+07:00"})
    assert done.status_code == 200, done.text
    pending = api.get("/api/v1/reviews", token="so-noi-vu").json()
    assert [r["instance_id"] for r in pending["reviews"]] == [HEALTH]
    path = f"/api/v1/instances/{HEALTH}/review"
    assert_problem(api.post(f"{path}/return", {"reason": "x"}, token="so-y-te"), 403,
                   "not-reviewer", "so-noi-vu")
    assert_problem(api.post(f"{path}/return", {"reason": "x"}, token="hp-so-noi-vu"), 403,
                   "not-in-directory", "hanoi-2024")
    assert_problem(api.post(f"{path}/return", {}, token="so-noi-vu"), 422, "invalid-body")
    back = api.post(f"{path}/return", {"reason": "Thiếu chữ ký", "at": "2024-02-19T09:00:00"},
                    token="so-noi-vu")
    assert back.status_code == 200, back.text
    assert (back.json()["review"], back.json()["completed_at"]) == ("returned", None)
    before = written(api)
    assert_problem(api.post(f"{path}/accept", token="so-noi-vu"), 409, "not-submitted")
    assert written(api) == before
    again = api.post(complete_path(HEALTH), {"completed_at": "2024-02-26T10:00:00+07:00"})
    assert again.status_code == 200, again.text
    accepted = api.post(f"{path}/accept", {"note": "Đạt"}, token="operator")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["review"] == "accepted"
    assert api.get("/api/v1/reviews", token="so-noi-vu").json()["count"] == 0


def test_a_retried_request_is_answered_once_and_a_signature_is_required_where_set(
        review_api: Api) -> None:
    api = review_api
    body = {"at": ASKED, "reason": "Chờ ý kiến của Bộ", "due": "2024-03-05"}
    path = f"/api/v1/instances/{FINANCE}/extension-requests"
    first = api.post(path, body, token="so-tai-chinh", headers={"Idempotency-Key": "k1"})
    again = api.post(path, body, token="so-tai-chinh", headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 200, again.text
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert written(api)[1] == 1
    signed_path = f"/api/v1/instances/{iid('ban-hanh-ke-hoach', 'so-tu-phap')}/extension-requests"
    assert_problem(api.post(signed_path, body, token="so-tu-phap"), 403, "signature-required")
    raw = json.dumps(body).encode()
    signed = api.post(signed_path, raw=raw, token=None, headers=api.signed("so-tu-phap", raw))
    assert signed.status_code == 200, signed.text
