"""CORS, with a refused preflight answered as problem+json like every other error."""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from app.core.errors import problem_response


class ProblemCORSMiddleware(CORSMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await super().__call__(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "origin" in headers and "access-control-request-method" in headers:
            response = self.preflight_response(request_headers=headers)
            if response.status_code == 400:
                # Starlette says so in text/plain, and still lists what it would have allowed.
                response = problem_response(
                    Request(scope), 400, "Cross-origin request refused", "cors-refused",
                    detail=bytes(response.body).decode(), headers={"Vary": "Origin"})
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
