"""The query parameters of the routes that answer images, validated together in one call.

Why not declared one by one in the route's signature: FastAPI solves each declared parameter and
each dependency on its own for every request, and for a lone image that solving cost about as
much as the network (`bench/results.md`). A route that answers images declares only `request`,
reads its options with `Options.of(request)` (the same pydantic validation, and the same 422
`invalid_request` naming `query.<name>`, as a declared parameter) and documents them with
`openapi_extra=Options.documented()` (the same OpenAPI parameters as declared ones).
"""

from __future__ import annotations

from typing import Any, Self

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.api.deps import Running
from app.versions import Lease


class QueryOptions(BaseModel):
    """Query parameters read as one model; names not declared are ignored, as FastAPI does."""

    model_config = ConfigDict(frozen=True)

    @classmethod
    def of(cls, request: Request) -> Self:
        if not request.scope["query_string"]:
            return cls()
        try:
            return cls.model_validate(dict(request.query_params))
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            raise RequestValidationError(
                [{**error, "loc": ("query", *error["loc"])} for error in errors]
            ) from None

    @classmethod
    def documented(cls, **openapi_extra: Any) -> dict[str, Any]:
        """The route's `openapi_extra`: these options as OpenAPI query parameters."""
        properties = cls.model_json_schema()["properties"]
        parameters = [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": schema,
                "description": schema["description"],
            }
            for name, schema in properties.items()
        ]
        return {**openapi_extra, "parameters": parameters}


class ModelOptions(QueryOptions):
    version: str | None = Field(
        None,
        description="answer with this loaded model version (default: the latest, see /model)",
    )

    def lease(self, running: Running) -> Lease:
        """The version that answers the request, for the route to hold (`with lease:`) from
        reading the body to the answer; an unknown version is a 404 before the body is read."""
        return running.versions.lease(self.version)


class PredictOptions(ModelOptions):
    include_input: bool = Field(
        False, description="also return the 28x28 image the model saw, as a PNG"
    )
    always_guess: bool = Field(
        False,
        description="answer an image that holds no digit with the best guess as a 200 "
        "(`is_digit` false) instead of a 422 `not_a_digit`",
    )


class ReadOptions(PredictOptions):
    include_input: bool = Field(
        False, description="also return the 28x28 image the model saw for each digit, as PNGs"
    )
