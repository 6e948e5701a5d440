"""One error shape for every HTTP error of the API, documented in its schema.

Every 4xx/5xx body is an `ErrorResponse`: `message`, one sentence saying what went wrong and what to do, and
`detail`, the individual problems (for invalid input one per field, as FastAPI lists them; otherwise one).
Clients parse one shape; people read `message`. Tracebacks never leave the server log.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from index.store import IndexUnavailableError

log = logging.getLogger(__name__)


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(default_factory=list, description="where: e.g. ['body', 'question']; [] if none")
    msg: str
    type: str = Field(description="a machine-readable kind, e.g. value_error, not_found, method_not_allowed")


class ErrorResponse(BaseModel):
    message: str = Field(description="what went wrong and what to do, in one sentence")
    detail: list[ErrorItem]


def _documented(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _documented("a body that is not readable as the declared content type"),
    422: _documented("invalid input; `message` says what to fix, `detail` lists each field's problem"),
    500: _documented("server-side failure (details in the server log)"),
    503: _documented("no index yet (run `cited ingest`), or the Chroma server cannot be reached"),
}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _documented("no or wrong HTTP Basic credentials (CITED_AUTH)"),
    429: _documented("too many failed logins from this address; see Retry-After"),
}


def error_body(code: int, message: str, detail: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The body of an error response; a plain error gets one `detail` item of its status's kind."""
    kind = HTTPStatus(code).phrase.lower().replace(" ", "_").replace("-", "_")
    items = detail if detail is not None else [{"loc": [], "msg": message, "type": kind}]
    return ErrorResponse(message=message, detail=[ErrorItem.model_validate(i) for i in items]).model_dump()


@contextlib.contextmanager
def errors_as_http() -> Iterator[None]:
    """Our exceptions → short HTTP errors; unexpected ones are logged with a traceback and answered 500."""
    from qa.retriever import QueryError

    try:
        yield
    except HTTPException:
        raise
    except QueryError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    except IndexUnavailableError as err:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(err)) from err
    except Exception as err:
        log.exception("request failed")
        raise HTTPException(
            status.HTTP_500_INTERNAL_SERVER_ERROR, f"internal error ({type(err).__name__}); see the server log"
        ) from err


BODY_PROBLEMS = {  # FastAPI's terse messages for a body that is not a JSON object at all
    "json_invalid": "the body is not valid JSON (error at character {at}); send a JSON object",
    "model_attributes_type": "the body must be a JSON object",
}


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors:
        if error.get("type") in BODY_PROBLEMS:
            parts.append(BODY_PROBLEMS[error["type"]].format(at=error["loc"][-1]))
            continue
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        msg = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "invalid")), "type": str(e.get("type", "invalid"))}
        for e in exc.errors()
    ]
    body = error_body(status.HTTP_422_UNPROCESSABLE_CONTENT, _validation_message(errors), errors)
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content=body)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return JSONResponse(status_code=exc.status_code, content=error_body(exc.status_code, message), headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)


class _Refuse:
    """An ASGI endpoint that answers every method with one HTTP error (a Starlette `Route` whose endpoint is a
    class matches all methods, QUERY and TRACE included; a function endpoint would match GET only)."""

    def __init__(self, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        self.code, self.message, self.headers = code, message, headers

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path, method = scope["path"], scope["method"]
        raise HTTPException(self.code, self.message.format(path=path, method=method), headers=self.headers)


def close_api_paths(app: FastAPI, router: APIRouter) -> None:
    """Answer the API's paths the way a REST client expects, even with the chat mounted at "/" (which would
    otherwise take every request no API route fully matches): a declared path with any other method is 405
    with `Allow`, and an unknown path under the router's prefix is 404 — both in the one error shape. They
    reveal nothing behind a login: the paths are the documented ones, and nothing runs."""
    allowed: dict[str, set[str]] = {}
    for route in router.routes:
        if isinstance(route, APIRoute):
            allowed.setdefault(route.path, set()).update(route.methods or ())
    for path, methods in allowed.items():
        allow = ", ".join(sorted(methods))
        message = "{method} is not allowed on {path}; use " + allow
        refuse = _Refuse(status.HTTP_405_METHOD_NOT_ALLOWED, message, {"Allow": allow})
        app.router.routes.append(Route(path, refuse))
    not_found = _Refuse(status.HTTP_404_NOT_FOUND, "no such endpoint {path}; see /docs")
    app.router.routes.append(Route(f"{router.prefix}/{{rest:path}}", not_found))
