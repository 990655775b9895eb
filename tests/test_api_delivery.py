"""The delivery routes (engine.api.routes), on both databases.

Revocation and signature policy count from the very next request (tokens are read from the
database on every request, never cached); a delivery behind a root path gets the same answers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest

from engine.api.app import create_app
from engine.api.auth import revoke_token, set_signature_policy
from engine.api.service import _directory_id
from engine.core.spec import parse_directory
from engine.settings import Settings
from tests.test_api_core import MINE, TARGETED, assert_problem, complete_path
from tests.test_api_support import BODY_LIMIT, PLAN, Api, api, iid, live_server, sqlite_api

__all__ = ["api", "live_server", "sqlite_api"]
ROOT = Path(__file__).resolve().parent.parent


def test_a_revoked_token_is_refused_from_the_next_request(api: Api) -> None:
    path = f"/api/v1/instances/{TARGETED}/progress"
    assert api.post(path, {"count": 1}).status_code == 200
    assert api.post("/api/v1/noop", {}).status_code == 200
    with api.store.transaction() as tx:
        revoke_token(tx, api.tokens["so-y-te"].id, now=dt.datetime.now(dt.UTC))
    assert_problem(api.post(path, {"count": 1}), 401, "token-revoked", "đã bị thu hồi")
    assert_problem(api.post("/api/v1/noop", {}), 401, "token-revoked")
    assert api.get("/api/v1/agencies/so-y-te/instances").status_code == 401
    assert api.event_count(TARGETED) == 1


def test_a_new_signature_policy_applies_from_the_next_request(api: Api) -> None:
    assert api.post("/api/v1/noop", {}).status_code == 200
    with api.store.transaction() as tx:
        set_signature_policy(tx, directory_id="hanoi-2024", agency_id="so-y-te", required=True)
    assert_problem(api.post(complete_path(MINE), {}), 403, "signature-required")
    body = json.dumps({}).encode()
    signed = api.post(complete_path(MINE), raw=body, token=None,
                      headers=api.signed("so-y-te", body))
    assert signed.status_code == 200, signed.text


def test_a_delivery_through_fastapis_router_gets_the_same_answers(sqlite_api: Api) -> None:
    """Behind a root path (a proxy's prefix) a delivery is answered the same."""
    app = create_app(Settings(api_body_limit=BODY_LIMIT), store=sqlite_api.store)
    token = sqlite_api.tokens["so-y-te"].token

    async def send(prefix: str, path: str, body: bytes, **headers: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, root_path=prefix, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post(prefix + path, content=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json",
                **headers})

    def both(path: str, body: bytes = b"{}", **headers: str) -> list[tuple[int, object]]:
        answers = []
        for prefix in ("", "/kehoach"):
            response = asyncio.run(send(prefix, path, body, **headers))
            doc = response.json()
            if isinstance(doc, dict) and "instance" in doc:
                doc["instance"] = doc["instance"].removeprefix(prefix)
            answers.append((response.status_code, doc))
        return answers

    first, second = both("/api/v1/noop", b'{"note": 1}')
    assert first == second and first[0] == 422
    first, second = both("/api/v1/plans/BAD/tasks/x/complete", **{"Idempotency-Key": ""})
    assert first == second and first[0] == 422
    assert [e["field"] for e in first[1]["errors"]] == [  # type: ignore[index]
        "header.Idempotency-Key", "path.plan"]
    first, second = both(complete_path(iid("ban-hanh-ke-hoach", "so-noi-vu")))
    assert first == second and first[0] == 403
    first, second = both(f"/api/v1/instances/{TARGETED}/progress", b'{"count": 1}')
    assert (first[0], second[0]) == (200, 200)
    assert [doc["progress"] for _, doc in (first, second)] == [1, 2]  # type: ignore[index]
    assert sqlite_api.event_count(TARGETED) == 2 and PLAN in str(first[1])


@pytest.mark.parametrize("name", ["hanoi-2024", "hanoi-2019", "haiphong-2019"])
def test_a_plan_is_linked_to_its_directory_by_the_id_alone(name: str) -> None:
    text = (ROOT / "plan_specs" / "directories" / f"{name}.yaml").read_text("utf-8")
    directory, _ = parse_directory(text, file=name)
    assert _directory_id(text) == directory.directory.id == name


def test_a_delivery_with_several_faults_is_refused_for_the_first_in_the_documented_order(
        sqlite_api: Api) -> None:
    """Token (401), headers (422), body size and type (413, 415), signature (403), path
    (422), body (422): each request below has every fault of the ones after it too."""
    keyed = "/api/v1/plans/BAD/tasks/x/complete"
    big, text = b'{"note": "' + b"x" * BODY_LIMIT + b'"}', b"not json"
    faults = {"Idempotency-Key": "", "Kehoach-Signature": "t=1,v1=00"}
    answers = [
        (sqlite_api.post(keyed, raw=big, token=None, headers={
            **faults, "Authorization": "Bearer kh_unknown"}), 401, "token-invalid"),
        (sqlite_api.post(keyed, raw=big, headers=faults), 422, "invalid-request"),
        (sqlite_api.post(keyed, raw=big, headers={"Kehoach-Signature": "t=1,v1=00",
                                                  "Content-Type": "application/json"}),
         413, "body-too-large"),
        (sqlite_api.post(keyed, raw=text, headers={"Kehoach-Signature": "t=1,v1=00",
                                                   "Content-Type": "text/plain"}),
         415, "not-json"),
        (sqlite_api.post(keyed, raw=b"{", headers={"Kehoach-Signature": "t=1,v1=00",
                                                   "Content-Type": "application/json"}),
         403, "signature-invalid"),
        (sqlite_api.post(keyed, raw=b"{", headers={"Content-Type": "application/json"}),
         422, "invalid-request"),
        (sqlite_api.post("/api/v1/plans/p/tasks/x/complete", raw=b"{",
                         headers={"Content-Type": "application/json"}), 422, "invalid-body"),
    ]
    for response, status, kind in answers:
        assert_problem(response, status, kind)
    assert sqlite_api.event_count() == 0
