"""The image routes' query options (`app.api.options`): read in one validation, they must take,
refuse and document exactly what FastAPI's declared parameters would."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from starlette.requests import Request

from app.api.options import PredictOptions, QueryOptions, ReadOptions
from tests.harness import png_bytes


def declared_app(options: type[QueryOptions]) -> FastAPI:
    """The same options declared as FastAPI parameters: the behaviour to match."""

    async def echo(given: QueryOptions) -> dict:
        return given.model_dump()

    echo.__annotations__["given"] = Annotated[options, Query()]  # the class itself, not its name
    app = FastAPI()
    app.post("/declared")(echo)
    return app


@pytest.fixture(scope="module")
def declared() -> TestClient:
    return TestClient(declared_app(PredictOptions))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "include_input=true",
        "include_input=1&always_guess=yes",
        "always_guess=off&version=2",
        "version=",
        "version=1&version=3",  # repeated: the last one, as a declared parameter takes it
        "unknown=1",
    ],
)
def test_options_are_read_as_declared_parameters(declared: TestClient, query: str) -> None:
    request = Request({"type": "http", "query_string": query.encode(), "headers": []})
    assert PredictOptions.of(request).model_dump() == declared.post(f"/declared?{query}").json()


@pytest.mark.parametrize("path", ["/predict", "/predict/batch", "/read"])
def test_a_bad_option_is_the_one_error_shape_naming_it(client: TestClient, path: str) -> None:
    response = client.post(f"{path}?always_guess=perhaps", content=b"x")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("query.always_guess: Input should be a valid boolean")


def test_an_unknown_version_is_refused_before_the_body_is_read(client: TestClient) -> None:
    response = client.post("/predict?version=no-such", content=b"not even an image")
    assert response.status_code == 404


def test_options_given_are_used(client: TestClient, sample_digits) -> None:
    data = png_bytes(sample_digits.images[0])
    answer = client.post("/predict?include_input=on&version=1", content=data).json()
    assert answer["input_image"].startswith("data:image/png;base64,")
    assert answer["model_version"] == "1"


@pytest.mark.parametrize(
    ("path", "options"), [("/predict", PredictOptions), ("/read", ReadOptions)]
)
def test_openapi_documents_them_as_fastapi_documents_declared_ones(
    client: TestClient, path: str, options: type[QueryOptions]
) -> None:
    expected = declared_app(options).openapi()["paths"]["/declared"]["post"]["parameters"]
    served = client.get("/openapi.json").json()["paths"][path]["post"]["parameters"]
    assert served == expected
