"""The FastAPI app: POST /api/ask, GET /healthz, /wechat and /wecom; `serve` runs it."""

from __future__ import annotations

import hmac
import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from bot.errors import JJQAError
from bot.settings import Settings
from bot.web.asking import AskPool
from bot.web.bodylimit import BodyLimit
from bot.web.errors import QuestionTooLong, RequestRejected, Unauthorized
from bot.web.ratelimit import RateLimiter
from bot.web.responder import Responder
from bot.web.wechat import WeChatChannel
from bot.web.wecom import WeComChannel

log = logging.getLogger(__name__)

MAX_HISTORY_TURNS = 20


class AskRequest(BaseModel):
    """A question, with earlier turns of the conversation for follow-ups."""

    question: str = Field(description="The question, at most `max_question_chars` characters.")
    history: list[tuple[str, str]] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier [question, answer] pairs, oldest first.",
    )


class CitationOut(BaseModel):
    n: int = Field(description="The number used as [n] in the answer.")
    source: str
    section: str | None
    quote: str = Field(description="Equals the source text from `start` to `end`.")
    start: int
    end: int


class AskResponse(BaseModel):
    """The answer with `[n]` markers, what kind of reply it is (answer, refusal, smalltalk or
    unclear), whether the bot refused, and the quotes it cites."""

    answer: str
    kind: str
    refused: bool
    citations: list[CitationOut]
    timings_ms: dict[str, float]


class Health(BaseModel):
    """Whether the index is ready and what it holds."""

    model_config = ConfigDict(extra="allow")
    ready: bool
    documents: int = 0
    chunks: int = 0
    model: str | None = None
    built_at: str | None = None
    store: str | None = None


class ErrorOut(BaseModel):
    error: str


ERRORS = {
    code: {"model": ErrorOut, "description": text}
    for code, text in {
        401: "Missing or wrong bearer token",
        413: "Request body too large",
        422: "Invalid request or question too long",
        429: "Rate limit reached; see Retry-After",
        503: "The index or the model is not available",
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

    @app.exception_handler(JJQAError)
    async def unavailable(request: Request, exc: JJQAError):
        log.warning("request failed: %s", exc)
        return _error(503, str(exc))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return _error(500, "internal error; the server log has the details")


def create_app(bot, settings: Settings, *, pool: AskPool | None = None) -> FastAPI:
    """The web app answering with a finished `bot`; channels are on when their token is set."""
    pool = pool or AskPool(bot)
    limiter = RateLimiter(settings.rate_limit_per_minute)
    bearer = HTTPBearer(auto_error=False, description="JJQA_API_TOKEN, when the server sets one")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        pool.close()

    app = FastAPI(
        title="江津问答 API",
        description="Grounded, cited answers about the documents in docs/.",
        version="1.0",
        lifespan=lifespan,
    )
    app.state.bot, app.state.pool = bot, pool
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, xml_prefixes=("/we",))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    _install_error_handlers(app)

    def rate_limit(request: Request) -> None:
        limiter.check(request.client.host if request.client else "unknown")

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
    async def ask(body: AskRequest) -> dict:
        if len(body.question) > settings.max_question_chars:
            raise QuestionTooLong(
                f"question is longer than {settings.max_question_chars} characters"
            )
        answer = await pool.ask(body.question, [tuple(turn) for turn in body.history])
        return answer.to_dict()

    @app.get("/healthz", response_model=Health, responses={503: {"model": Health}})
    async def healthz() -> JSONResponse:
        """200 when the index is ready to answer, 503 while it is not."""
        status = await run_in_threadpool(bot.status)  # may ask the Chroma server
        return JSONResponse(status, status_code=200 if status.get("ready") else 503)

    responder_args = {"max_question_chars": settings.max_question_chars}
    if settings.wechat_token:
        channel = WeChatChannel(settings, Responder(pool, **responder_args))
        app.include_router(channel.router())
    if settings.wecom_token:
        channel = WeComChannel(settings, Responder(pool, **responder_args))
        app.include_router(channel.router())
    return app


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Build the bot and the app (a bad channel setting fails here, at once), load the models and
    the index, then serve with uvicorn until stopped. Proxy headers are trusted from the addresses
    in FORWARDED_ALLOW_IPS (default 127.0.0.1), so the rate limit sees the real client."""
    import uvicorn

    from bot import Bot

    bot = Bot(settings)
    app = create_app(bot, settings)
    log.info("loading the models and the index")
    bot.warm()
    uvicorn.run(
        app,
        host=host or settings.api_host,
        port=port or settings.api_port,
        proxy_headers=True,
        log_level="info",
    )
