"""Schemathesis against the live service's own OpenAPI schema: bounded, loopback only.

Every check Schemathesis has, bar those named below with the reason. Image fields get real
uploads (MNIST digits in the styles people send, and a few images that are no digit), so that
200 answers are validated against their schema too, not only refusals.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from app.core.config import Settings
from app.main import create_app
from synthesis.uploads import STYLES
from tests.harness import running_service
from training.data import VENDORED_MNIST, load_idx_dir

# Not run: `positive_data_acceptance` expects every schema-valid body to be accepted, but a
# valid multipart body may carry any bytes, and an image that holds no digit is refused by
# design (422); with real digits only, the strategy below checks acceptance where it is due.
# `object_level_authorization` compares what two users may see of one object: the service has
# one API key and one operator key, no users, so no object belongs to anyone.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    allow_header_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    use_after_free,
    ensure_resource_availability,
    ignored_auth,
]


def real_uploads() -> list[bytes]:
    digits = load_idx_dir(VENDORED_MNIST, "test").images[:20]
    uploads = [style(d) for d in digits for style in STYLES.values()]
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    return [*uploads, STYLES["mnist_png"](noise)]


schemathesis.openapi.media_type("image/*", st.sampled_from(real_uploads()))

# The schema the running service publishes at /openapi.json, built the same way; and the one it
# publishes with keys set, where the routes behind them declare their security.
schema = schemathesis.openapi.from_dict(create_app().openapi())
KEY = "fuzz-key"
keyed_schema = schemathesis.openapi.from_dict(
    create_app(Settings(api_key=KEY, operator_key=KEY)).openapi()
)


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[str]:
    """The service with an API key and an operator key (the same one, sent as X-API-Key)."""
    with running_service("fuzz_keyed.log", DIGITS_API_KEY=KEY, DIGITS_OPERATOR_KEY=KEY) as service:
        yield service.url


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_responses_match_the_schema(case, live_server) -> None:
    case.call_and_validate(base_url=live_server, checks=CHECKS)


@keyed_schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_with_keys_set_a_request_without_one_is_refused(case, keyed_server) -> None:
    """`ignored_auth` at work: every route that declares the key answers 401 without it (and
    the rest of the checks hold with it)."""
    case.call_and_validate(base_url=keyed_server, checks=CHECKS, headers={"X-API-Key": KEY})


def test_published_schema_is_the_one_tested(live_server) -> None:
    import httpx

    assert httpx.get(f"{live_server}/openapi.json").json() == create_app().openapi()
