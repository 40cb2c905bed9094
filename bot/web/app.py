"""The FastAPI app: POST /api/ask, GET|HEAD /healthz, /wechat, /wecom and /admin."""

from __future__ import annotations

import asyncio
import hmac
import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from bot.errors import JJQAError, StoreUnavailable
from bot.settings import Settings
from bot.web.asking import AskPool
from bot.web.clients import ClientResolver
from bot.web.cors import JSONCORSMiddleware
from bot.web.errors import QuestionTooLong, RequestRejected, Unauthorized
from bot.web.health import StoreHealth
from bot.web.limits import RequestLimits
from bot.web.ratelimit import RateLimiter
from bot.web.responder import Responder
from bot.web.wechat import WeChatChannel
from bot.web.wecom import WeComChannel

log = logging.getLogger(__name__)

STORE_RETRY_AFTER_S = 2
MULTIPART_OVERHEAD = 64 * 1024  # an upload's body: the file plus the multipart headers


class AskRequest(BaseModel):
    """A question, with earlier turns of the conversation for follow-ups."""

    question: str = Field(description="The question, at most `max_question_chars` characters.")
    history: list[tuple[str, str]] = Field(
        default_factory=list,
        description="Earlier [question, answer] pairs, oldest first. Only the last "
        "`max_history_turns` reach the bot, each entry cut to `max_history_chars` characters.",
    )


class CitationOut(BaseModel):
    n: int = Field(description="The number used as [n] in the answer.")
    source: str
    section: str | None
    quote: str = Field(
        description="Equals the document's text from `start` to `end` (for a web page, PDF or "
        "Word file, the text the index extracted from it; see GET /admin/documents)."
    )
    start: int
    end: int
    page: int | None = Field(None, description="The PDF page the quote starts on.")


class AskResponse(BaseModel):
    """The answer with `[n]` markers, what kind of reply it is (answer, refusal, smalltalk or
    unclear), whether the bot refused, and the quotes it cites."""

    answer: str
    kind: str
    refused: bool
    citations: list[CitationOut]
    timings_ms: dict[str, float]


class Health(BaseModel):
    """Whether the index is ready and its store answers, what it holds, and why not when not."""

    model_config = ConfigDict(extra="allow")
    ready: bool
    documents: int = 0
    chunks: int = 0
    model: str | None = None
    built_at: str | None = None
    store: str | None = None
    reason: str | None = None


class ErrorOut(BaseModel):
    error: str


ERRORS = {
    code: {"model": ErrorOut, "description": text}
    for code, text in {
        401: "Missing or wrong bearer token",
        413: "Request body too large",
        422: "Invalid request or question too long",
        429: "Rate limit reached, or too many of this client's questions at once; see Retry-After",
        503: "The index store is unavailable, the server is busy or the answer missed its "
        "deadline; see Retry-After",
    }.items()
}


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    """Every error becomes `{"error": message}`; no traceback reaches a client."""

    @app.exception_handler(RequestRejected)
    async def rejected(request: Request, exc: RequestRejected):
        return _error(exc.status, exc.message, exc.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e['msg']}"
            for e in exc.errors()
        ]
        return _error(422, "; ".join(problems) or "invalid request")

    @app.exception_handler(StoreUnavailable)
    async def store_down(request: Request, exc: StoreUnavailable):
        log.warning("index store unavailable: %s", exc)
        return _error(503, str(exc), {"Retry-After": str(STORE_RETRY_AFTER_S)})

    @app.exception_handler(JJQAError)
    async def unavailable(request: Request, exc: JJQAError):
        log.warning("request failed: %s", exc)
        return _error(503, str(exc))

    @app.exception_handler(OSError)
    async def disk(request: Request, exc: OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        log.error("cannot use the data directory%s: %s", where, exc.strerror or exc)
        return _error(503, "the server cannot use its data directory; the server log says why")

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return _error(500, "internal error; the server log has the details")


def bounded_history(
    history: list[tuple[str, str]], max_turns: int, max_chars: int
) -> list[tuple[str, str]]:
    """The last `max_turns` (question, answer) pairs, each text cut to `max_chars` characters."""
    recent = history[-max_turns:] if max_turns > 0 else []
    return [(q[:max_chars], a[:max_chars]) for q, a in recent]


async def _disconnected(request: Request) -> None:
    """Return once the client has closed the connection (the body was already read)."""
    while (await request.receive())["type"] != "http.disconnect":
        await asyncio.sleep(0.05)


def create_app(bot, settings: Settings, *, pool: AskPool | None = None) -> FastAPI:
    """The web app answering with a finished `bot`; channels are on when their token is set."""
    pool = pool or AskPool(bot, per_client=settings.max_inflight_per_client)
    # Probe the store the bot reads, which a caller may have configured apart from the app.
    health = StoreHealth(getattr(bot, "settings", None) or settings, bot)
    clients = ClientResolver(settings.trusted_proxies)
    limiter = RateLimiter(settings.rate_limit_per_minute)
    bearer = HTTPBearer(auto_error=False, description="JJQA_API_TOKEN, when the server sets one")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        pool.close()

    docs = settings.api_docs
    app = FastAPI(
        title=f"{settings.profile().name} API",
        description="Grounded, cited answers about the documents in docs/.",
        version="1.0",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.bot, app.state.pool, app.state.health = bot, pool, health
    app.add_middleware(
        RequestLimits,
        max_bytes=settings.max_body_bytes,
        body_timeout_s=settings.api_body_timeout_s,
        max_headers=settings.api_max_headers,
        max_header_bytes=settings.api_max_header_bytes,
        max_concurrency=settings.api_max_concurrency,
        xml_prefixes=("/we",),
        upload_prefixes=("/admin/documents",) if settings.admin_token else (),
        max_upload_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD,
    )
    if settings.cors_origins:
        app.add_middleware(
            JSONCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    _install_error_handlers(app)

    def client_of(request: Request) -> str:
        peer = request.client.host if request.client else None
        return clients.key(peer, request.headers.get("x-forwarded-for"))

    def rate_limit(request: Request) -> None:
        limiter.check(client_of(request))

    def require_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if not settings.api_token:
            return
        given = credentials.credentials.encode("utf-8") if credentials else b""
        if not hmac.compare_digest(given, settings.api_token.encode("utf-8")):
            raise Unauthorized("missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})

    @app.post(
        "/api/ask",
        response_model=AskResponse,
        responses=ERRORS,
        dependencies=[Depends(rate_limit), Depends(require_token)],
        summary="Ask a question about the documents",
    )
    async def ask(request: Request, body: AskRequest) -> dict:
        if len(body.question) > settings.max_question_chars:
            raise QuestionTooLong(
                f"question is longer than {settings.max_question_chars} characters"
            )
        health.raise_if_down()
        history = bounded_history(
            body.history, settings.max_history_turns, settings.max_history_chars
        )
        try:
            answer = await pool.ask(
                body.question,
                history,
                client=client_of(request),
                deadline_s=settings.api_timeout_s,
                gone=lambda: _disconnected(request),
            )
        except StoreUnavailable as e:
            health.failed(str(e))
            raise
        health.recovered()
        return answer.to_dict()

    @app.get("/healthz", response_model=Health, responses={503: {"model": Health}})
    async def healthz() -> JSONResponse:
        """200 when the index is loaded and its store answers; 503 with `reason` otherwise.
        HEAD gives the same status without the body."""
        status = await health.check()
        return JSONResponse(status, status_code=200 if status.get("ready") else 503)

    app.add_api_route("/healthz", healthz, methods=["HEAD"], include_in_schema=False)

    responder_args = {
        "max_question_chars": settings.max_question_chars,
        "limiter": RateLimiter(settings.rate_limit_per_minute, what="messages"),
        "profile": settings.profile(),
    }
    if settings.admin_token:
        from bot.web.admin import admin_router
        from index.background import Rebuilder

        store_settings = getattr(bot, "settings", None) or settings
        rebuilder = Rebuilder(store_settings, lambda: getattr(bot, "embedder", None))
        app.state.rebuilder = rebuilder
        app.include_router(admin_router(store_settings, settings.admin_token, rebuilder))
    if settings.wechat_token:
        channel = WeChatChannel(settings, Responder(pool, **responder_args))
        app.include_router(channel.router())
    if settings.wecom_token:
        channel = WeComChannel(settings, Responder(pool, **responder_args))
        app.include_router(channel.router())
    return app
