"""One error format for every error the service returns:

{"error": {"status": 422, "code": "no_digit_found", "message": "No digit found: ..."}}

Every refusal is a `digits.errors.Refusal`: the image pipeline's (`ImageRejected`, shared with
training) and the API's own (`ApiError`: the request, the key, readiness). Each is counted once,
by reason, in the handler that answers it. Under /v2 the routes are `ProtocolRoute`s, whose own
handler answers in the Open Inference Protocol's shape, `{"error": "..."}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path

from digits.errors import NotADigit, Refusal

log = logging.getLogger("app.errors")

CLIENT_CLOSED_REQUEST = 499
INTERNAL = "Internal error; it has been logged."

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    503: "not_ready",
}


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody
    prediction: dict | None = Field(
        None,
        description="with `not_a_digit` and `several_digits` only: the best guess and the "
        "scores, as /predict answers them (ask `?always_guess=true` to get it as a 200 instead)",
    )
    reading: dict | None = Field(
        None,
        description="with `several_digits` only: the number the image holds, as /read reads it",
    )


class ProtocolError(BaseModel):
    """The Open Inference Protocol's error body, which its clients read (under /v2 only)."""

    error: str


class ApiError(Refusal):
    """A request the service refuses for what the request is, not what its image shows."""


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict | None = None,
    details: dict | None = None,
) -> JSONResponse:
    """The one error shape; `details` (a refused image's guess and reading) beside the error."""
    body = ErrorResponse(error=ErrorBody(status=status, code=code, message=message))
    content = {**body.model_dump(exclude_none=True), **(details or {})}
    return JSONResponse(content, status_code=status, headers=headers)


def error_responses(*statuses: int, body: type[BaseModel] = ErrorResponse) -> dict[int | str, dict]:
    """OpenAPI entries for the errors a route can answer, in the one error format (or, under
    /v2, `body=ProtocolError`)."""
    return {
        status: {"model": body, "description": HTTP_CODES.get(status, "error")}
        for status in statuses
    }


def allowed_methods(request: Request) -> list[str]:
    """The methods the API schema documents for the request's path (/predict takes POST and
    PUT, declared as two routes, and Starlette's 405 names only the first's); a path written out
    (/corrections/export) is its own, not also one of a template's (/corrections/{id})."""
    matching = {
        template: {method.upper() for method in operations}
        for template, operations in request.app.openapi()["paths"].items()
        if compile_path(template)[0].match(request.url.path)
    }
    literal = [methods for template, methods in matching.items() if "{" not in template]
    return sorted(set().union(*(literal or matching.values())))


def http_headers(request: Request, exc: HTTPException) -> dict | None:
    """An HTTP error's headers; a 405's Allow naming every method the path takes, not only
    its first route's."""
    headers = getattr(exc, "headers", None)
    documented = allowed_methods(request) if exc.status_code == 405 else []
    if documented:
        headers = {**(headers or {}), "Allow": ", ".join(documented)}
    return headers


def validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}"


def refusal_headers(exc: Refusal) -> dict | None:
    return {"WWW-Authenticate": "Bearer"} if exc.status == 401 else exc.headers


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refusal)
    async def rejected(request: Request, exc: Refusal) -> JSONResponse:
        request.app.state.telemetry.rejected(exc.code)
        details = exc.details() if isinstance(exc, NotADigit) else None
        return error_response(exc.status, exc.code, exc.message, refusal_headers(exc), details)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), http_headers(request, exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", validation_message(exc))

    @app.exception_handler(ClientDisconnect)
    async def disconnected(request: Request, exc: ClientDisconnect) -> Response:
        """The client went away mid-upload: nobody reads this answer; 499 as nginx logs it."""
        log.debug("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=CLIENT_CLOSED_REQUEST)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", INTERNAL)


def protocol_error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    """The Open Inference Protocol's error: its clients know 400 for any input to change."""
    status = 400 if status in (415, 422) else status
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class ProtocolRoute(APIRoute):
    """A /v2 route: its errors in the protocol's shape (`{"error": ...}`), counted as the
    service's handlers count theirs; the service's own routes keep the service's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_in_protocol(request: Request) -> Response:
            try:
                return await handle(request)
            except Refusal as exc:
                request.app.state.telemetry.rejected(exc.code)
                return protocol_error(exc.status, exc.message, refusal_headers(exc))
            except HTTPException as exc:
                return protocol_error(exc.status_code, str(exc.detail), http_headers(request, exc))
            except RequestValidationError as exc:
                return protocol_error(422, validation_message(exc))
            except ClientDisconnect:
                raise
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return protocol_error(500, INTERNAL)

        return handle_in_protocol
