"""What the webhook API refuses with a 4xx (never a 500), on SQLite and PostgreSQL: times out
of range, progress without a target, malformed signatures, wrong periods; and the words of
its refusals (whose agency, why an instance is waived, how to send a calendar token)."""

from __future__ import annotations

import json
import time

import pytest

from engine.api.auth import _parse_signature, sign
from engine.core.status import EventKind
from tests.test_api_core import MINE, TARGETED, assert_problem, complete_path
from tests.test_api_support import PLAN, Api, api, iid, live_server, sqlite_api
from tests.test_store import event, local, record, register, spec_data

__all__ = ["api", "live_server", "sqlite_api"]
SIGNER = iid("ban-hanh-ke-hoach", "so-tu-phap")  # so-tu-phap must sign every request
KEYED = f"/api/v1/plans/{PLAN}/tasks/ban-hanh-ke-hoach/complete"


def progress_path(instance: str) -> str:
    return f"/api/v1/instances/{instance}/progress"


@pytest.mark.parametrize("completed_at", [
    "0001-01-01T00:00:00", "0001-01-01T00:00:00+14:00", "1900-01-01T00:00:00",
    "2004-02-19T09:30:00", "2022-12-31T23:59:59+07:00"])
def test_a_completion_before_the_year_before_the_period_is_422_naming_completed_at(
        api: Api, completed_at: str) -> None:
    response = api.post(complete_path(MINE), {"completed_at": completed_at})
    assert_problem(response, 422, "completed-too-early", "completed_at", "01/01/2023")
    assert [e["field"] for e in response.json()["errors"]] == ["completed_at"]
    progress = api.post(progress_path(TARGETED), {"count": 1, "completed_at": completed_at})
    assert_problem(progress, 422, "completed-too-early", "completed_at")
    keyed = api.post(KEYED, {"agency": "so-y-te", "period": "2024",
                             "completed_at": completed_at})
    assert_problem(keyed, 422, "completed-too-early", "completed_at")
    assert api.event_count() == 0
    # The bound itself is accepted: work done in the year before a plan counts.
    accepted = api.post(complete_path(MINE), {"completed_at": "2023-01-01T00:00:00+07:00"})
    assert accepted.status_code == 200, accepted.text


def test_a_completion_far_in_the_future_is_422_even_where_vietnam_time_overflows(
        sqlite_api: Api) -> None:
    response = sqlite_api.post(complete_path(MINE), {"completed_at": "9999-12-31T23:59:59-12:00"})
    assert_problem(response, 422, "completed-in-future", "31/12/9999")
    assert sqlite_api.event_count() == 0


def test_progress_on_an_instance_without_a_target_is_422_naming_count(api: Api) -> None:
    response = api.post(progress_path(MINE), {"count": 2, "completed_at": "2024-02-01T09:00:00"})
    assert_problem(response, 422, "no-target", "count", "không có chỉ tiêu")
    assert [e["field"] for e in response.json()["errors"]] == ["count"]
    assert api.post(complete_path(MINE), {"completed_at": "2024-02-01T09:00:00"}).is_success
    done = api.post(progress_path(MINE), {"count": 2})  # nor on a completed one
    assert_problem(done, 422, "no-target", "count")
    assert api.event_count(MINE) == 1


@pytest.mark.parametrize("header", [
    "t=\xb2,v1=abc",                                  # '²' passes str.isdigit()
    "t=\xb9\xb2\xb3,v1=" + "a" * 64,                  # '¹²³'
    "t=99999999999999999999999999,v1=" + "a" * 64,    # more digits than a time has
    "t=-5,v1=" + "a" * 64,
    "t=1.5e9,v1=" + "a" * 64,
    "t={now},v1=\xe9" + "a" * 63,                     # hmac.compare_digest refuses non-ASCII
    "t={now},v1=abc",                                 # too short for SHA-256
    "t={now},v1=" + "g" * 64,                         # not hex
    "t={now},v1=" + "a" * 64 + ",v1=\xe9",
    "t={now}",
    "v1=" + "a" * 64,
], ids=["superscript two", "superscript digits", "huge", "negative", "float", "non-ASCII v1",
        "short v1", "non-hex v1", "a second malformed v1", "no v1", "no t"])
def test_a_malformed_signature_header_is_403_not_a_500(sqlite_api: Api, header: str) -> None:
    value = header.replace("{now}", str(int(time.time()))).encode("latin-1")
    response = sqlite_api.client.post(complete_path(SIGNER), content=b"{}", headers={
        "Authorization": f"Bearer {sqlite_api.tokens['so-tu-phap'].token}",
        "Content-Type": "application/json", "Kehoach-Signature": value})
    assert_problem(response, 403, "signature-invalid", "sai định dạng")
    assert sqlite_api.event_count() == 0


def test_a_superscript_timestamp_is_403_on_both_databases(api: Api) -> None:
    response = api.client.post(complete_path(SIGNER), content=b"{}", headers={
        "Authorization": f"Bearer {api.tokens['so-tu-phap'].token}",
        "Content-Type": "application/json", "Kehoach-Signature": b"t=\xb2,v1=abc"})
    assert_problem(response, 403, "signature-invalid", "sai định dạng")


def test_the_signature_parser_takes_only_ascii_digits_and_hex() -> None:
    digest = "A" * 64
    assert _parse_signature(f" t = 1700000000 , v1 = {digest} ") == (1700000000, ["a" * 64])
    for header in ("t=١٧٠٠٠٠٠٠٠٠,v1=" + digest,  # Arabic-Indic digits: int() reads them
                   "t=１７,v1=" + digest):         # full-width digits
        with pytest.raises(PermissionError, match="sai định dạng"):
            _parse_signature(header)


def test_a_replay_with_another_v1_or_letter_case_is_still_a_replay(api: Api) -> None:
    body = json.dumps({"completed_at": "2024-02-19T09:30:00"}).encode()
    header = sign(api.tokens["so-tu-phap"].signing_secret, body, timestamp=int(time.time()))
    stamp, digest = header.split(",v1=")
    auth = {"Authorization": f"Bearer {api.tokens['so-tu-phap'].token}",
            "Content-Type": "application/json"}
    first = api.post(complete_path(SIGNER), raw=body, token=None,
                     headers={**auth, "Kehoach-Signature": header})
    assert first.status_code == 200, first.text
    for replay in (f"{stamp},v1={'0' * 64},v1={digest}", f"{stamp},v1={digest.upper()}"):
        again = api.post(complete_path(SIGNER), raw=body, token=None,
                         headers={**auth, "Kehoach-Signature": replay})
        assert_problem(again, 403, "signature-replayed")
    assert api.event_count(SIGNER) == 1


def test_a_keyed_completion_for_another_agency_does_not_say_that_agency_leads_it(
        api: Api) -> None:
    # so-noi-vu names so-y-te in the body: the refusal may not repeat that as a fact.
    response = api.post(f"/api/v1/plans/{PLAN}/tasks/tin-bai-trang-ttdt/complete",
                        {"agency": "so-y-te", "period": "2024"}, token="so-noi-vu")
    assert_problem(response, 403, "not-lead", "'so-noi-vu'",
                   "không được cập nhật thay cho cơ quan 'so-y-te'", "trường agency")
    assert "chủ trì; nhiệm vụ" not in response.json()["detail"]
    assert "do 'so-y-te' chủ trì" not in response.json()["detail"]
    assert api.event_count() == 0


def test_a_keyed_completion_with_a_period_that_names_no_period_is_422(api: Api) -> None:
    response = api.post(KEYED, {"agency": "so-y-te", "period": "2024-Q9"})
    assert_problem(response, 422, "invalid-period", "2024-Q9")
    assert response.json()["errors"][0]["field"] == "period"
    # Another agency's token is still refused first, whatever the period.
    assert api.post(KEYED, {"agency": "so-y-te", "period": "2024-Q9"},
                    token="so-noi-vu").status_code == 403


def test_an_instance_dropped_by_a_revision_is_refused_in_vietnamese(api: Api) -> None:
    data = spec_data()
    data["tasks"] = [t for t in data["tasks"] if t["id"] != "tin-bai-trang-ttdt"]
    assert register(api.store, data).revision == 2
    response = api.post(complete_path(TARGETED), {})
    assert_problem(response, 409, "instance-waived",
                   "nhiệm vụ đã bỏ khỏi kế hoạch ở lần sửa đổi 2")
    assert "removed in" not in response.json()["detail"]
    record(api.store, event(MINE, EventKind.WAIVED, local(2024, 2, 1), reason=" "))
    assert_problem(api.post(complete_path(MINE), {}), 409, "instance-waived", "không ghi")


def test_the_calendar_feed_takes_the_token_as_a_bearer_header_too(sqlite_api: Api) -> None:
    feed = "/api/v1/agencies/so-y-te/calendar.ics"
    by_header = sqlite_api.get(feed, token="calendar")
    assert by_header.status_code == 200, by_header.text
    by_query = sqlite_api.client.get(feed, params={"token": sqlite_api.tokens["calendar"].token})
    assert by_header.text.split("BEGIN:VEVENT")[1:] and by_query.status_code == 200
    missing = sqlite_api.client.get(feed)
    assert_problem(missing, 401, "token-missing", "?token=", "Authorization: Bearer")
    assert_problem(sqlite_api.get(feed, token="so-y-te"), 403, "wrong-role")


def test_an_agency_list_with_a_period_that_names_no_period_is_422(api: Api) -> None:
    listing = "/api/v1/agencies/so-y-te/instances"
    for period in ("2024-Q9", "2024-13", "2024-W54", "2024-H3", "24"):
        response = api.get(listing, params={"period": period})
        assert_problem(response, 422, "invalid-period", period)
        assert [e["field"] for e in response.json()["errors"]] == ["period"]
    for period in ("2024", "2024-Q1", "2024-W07", "2024-9M"):
        assert api.get(listing, params={"period": period}).status_code == 200
    # The metrics answer the same label the same way.
    assert_problem(api.get(f"/api/v1/plans/{PLAN}/metrics", params={"period": "2024-Q9"}),
                   422, "invalid-period", "2024-Q9")
