"""The bearer token as deliveries read it: the Authorization header's forms, and the
OpenAPI document's security requirement, now that one dependency reads and checks it."""

from __future__ import annotations

import pytest

from tests.test_api_core import MINE, assert_problem, complete_path
from tests.test_api_support import Api, api, live_server, sqlite_api

__all__ = ["api", "live_server", "sqlite_api"]  # fixtures


@pytest.mark.parametrize("form", ["Bearer {}", "bearer {}", "BEARER   {}"],
                         ids=["Bearer", "lower case", "spaces"])
def test_the_bearer_scheme_is_read_in_any_case_and_spacing(sqlite_api: Api, form: str) -> None:
    token = sqlite_api.tokens["so-y-te"].token
    response = sqlite_api.post(complete_path(MINE), {}, token=None,
                               headers={"Authorization": form.format(token)})
    assert response.status_code == 200, response.text
    assert sqlite_api.event_count(MINE) == 1


@pytest.mark.parametrize("header", ["Basic {}", "{}", "Bearer"],
                         ids=["another scheme", "no scheme", "no token"])
def test_a_token_not_sent_as_bearer_is_a_missing_token(sqlite_api: Api, header: str) -> None:
    token = sqlite_api.tokens["so-y-te"].token
    response = sqlite_api.post(complete_path(MINE), {}, token=None,
                               headers={"Authorization": header.format(token)})
    assert_problem(response, 401, "token-missing", "Thiếu token", "Authorization: Bearer")
    assert sqlite_api.event_count(MINE) == 0


def test_every_api_route_with_a_token_declares_the_bearer_scheme(sqlite_api: Api) -> None:
    doc = sqlite_api.client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    secured = {f"{method.upper()} {path}" for path, item in doc["paths"].items()
               for method, operation in item.items()
               if {"HTTPBearer": []} in operation.get("security", [])}
    assert {"POST /api/v1/instances/{instance_id}/complete",
            "POST /api/v1/instances/{instance_id}/progress",
            "POST /api/v1/plans/{plan}/tasks/{task}/complete",
            "GET /api/v1/agencies/{agency}/instances",
            "GET /api/v1/plans/{plan}/metrics"} <= secured


@pytest.mark.parametrize(("headers", "fields"), [
    ({"Idempotency-Key": "k" * 256}, ["header.Idempotency-Key"]),
    ({"Kehoach-Signature": "t=1," + "v1=00," * 200}, ["header.Kehoach-Signature"]),
    ({"Idempotency-Key": "", "Kehoach-Signature": "x" * 1001},
     ["header.Idempotency-Key", "header.Kehoach-Signature"]),
], ids=["key too long", "signature too long", "both"])
def test_a_malformed_delivery_header_is_a_422_naming_it(sqlite_api: Api,
                                                        headers: dict[str, str],
                                                        fields: list[str]) -> None:
    response = sqlite_api.post(complete_path(MINE), {}, headers=headers)
    assert_problem(response, 422, "invalid-request")
    assert [e["field"] for e in response.json()["errors"]] == fields
    assert sqlite_api.event_count(MINE) == 0


def test_a_delivery_with_a_good_idempotency_key_is_answered_once(sqlite_api: Api) -> None:
    first = sqlite_api.post(complete_path(MINE), {}, headers={"Idempotency-Key": "k" * 255})
    again = sqlite_api.post(complete_path(MINE), {}, headers={"Idempotency-Key": "k" * 255})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert sqlite_api.event_count(MINE) == 1
