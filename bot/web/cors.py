"""CORS for browsers on other origins, with refused preflights answered as JSON like every error."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response


class JSONCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware; a refused preflight is `{"error": ...}` instead of text."""

    def preflight_response(self, request_headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reason = response.body.decode("utf-8", "replace").strip() or "CORS request refused"
        headers = {k: v for k, v in response.headers.items() if k.startswith("access-control-")}
        return JSONResponse({"error": reason}, status_code=response.status_code, headers=headers)
