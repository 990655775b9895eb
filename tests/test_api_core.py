"""The webhook API over real HTTP, on SQLite and PostgreSQL: completions, auth, refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from engine.store.events import events_of, get_instance
from engine.store.tables import InstanceRow
from tests.test_api_support import Api, api, iid, live_server, sqlite_api

__all__ = ["api", "live_server", "sqlite_api"]
HN = ZoneInfo("Asia/Ho_Chi_Minh")
PROBLEMS = "https://kehoach.example.org/problems/"
MINE = iid("ban-hanh-ke-hoach", "so-y-te")
TARGETED = iid("tin-bai-trang-ttdt", "so-y-te")  # target: 12 tin/bài


def complete_path(instance: str) -> str:
    return f"/api/v1/instances/{instance}/complete"


def assert_problem(response: httpx.Response, status: int, kind: str, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    doc = response.json()
    assert doc["type"] == PROBLEMS + kind and doc["status"] == status
    assert doc["instance"] == response.request.url.path
    for word in words:
        assert word in doc["detail"], doc["detail"]


def test_an_agency_completes_its_instance_by_id(api: Api) -> None:
    response = api.post(complete_path(MINE), {
        "completed_at": "2024-02-19T09:30:00", "evidence_url": "https://soyte.example.org/kh",
        "note": "Đã ban hành Kế hoạch số 12/KH-SYT"})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["status"] == "done_on_time" and doc["status_label"] == "Hoàn thành đúng hạn"
    assert doc["message"] == f"Đã ghi nhận hoàn thành {MINE} lúc 09:30 19/02/2024 (đúng hạn)."
    with api.store.transaction() as tx:
        view = get_instance(tx, MINE)
        [event] = events_of(tx, MINE)
    assert view.state.completed_at == dt.datetime(2024, 2, 19, 9, 30, tzinfo=HN)
    assert (event.source, event.actor, event.evidence_url) == (
        "webhook", "so-y-te", "https://soyte.example.org/kh")


def test_progress_adds_up_to_the_target_and_completes_the_instance(api: Api) -> None:
    path = f"/api/v1/instances/{TARGETED}/progress"
    first = api.post(path, {"count": 5, "completed_at": "2024-05-02T10:00:00+07:00"})
    assert first.status_code == 200 and first.json()["progress"] == 5
    assert first.json()["message"] == f"Đã ghi nhận tiến độ {TARGETED}: 5/12."
    second = api.post(path, {"count": 7, "completed_at": "2024-11-20T10:00:00+07:00"})
    assert second.json()["status"] == "done_on_time" and second.json()["progress"] == 12
    assert api.event_count(TARGETED) == 2


def test_completion_by_natural_key(api: Api) -> None:
    response = api.post(f"/api/v1/plans/{api_plan()}/tasks/ban-hanh-ke-hoach/complete",
                        {"agency": "so-y-te", "period": "2024",
                         "completed_at": "2024-02-25T08:00:00+07:00"})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == MINE and response.json()["status"] == "done_late"
    assert api.event_count(MINE) == 1


def api_plan() -> str:
    return MINE.split(":")[0]


def test_an_operator_may_complete_any_instance(api: Api) -> None:
    response = api.post(complete_path(iid("ban-hanh-ke-hoach", "so-noi-vu")), {},
                        token="operator")
    assert response.status_code == 200
    with api.store.transaction() as tx:
        [event] = events_of(tx, iid("ban-hanh-ke-hoach", "so-noi-vu"))
    assert event.actor == f"operator:{api.tokens['operator'].id}"


@pytest.mark.parametrize(("token", "kind", "words"), [
    (None, "token-missing", ["Thiếu token", "Authorization: Bearer"]),
    ("kh_not-a-real-token", "token-invalid", ["Token không hợp lệ"]),
    ("revoked", "token-revoked", ["đã bị thu hồi"]),
], ids=["no token", "an unknown token", "a revoked token"])
def test_requests_without_a_valid_token_are_401(api: Api, token: str | None, kind: str,
                                                words: list[str]) -> None:
    headers = {}
    if token == "revoked":
        headers["Authorization"] = f"Bearer {api.tokens['revoked'].token}"
    elif token:
        headers["Authorization"] = f"Bearer {token}"
    response = api.post(complete_path(MINE), {}, token=None, headers=headers)
    assert_problem(response, 401, kind, *words)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.event_count() == 0
    [logged] = api.security_events()
    assert (logged.status, logged.reason, logged.source_address) == (401, kind, "127.0.0.1")


def test_an_agency_may_not_complete_another_agencys_instance(api: Api) -> None:
    theirs = iid("ban-hanh-ke-hoach", "so-noi-vu")
    response = api.post(complete_path(theirs), {})
    assert_problem(response, 403, "not-lead", "so-y-te", "so-noi-vu")
    # The same answer whether or not the instance exists: nothing leaks to a non-lead.
    ghost = api.post(complete_path(iid("khong-co", "so-noi-vu")), {})
    assert ghost.status_code == 403 and ghost.json()["type"] == PROBLEMS + "not-lead"
    keyed = api.post(f"/api/v1/plans/{api_plan()}/tasks/ban-hanh-ke-hoach/complete",
                     {"agency": "so-noi-vu", "period": "2024"})
    assert_problem(keyed, 403, "not-lead")
    assert api.event_count() == 0
    logged = api.security_events()
    assert [(e.status, e.agency_id, e.token_id) for e in logged] == [
        (403, "so-y-te", api.tokens["so-y-te"].id)] * 3


def test_an_agency_of_another_city_with_the_same_id_is_403(api: Api) -> None:
    hanoi_instance = iid("ban-hanh-ke-hoach", "so-noi-vu")
    response = api.post(complete_path(hanoi_instance), {}, token="hp-so-noi-vu")
    assert_problem(response, 403, "not-lead", "hanoi-2024", "haiphong-2019")
    assert api.post(complete_path(hanoi_instance), {}, token="so-noi-vu").status_code == 200
    assert api.event_count() == 1


def test_a_calendar_token_cannot_change_anything(sqlite_api: Api) -> None:
    assert_problem(sqlite_api.post(complete_path(MINE), {}, token="calendar"), 403, "wrong-role",
                   "Token lịch (chỉ đọc lịch hạn)", "token của cơ quan hoặc token điều hành")


def test_unknown_instances_and_plans_are_404(api: Api) -> None:
    assert_problem(api.post(complete_path(iid("khong-co", "so-y-te")), {}), 404, "not-found",
                   "Không tìm thấy đầu việc")
    assert_problem(api.post(complete_path("khong-co-dau-hai-cham"), {}), 404, "not-found")
    assert_problem(api.post(complete_path("kh-khac:ban-hanh:so-y-te:2024"), {}), 404,
                   "not-found", "kế hoạch")
    assert_problem(api.post(f"/api/v1/plans/{api_plan()}/tasks/ban-hanh-ke-hoach/complete",
                            {"agency": "so-y-te", "period": "2030"}), 404, "not-found")


def test_a_waived_instance_cannot_be_completed(api: Api) -> None:
    api.waive(MINE, reason="gộp vào nhiệm vụ khác")
    response = api.post(complete_path(MINE), {})
    assert_problem(response, 409, "instance-waived", "miễn/hủy", "gộp vào nhiệm vụ khác")
    assert api.event_count(MINE) == 1  # only the waiver
    assert api.security_events()[-1].reason == "instance-waived"


def test_completing_twice_is_409_with_the_first_completion_time(api: Api) -> None:
    assert api.post(complete_path(MINE), {"completed_at": "2024-02-19T09:30:00"}).is_success
    again = api.post(complete_path(MINE), {})
    assert_problem(again, 409, "already-completed", "09:30 19/02/2024", "Idempotency-Key")
    assert api.event_count(MINE) == 1


def test_a_retried_delivery_returns_the_first_answer_and_changes_nothing(api: Api) -> None:
    headers = {"Idempotency-Key": "giao-dich-001"}
    body = {"completed_at": "2024-02-19T09:30:00"}
    first = api.post(complete_path(MINE), body, headers=headers)
    retry = api.post(complete_path(MINE), body, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json() and retry.headers["idempotent-replayed"] == "true"
    assert api.event_count(MINE) == 1


def test_an_idempotency_key_reused_with_another_body_is_409(api: Api) -> None:
    headers = {"Idempotency-Key": "giao-dich-002"}
    assert api.post(complete_path(MINE), {"note": "lần 1"}, headers=headers).is_success
    other = api.post(complete_path(TARGETED), {"note": "lần 1"}, headers=headers)
    assert_problem(other, 409, "idempotency-key-reused", "giao-dich-002")
    assert api.event_count() == 1


def test_concurrent_duplicate_deliveries_are_counted_once(api: Api) -> None:
    def deliver(_: int) -> httpx.Response:
        with httpx.Client(base_url=api.url, timeout=20) as client:
            return client.post(complete_path(MINE), json={"note": "gửi lặp"}, headers={
                "Authorization": f"Bearer {api.tokens['so-y-te'].token}",
                "Idempotency-Key": "giao-dich-dong-thoi"})

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(deliver, range(8)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    assert api.event_count(MINE) == 1


def test_concurrent_deliveries_without_a_key_complete_once(api: Api) -> None:
    def deliver(_: int) -> int:
        with httpx.Client(base_url=api.url, timeout=20) as client:
            return client.post(complete_path(MINE), json={}, headers={
                "Authorization": f"Bearer {api.tokens['so-y-te'].token}"}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(deliver, range(8)))
    assert codes == [200] + [409] * 7
    assert api.event_count(MINE) == 1


def test_a_body_over_the_limit_is_413_declared_or_streamed(sqlite_api: Api) -> None:
    big = b'{"note": "' + b"x" * 5000 + b'"}'
    assert_problem(sqlite_api.post(complete_path(MINE), raw=big,
                            headers={"Content-Type": "application/json"}),
                   413, "body-too-large", "4096 byte")

    def chunks() -> Iterator[bytes]:
        yield from (big[i:i + 1000] for i in range(0, len(big), 1000))

    streamed = sqlite_api.client.post(complete_path(MINE), content=chunks(), headers={
        "Authorization": f"Bearer {sqlite_api.tokens['so-y-te'].token}",
        "Content-Type": "application/json"})
    assert "content-length" not in streamed.request.headers
    assert_problem(streamed, 413, "body-too-large")
    assert sqlite_api.event_count() == 0
    assert [e.status for e in sqlite_api.security_events()] == [413, 413]


def test_a_body_that_is_not_json_is_415(sqlite_api: Api) -> None:
    response = sqlite_api.post(complete_path(MINE), raw=b"note=xong",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(response, 415, "not-json", "Content-Type: application/json")
    assert sqlite_api.event_count() == 0


@pytest.mark.parametrize(("raw", "field", "words"), [
    (b'{"note": "thi', "(toàn bộ)", "JSON không hợp lệ"),
    ("{\"completed_at\": \"hôm qua\"}".encode(), "completed_at", "ISO 8601"),
    (b'{"count": "5"}', "count", "số nguyên"),
    (b'{"count": 0}', "count", "phải lớn hơn 0"),
    (b'{"count": 3, "trang_thai": "xong"}', "trang_thai", "không được hỗ trợ"),
    (b'{"count": 3, "evidence_url": "ftp://x"}', "evidence_url", "định dạng"),
    (b'[1, 2]', "(toàn bộ)", "đối tượng JSON"),
], ids=["malformed JSON", "a date that is not ISO", "a number as a string", "a zero count",
        "an unknown field", "a non-http evidence URL", "an array"])
def test_bad_bodies_are_422_naming_the_field(sqlite_api: Api, raw: bytes, field: str,
                                             words: str) -> None:
    response = sqlite_api.post(f"/api/v1/instances/{TARGETED}/progress", raw=raw,
                        headers={"Content-Type": "application/json"})
    assert_problem(response, 422, "invalid-body")
    errors = response.json()["errors"]
    assert any(e["field"] == field and words in e["message"] for e in errors), errors
    assert sqlite_api.event_count() == 0
    assert sqlite_api.security_events()[-1].status == 422


def test_a_completion_time_in_the_future_is_422(sqlite_api: Api) -> None:
    future = (dt.datetime.now(HN) + dt.timedelta(days=2)).isoformat()
    assert_problem(sqlite_api.post(complete_path(MINE), {"completed_at": future}), 422,
                   "completed-in-future", "tương lai")
    assert sqlite_api.event_count() == 0


def test_concurrent_mixed_deliveries_each_stand_alone(api: Api) -> None:
    """Deliveries that arrive together keep or lose only their own change: refusals among
    them undo nothing of the others."""
    with api.store.transaction() as tx:
        ids = [r for r in tx.scalars(select(InstanceRow.id).where(
            InstanceRow.agency_id.in_(["so-y-te", "so-noi-vu"])).order_by(InstanceRow.id))]
    waived = next(i for i in ids if ":so-y-te:" in i)
    api.waive(waived)
    others = [i for i in ids if ":so-noi-vu:" in i][:4]  # sent with so-y-te's token: 403
    good = [i for i in ids if i != waived and i not in others][:24]

    def deliver(job: tuple[str, str]) -> tuple[str, int]:
        instance, token = job
        with httpx.Client(base_url=api.url, timeout=20) as client:
            return instance, client.post(complete_path(instance), json={}, headers={
                "Authorization": f"Bearer {api.tokens[token].token}"}).status_code

    jobs = [(i, i.split(":")[2]) for i in good] + [(waived, "so-y-te")] + [
        (i, "so-y-te") for i in others]
    with ThreadPoolExecutor(16) as pool:
        codes = dict(pool.map(deliver, jobs))
    assert [codes[i] for i in good] == [200] * len(good)
    assert codes[waived] == 409 and {codes[i] for i in others} == {403}
    for instance in good:
        assert api.event_count(instance) == 1
    with api.store.transaction() as tx:
        assert get_instance(tx, waived).state.completed_at is None
    refused = sorted(e.reason for e in api.security_events())
    assert refused == ["instance-waived"] + ["not-lead"] * len(others)


@pytest.mark.parametrize("path, body, status", [
    (complete_path(MINE), {"note": "đã nộp\u0000"}, 422),
    (complete_path(MINE), {"evidence_url": "https://example.org/\u0000"}, 422),
    (complete_path(MINE.replace(":2024", ":2024%00")), {}, 404),
    (complete_path(MINE.replace("hn-2024", "hn%00-2024")), {}, 404),
], ids=["NUL in a note", "NUL in an evidence URL", "NUL in the period of an id",
        "NUL in the plan of an id"])
def test_a_nul_character_is_refused_and_changes_nothing(api: Api, path: str,
                                                        body: dict[str, str],
                                                        status: int) -> None:
    # PostgreSQL's text columns cannot hold NUL: it must not get as far as the database.
    response = api.post(path, body)
    assert response.status_code == status, response.text
    assert api.event_count() == 0
