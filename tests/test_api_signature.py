"""Signed requests (HMAC-SHA256 over the raw body with a timestamp), on both databases."""

from __future__ import annotations

import json
import time

from tests.test_api_core import assert_problem, complete_path
from tests.test_api_support import Api, api, iid, live_server

__all__ = ["api", "live_server"]
SIGNER = iid("ban-hanh-ke-hoach", "so-tu-phap")  # so-tu-phap must sign every request
BODY = json.dumps({"completed_at": "2024-02-19T09:30:00", "note": "ký số"}).encode()


def test_a_correctly_signed_request_is_accepted(api: Api) -> None:
    response = api.post(complete_path(SIGNER), raw=BODY, token=None,
                        headers=api.signed("so-tu-phap", BODY))
    assert response.status_code == 200, response.text
    assert api.event_count(SIGNER) == 1


def test_an_agency_that_must_sign_is_refused_without_a_signature(api: Api) -> None:
    response = api.post(complete_path(SIGNER), raw=BODY, token="so-tu-phap",
                        headers={"Content-Type": "application/json"})
    assert_problem(response, 403, "signature-required", "Kehoach-Signature", "HMAC-SHA256")
    assert api.event_count() == 0
    assert api.security_events()[-1].reason == "signature-required"


def test_a_signature_of_another_body_is_refused(api: Api) -> None:
    headers = api.signed("so-tu-phap", BODY)
    tampered = BODY.replace(b"09:30", b"08:30")
    response = api.post(complete_path(SIGNER), raw=tampered, token=None, headers=headers)
    assert_problem(response, 403, "signature-invalid", "không khớp")
    # A signature is checked when present, even for an agency that need not sign.
    mine = iid("ban-hanh-ke-hoach", "so-y-te")
    forged = {**api.signed("so-tu-phap", BODY),
              "Authorization": f"Bearer {api.tokens['so-y-te'].token}"}
    assert_problem(api.post(complete_path(mine), raw=BODY, token=None, headers=forged), 403,
                   "signature-invalid")
    assert api.event_count() == 0


def test_a_replayed_signed_request_is_refused(api: Api) -> None:
    headers = api.signed("so-tu-phap", BODY)
    assert api.post(complete_path(SIGNER), raw=BODY, token=None, headers=headers).is_success
    replay = api.post(complete_path(SIGNER), raw=BODY, token=None, headers=headers)
    assert_problem(replay, 403, "signature-replayed", "Idempotency-Key")
    assert api.event_count(SIGNER) == 1


def test_a_signature_older_than_five_minutes_is_refused(api: Api) -> None:
    stale = api.signed("so-tu-phap", BODY, at=time.time() - 301)
    assert_problem(api.post(complete_path(SIGNER), raw=BODY, token=None, headers=stale),
                   403, "signature-expired", "300 giây")
    fresh = api.signed("so-tu-phap", BODY, at=time.time() - 240)
    assert api.post(complete_path(SIGNER), raw=BODY, token=None, headers=fresh).is_success


def test_a_signed_retry_with_an_idempotency_key_gets_the_first_answer(api: Api) -> None:
    headers = {**api.signed("so-tu-phap", BODY), "Idempotency-Key": "ky-so-1"}
    first = api.post(complete_path(SIGNER), raw=BODY, token=None, headers=headers)
    retry = api.post(complete_path(SIGNER), raw=BODY, token=None, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json() and api.event_count(SIGNER) == 1
