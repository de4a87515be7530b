"""Liveness, readiness and metrics, for load balancers and Prometheus: no user token; metrics
take the scraper's own token where one is set (always, in production)."""

import hmac

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from app.core.db import database_ready
from app.core.errors import NotFound, Unauthorized, problems
from app.core.observability import record_pool

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok", "detail": "ok"}]})
    status: str
    detail: str = ""


@router.get("/healthz", operation_id="getHealth", summary="The process is alive",
            response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", operation_id="getReadiness",
            summary="The database is reachable and migrations are at head",
            response_model=Health, responses={503: {
                "model": Health, "description": "Not ready", "content": {"application/json": {
                    "example": {"status": "unavailable",
                                "detail": "database unreachable: OperationalError"}}}}})
async def readyz(request: Request) -> JSONResponse:
    name_revisions = request.app.state.settings.environment != "production"
    ready, detail = await run_in_threadpool(
        lambda: database_ready(request.app.state.engine, name_revisions=name_revisions))
    body = Health(status="ok" if ready else "unavailable", detail=detail)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


METRICS_BEARER = HTTPBearer(
    scheme_name="MetricsToken", auto_error=False,
    description="The scraper's own token (setting SIH_METRICS_TOKEN), not a user's or a "
                "client's access token. Without the setting /metrics is open, except in "
                "production, where it is not served at all.")


async def metrics_caller(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(
        METRICS_BEARER)) -> None:
    settings = request.app.state.settings
    if settings.metrics_token is None:
        if settings.environment == "production":
            raise NotFound("Not found.")
        return
    expected = settings.metrics_token.get_secret_value().encode()
    presented = credentials.credentials.encode() if credentials is not None else b""
    if not hmac.compare_digest(presented, expected):
        raise Unauthorized("The metrics need the metrics token: Authorization: Bearer <token>.")


@router.get("/metrics", operation_id="getMetrics", summary="Prometheus metrics",
            description="Request counts and latencies by route template, and the pool's gauges. "
                        "With the setting SIH_METRICS_TOKEN, only for `Authorization: Bearer` "
                        "that token (401 otherwise); in production without it, 404.",
            response_class=Response, dependencies=[Depends(metrics_caller)],
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}, **problems(401, 404)})
def metrics(request: Request) -> Response:
    record_pool(request.app.state.engine)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
