"""Errors a web request can end in; each carries the HTTP status the app answers with."""

from bot.errors import JJQAError


class RequestRejected(JJQAError):
    """A request the app refuses; `status` is the HTTP status code it is answered with."""

    status = 400

    def __init__(self, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class UnsafeXML(RequestRejected):
    """The XML body is malformed, too large, or declares a DOCTYPE or entities."""

    status = 400


class Unauthorized(RequestRejected):
    """The API token is missing or wrong."""

    status = 401


class BadSignature(RequestRejected):
    """A WeChat or WeCom signature does not match the configured token."""

    status = 403


class QuestionTooLong(RequestRejected):
    """The question is longer than `max_question_chars`."""

    status = 422


class BodyTooLarge(RequestRejected):
    """The request body is longer than `max_body_bytes`."""

    status = 413


class RateLimited(RequestRejected):
    """The client sent more requests than `rate_limit_per_minute` allows."""

    status = 429


class TooManyAtOnce(RequestRejected):
    """The client already has `max_inflight_per_client` questions being answered."""

    status = 429


class AnswerTimeout(RequestRejected):
    """No answer within the request deadline (`api_timeout_s`)."""

    status = 503


class ClientGone(RequestRejected):
    """The client disconnected before its answer was ready; nothing is sent."""

    status = 499


class ServerBusy(RequestRejected):
    """More requests are being handled than `api_max_concurrency` allows."""

    status = 503
