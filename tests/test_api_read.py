"""Read endpoints over real HTTP: an agency's instances, plan metrics, iCal feed, health."""

from __future__ import annotations

import datetime as dt
import logging
import logging.config
from zoneinfo import ZoneInfo

import icalendar
import pytest

from engine.api.app import log_config
from tests.test_api_core import assert_problem, complete_path
from tests.test_api_support import PLAN, Api, api, iid, live_server, sqlite_api

__all__ = ["api", "live_server", "sqlite_api"]
HN = ZoneInfo("Asia/Ho_Chi_Minh")
MINE = iid("ban-hanh-ke-hoach", "so-y-te")


def test_an_agency_lists_its_instances_filtered_by_status_and_period(api: Api) -> None:
    api.post(complete_path(MINE), {"completed_at": "2024-02-19T09:30:00"})
    everything = api.get("/api/v1/agencies/so-y-te/instances").json()
    assert everything["count"] == 11 and {i["plan"] for i in everything["instances"]} == {PLAN}
    done = api.get("/api/v1/agencies/so-y-te/instances",
                   params={"status": "done_on_time"}).json()
    assert [i["id"] for i in done["instances"]] == [MINE]
    assert done["instances"][0]["status_label"] == "Hoàn thành đúng hạn"
    assert_problem(api.get("/api/v1/agencies/khong-co/instances", token="operator"), 404,
                   "not-found", "cơ quan", "khong-co")
    bogus = api.get("/api/v1/agencies/so-y-te/instances", params={"status": "xong"})
    assert_problem(bogus, 422, "invalid-request")
    assert "'overdue' hoặc 'waived'" in str(bogus.json()["errors"])
    q1 = api.get("/api/v1/agencies/so-y-te/instances", params={"period": "2024-Q1"}).json()
    assert {i["period"] for i in q1["instances"]} == {"2024-Q1"} and q1["count"] == 2
    # Not a period label (a NUL byte would even be refused by PostgreSQL): 422, not a 500.
    assert_problem(api.get("/api/v1/agencies/so-y-te/instances", params={"period": "2024\x00"}),
                   422, "invalid-request")


def test_an_agency_cannot_list_another_agency_or_another_city(api: Api) -> None:
    assert_problem(api.get("/api/v1/agencies/so-noi-vu/instances"), 403, "not-lead")
    foreign = api.get("/api/v1/agencies/so-noi-vu/instances", token="hp-so-noi-vu")
    assert foreign.status_code == 200 and foreign.json()["count"] == 0
    assert_problem(api.get("/api/v1/agencies/so-noi-vu/instances", token="hp-so-noi-vu",
                           params={"plan": PLAN}), 403, "not-lead", "haiphong-2019")
    operator = api.get("/api/v1/agencies/so-noi-vu/instances", token="operator")
    assert operator.json()["count"] > 0


def test_plan_metrics_for_a_period(api: Api) -> None:
    api.post(complete_path(MINE), {"completed_at": "2024-02-19T09:30:00"})
    response = api.get(f"/api/v1/plans/{PLAN}/metrics", params={"period": "2024-Q1"})
    assert response.status_code == 200, response.text
    rows = {r["key"]: r for r in response.json()["rows"]}
    assert rows["so-y-te"]["counts"]["done_on_time"] == 1
    by_plan = api.get(f"/api/v1/plans/{PLAN}/metrics", params={"period": "2024", "by": "plan"})
    assert [r["key"] for r in by_plan.json()["rows"]] == [PLAN]
    assert_problem(api.get(f"/api/v1/plans/{PLAN}/metrics", params={"period": "2024-Q5"}),
                   422, "invalid-period", "2024-Q5")
    # A valid period of another year, holding none of the plan's work: not a row of zeros.
    assert_problem(api.get(f"/api/v1/plans/{PLAN}/metrics", params={"period": "2025-Q1"}),
                   422, "period-outside-plan", "2025-Q1")
    assert_problem(api.get("/api/v1/plans/khong-co/metrics", params={"period": "2024"}), 404,
                   "not-found")
    assert_problem(api.get(f"/api/v1/plans/{PLAN}/metrics", params={"period": "2024"},
                           token="hp-so-noi-vu"), 403, "not-lead")


def test_the_calendar_feed_lists_the_agency_dues_in_vietnam_time(sqlite_api: Api) -> None:
    token = sqlite_api.tokens["calendar"].token
    response = sqlite_api.client.get("/api/v1/agencies/so-y-te/calendar.ics",
                                     params={"token": token})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["UID"]).removesuffix("@kehoach.invalid"): e for e in calendar.walk("VEVENT")}
    listed = sqlite_api.get("/api/v1/agencies/so-y-te/instances").json()["instances"]
    assert set(events) == {i["id"] for i in listed if i["due"]} and len(events) == 11
    # A deadline is an all-day event on its (Vietnam) date, the exact time in the text.
    assert events[MINE]["DTSTART"].dt == dt.date(2024, 2, 20)
    assert events[MINE]["DTEND"].dt == dt.date(2024, 2, 21)
    assert str(events[MINE]["SUMMARY"]).startswith("Hạn: ")
    assert "Hạn chót 23:59 20/02/2024" in str(events[MINE]["DESCRIPTION"])
    assert "Quá hạn chưa hoàn thành" in str(events[MINE]["DESCRIPTION"])
    assert str(calendar["X-WR-CALNAME"]) == "Hạn nhiệm vụ — Sở Y tế"
    assert [str(t["TZID"]) for t in calendar.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]


def test_the_calendar_feed_needs_the_agencys_calendar_token(sqlite_api: Api) -> None:
    feed = "/api/v1/agencies/so-y-te/calendar.ics"
    assert_problem(sqlite_api.client.get(feed), 401, "token-missing")
    write_token = sqlite_api.tokens["so-y-te"].token
    assert_problem(sqlite_api.client.get(feed, params={"token": write_token}), 403, "wrong-role")
    other = sqlite_api.client.get("/api/v1/agencies/so-noi-vu/calendar.ics",
                                  params={"token": sqlite_api.tokens["calendar"].token})
    assert_problem(other, 403, "not-lead")


def test_health_and_the_openapi_document(sqlite_api: Api) -> None:
    assert sqlite_api.client.get("/health").json() == {"status": "ok", "database": "sqlite"}
    paths = sqlite_api.client.get("/openapi.json").json()["paths"]
    assert "/api/v1/instances/{instance_id}/complete" in paths
    assert sqlite_api.client.get("/docs").status_code == 200
    assert_problem(sqlite_api.client.get("/api/v1/khong-co"), 404, "not-found", "/docs")


def test_the_access_log_masks_a_token_in_the_url(capsys: pytest.CaptureFixture[str]) -> None:
    # The calendar feed takes its token in the URL (calendar apps send no headers); the
    # access log `kehoach serve api` writes must not give it away.
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level,
                 logging.getLogger(n).propagate) for n in names}
    try:
        logging.config.dictConfig(log_config())
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "GET",
            "/api/v1/agencies/so-y-te/calendar.ics?lang=vi&token=kh_SECRET123&x=1", "1.1", 200)
    finally:
        for n, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(n)
            logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate
    logged = capsys.readouterr().out
    assert "calendar.ics?lang=vi&token=***&x=1" in logged and "SECRET" not in logged
