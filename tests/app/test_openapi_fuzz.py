"""Schemathesis against the live service's own OpenAPI schema: bounded, loopback only.

Whatever schema-shaped (and schema-breaking) requests it generates, the service never answers
5xx, and every answer matches the schema it publishes: documented status, content type, body.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# The schema the running service publishes at /openapi.json, built the same way.
schema = schemathesis.openapi.from_dict(create_app().openapi())


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_responses_match_the_schema(case, live_server) -> None:
    case.call_and_validate(base_url=live_server, checks=CHECKS)


def test_published_schema_is_the_one_tested(live_server) -> None:
    import httpx

    assert httpx.get(f"{live_server}/openapi.json").json() == create_app().openapi()
