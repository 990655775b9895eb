"""Schema-driven fuzzing of the whole API (schemathesis on its own OpenAPI, over real HTTP).

For every operation, a bounded number of generated requests: none may give a 5xx, and none
that is refused (non-2xx) may change the audit log.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from engine.api.app import create_app
from engine.settings import Settings
from tests.test_api_support import Api, live_server, sqlite_api

__all__ = ["live_server", "sqlite_api"]
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error_or_a_change_without_success(
        case: schemathesis.Case, sqlite_api: Api) -> None:
    before = sqlite_api.event_count()
    token = sqlite_api.tokens["operator"].token
    response = case.call(base_url=sqlite_api.url, headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=[not_a_server_error])
    if not 200 <= response.status_code < 300:
        assert sqlite_api.event_count() == before, response.text
