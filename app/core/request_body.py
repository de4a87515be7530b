"""Request bodies: the size cap every request keeps (413 as problem+json), and a large body
read as it arrives."""

from collections.abc import Iterator, Sequence

from anyio import from_thread
from fastapi import Request
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response


class BodyTooLarge(StarletteHTTPException):
    """The cap's own 413, told apart from any other HTTPException that escapes the app."""


def body_chunks(request: Request) -> Iterator[bytes]:
    """The request body as it arrives, for a sync endpoint (which runs in the threadpool):
    each chunk is awaited on the event loop in turn, so no more than one is held."""
    stream = request.stream()

    async def next_chunk() -> bytes | None:
        try:
            return await stream.__anext__()
        except StopAsyncIteration:
            return None

    while (chunk := from_thread.run(next_chunk)) is not None:
        if chunk:
            yield chunk


class BodyLimitMiddleware:
    """Caps request bodies and answers 413 as problem+json.

    `max_body_size` holds for every request (JSON bodies); `limits` gives paths that stream
    larger bodies (imports) their own cap, as (path prefix, bytes) pairs.

    FastAPI's own `max_body_size` answers a declared oversize Content-Length with Starlette's
    plain-text 413, overriding whatever the app says; this one keeps the error contract."""

    def __init__(self, app: ASGIApp, max_body_size: int,
                 limits: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.limits = tuple(limits)

    def cap_for(self, path: str) -> int:
        for prefix, cap in self.limits:
            if path.startswith(prefix):
                return cap
        return self.max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            response = problem_response(
                Request(scope), 413, "Request body too large", "body-too-large",
                self._detail(cap), headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    # FastAPI re-raises HTTPException from body reading: the handler in
                    # errors.py turns it into the problem+json answer.
                    raise BodyTooLarge(413, self._detail(cap))
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as exc:
            # A body read outside the routes (the idempotency middleware reads it whole
            # before any route runs) is beyond the error handlers: answer here, not 500.
            if started:
                raise
            await problem_response(Request(scope), 413, "Request body too large",
                                   "body-too-large", str(exc.detail),
                                   headers={"Connection": "close"})(scope, receive, send)

    @staticmethod
    def _detail(cap: int) -> str:
        return f"The body is larger than {cap} bytes."
