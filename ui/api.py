"""The REST API: `POST /api/retrieve`, `POST /api/ask`, `GET /api/health`, documented at `/docs`.

A thin HTTP skin over the same `Assistant` the chat uses (see `CitedService`): one Assistant per answerer
and one Retriever per app, created on the first request that needs them and then shared by every request, so
the embedding model loads once. Endpoints are plain `def`s on purpose: FastAPI runs them in its threadpool,
so a slow answer never blocks the event loop that also serves the Gradio chat.

Errors share one documented shape (`ui.api_errors.ErrorResponse`), never tracebacks: invalid input → 422, no
index yet → 503 (telling to run `cited ingest`), a declared path with another method → 405, anything else → 500
(the traceback goes to the server log only).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from index.limits import (
    FILTER_KEYS,
    MAX_HISTORY_TURNS,
    MAX_K,
    MAX_QUERY_CHARS,
    MAX_QUESTION_CHARS,
    is_blank,
    visible_pattern,
)
from index.models import Answer, Passage
from index.settings import Settings
from ui.api_errors import AUTH_ERRORS, ERRORS, close_api_paths, errors_as_http, install_error_handlers

if TYPE_CHECKING:
    from qa.assistant import Assistant
    from qa.retriever import Retriever

log = logging.getLogger(__name__)

EXAMPLE_QUESTION = "Who retook eastern Mosul?"


# --- the shared service -------------------------------------------------------------------------------------
class CitedService:
    """The one place the API and the chat get their Assistant from (thread-safe, lazy, shared)."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._assistants: dict[str, Assistant] = {}
        if assistant is not None:
            self._assistants[assistant.settings.answerer] = assistant

    @property
    def answerers(self) -> list[str]:
        """What the chat may choose from: always the offline extractive answerer, plus the configured LLM."""
        names = ["extractive"]
        if self.settings.answerer != "extractive":
            names.append(self.settings.answerer)
        return names

    def assistant(self, answerer: str | None = None) -> Assistant:
        name = answerer or self.settings.answerer
        found = self._assistants.get(name)
        if found is not None:
            return found
        if name not in self.answerers:
            from qa.retriever import QueryError

            raise QueryError(f"unknown answerer {name!r}; choose one of {', '.join(self.answerers)}")
        with self._lock:
            found = self._assistants.get(name)
            if found is None:
                from qa.assistant import Assistant

                shared = next(iter(self._assistants.values()), None)
                found = Assistant.from_defaults(
                    self.settings, answerer=name, retriever=shared.retriever if shared else None
                )
                self._assistants[name] = found
            return found

    def retriever(self) -> Retriever:
        return self.assistant().retriever

    def answerer_name(self, answerer: str | None = None) -> str:
        return self.assistant(answerer).answerer_name

    def warm(self) -> None:
        """Load the model and open the index now, so the first real question does not pay for it."""
        try:
            self.retriever().retrieve(EXAMPLE_QUESTION, 1)
        except Exception as err:  # warming is a courtesy; the request that needs it reports the real error
            log.warning("warm-up failed: %s", err)


# --- request and response models ----------------------------------------------------------------------------
def _not_blank(value: str, what: str) -> str:
    if is_blank(value):
        raise ValueError(f"the {what} is empty (or only invisible characters); send a non-blank {what}")
    return value.strip()


def _day_text(value: Any) -> Any:
    """A day arrives as "2024-03-01"; pydantic would also read a number as a Unix time, which no caller means."""
    if not isinstance(value, (str, date)):
        raise ValueError("a day is written as a string such as 2024-03-01")
    return value


Day = Annotated[date, BeforeValidator(_day_text)]
NonEmpty = Annotated[str, Field(min_length=1)]
FilterValue = NonEmpty | Annotated[list[NonEmpty], Field(min_length=1)]  # the retriever's rule, in the schema


class Filters(BaseModel):
    """Restrict retrieval to some articles: a value or a list of values per key."""

    model_config = ConfigDict(extra="forbid")

    doc_id: FilterValue | None = Field(default=None, description="article id(s), e.g. 001_6433af30963515e2")
    source: FilterValue | None = Field(default=None, description='outlet(s), e.g. "Alwaght"')
    since: Day | None = Field(default=None, description="articles published on or after this day (undated: out)")
    until: Day | None = Field(default=None, description="articles published on or before this day (undated: out)")

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(FILTER_KEYS))
            if unknown:
                raise ValueError(f"unknown filter {unknown[0]!r}; filters are {', '.join(FILTER_KEYS)}")
        return data

    @model_validator(mode="after")
    def _range(self) -> Filters:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"the date range is empty: since {self.since} is after until {self.until}")
        return self

    def as_dict(self) -> dict[str, Any] | None:
        out = {k: v for k, v in self.model_dump().items() if v is not None}
        return out or None


class RetrieveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"query": EXAMPLE_QUESTION, "k": 3}]})

    query: str = Field(
        max_length=MAX_QUERY_CHARS,
        description="what to search for (not blank)",
        json_schema_extra=lambda schema: schema.update(pattern=visible_pattern()),
    )
    k: int | None = Field(default=None, ge=1, le=MAX_K, description="how many passages; default: the top_k setting")
    filters: Filters | None = None
    as_of: Day | None = Field(
        default=None,
        description='the day "this week", "yesterday" or "in March" are counted from; default: the newest article '
        "date in the index (today when none has a date)",
    )

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return _not_blank(value, "query")


class RetrieveResponse(BaseModel):
    query: str
    k: int
    passages: list[Passage]


class AskRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "When did they do it?", "history": [EXAMPLE_QUESTION]},
                {"question": EXAMPLE_QUESTION},
            ]
        },
    )

    question: str = Field(
        max_length=MAX_QUESTION_CHARS,
        json_schema_extra=lambda schema: schema.update(pattern=visible_pattern()),
        description="the question (not blank); beyond the max_question_chars setting it is truncated, with a notice",
    )
    history: list[str] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="earlier questions of the same conversation, oldest first (for follow-ups such as 'When?')",
    )
    k: int | None = Field(default=None, ge=1, le=MAX_K, description="passages to read; default: the top_k setting")
    filters: Filters | None = None
    as_of: Day | None = Field(
        default=None,
        description='the day "this week", "yesterday" or "in March" are counted from; default: the newest article '
        "date in the index (today when none has a date)",
    )

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return _not_blank(value, "question")

    @field_validator("history")
    @classmethod
    def _history(cls, value: list[str]) -> list[str]:
        if any(len(item) > MAX_QUESTION_CHARS for item in value):
            raise ValueError(f"a history item is longer than {MAX_QUESTION_CHARS:,} characters")
        return [item for item in value if not is_blank(item)]  # an empty earlier turn carries nothing


class Health(BaseModel):
    status: str = Field(description='"ok", or "empty" when nothing is ingested yet')
    documents: int
    paragraphs: int = 0
    answerer: str
    index_version: str | None = None
    message: str | None = None


MAX_FAILED_LOGINS = 5  # per client address and LOGIN_WINDOW_S; then 429 until the window has passed
LOGIN_WINDOW_S = 60.0


def basic_auth_dependency(user: str, password: str) -> Any:
    """HTTP Basic auth for /api/* when the server is reachable beyond this machine; a client that keeps guessing
    wrong is refused (429) for the rest of a minute instead of being let to try as fast as it can."""
    security = HTTPBasic(realm="cited")
    failures: dict[str, list[float]] = {}
    lock = threading.Lock()

    def check(request: Request, credentials: HTTPBasicCredentials = Depends(security)) -> None:  # noqa: B008
        client = request.client.host if request.client else "?"
        now = time.monotonic()
        with lock:
            recent = [t for t in failures.get(client, []) if now - t < LOGIN_WINDOW_S]
            failures[client] = recent
            if len(recent) >= MAX_FAILED_LOGINS:
                wait = int(LOGIN_WINDOW_S - (now - recent[0])) + 1
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    f"too many failed logins from {client}; try again in {wait} s",
                    headers={"Retry-After": str(wait)},
                )
        ok_user = secrets.compare_digest(credentials.username.encode(), user.encode())
        ok_password = secrets.compare_digest(credentials.password.encode(), password.encode())
        if not (ok_user and ok_password):
            with lock:
                failures[client].append(now)
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "wrong user or password",
                headers={"WWW-Authenticate": 'Basic realm="cited"'},
            )

    return check


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """`"user:password"` → (user, password); refuses anything else, loudly."""
    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("CITED_AUTH must look like user:password (both non-empty)")
    return user, password


# --- the app ------------------------------------------------------------------------------------------------
def create_app(settings: Settings, assistant: Assistant | None = None, auth: tuple[str, str] | None = None) -> FastAPI:
    """The API alone (`ui.server.build_server` adds the chat). `assistant` lets tests inject one; `auth`
    protects /api/* with HTTP Basic."""
    service = CitedService(settings, assistant)
    app = FastAPI(
        title="cited",
        summary="Answers from news articles, each claim cited to an exact source paragraph.",
        version="0.1.0",
        docs_url=None if auth else "/docs",  # behind a login, the schema and its page want the login too
        redoc_url=None,
        openapi_url=None if auth else "/openapi.json",
    )
    app.state.service = service
    app.state.settings = settings
    install_error_handlers(app)
    dependencies = [Depends(basic_auth_dependency(*auth))] if auth else []
    router = _api_router(service, dependencies)
    app.include_router(router)
    close_api_paths(app, router)
    if auth:
        _protected_docs(app, dependencies)
    return app


def _api_router(service: CitedService, dependencies: list[Any]) -> APIRouter:
    """The three endpoints under /api, each behind `dependencies` (the login, when there is one)."""
    settings = service.settings
    router = APIRouter(  # the 401/429 answers are documented only where there is a login to fail
        prefix="/api", tags=["cited"], dependencies=dependencies, responses=AUTH_ERRORS if dependencies else None
    )

    @router.post("/retrieve", response_model=RetrieveResponse, responses=ERRORS)
    def retrieve(body: RetrieveRequest) -> RetrieveResponse:
        """Ranked passages (paragraphs with their scores) for a query, best first."""
        k = body.k or settings.top_k
        with errors_as_http():
            filters = body.filters.as_dict() if body.filters else None
            passages = service.retriever().retrieve(body.query, k, filters, body.as_of)
        return RetrieveResponse(query=body.query, k=k, passages=passages)

    @router.post("/ask", response_model=Answer, responses=ERRORS)
    def ask(body: AskRequest) -> Answer:
        """An answer whose every claim cites [n] a verbatim quote of a source paragraph, or a refusal."""
        with errors_as_http():
            return service.assistant().ask(
                body.question, list(body.history), body.k, body.filters.as_dict() if body.filters else None, body.as_of
            )

    @router.get("/health", response_model=Health, responses=ERRORS)
    def health() -> Health:
        """Is there an index, how big is it, and which answerer answers."""
        from index.status import index_status

        with errors_as_http():
            return _health(index_status(settings), service)

    return router


def _health(info: dict[str, Any], service: CitedService) -> Health:
    """The health report from `index.status.index_status` output; an empty index says how to fill it."""
    documents = int(info["documents"])
    return Health(
        status="ok" if documents else "empty",
        documents=documents,
        paragraphs=int(info["paragraphs"]),
        answerer=service.answerer_name(),
        index_version=info["version"],
        message=None if documents else f"nothing is ingested yet; run `cited ingest {service.settings.articles_dir}`",
    )


def _protected_docs(app: FastAPI, dependencies: list[Any]) -> None:
    """/openapi.json and /docs behind the same HTTP Basic login as /api/*."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse, JSONResponse

    @app.get("/openapi.json", include_in_schema=False, dependencies=dependencies)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=dependencies)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="cited")


def service_of(app: FastAPI) -> CitedService:
    service = app.state.service
    assert isinstance(service, CitedService)
    return service
