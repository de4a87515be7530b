"""Liveness, readiness and metrics: unauthenticated, for load balancers and Prometheus."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from app.core.db import database_ready
from app.core.errors import problems
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
    ready, detail = await run_in_threadpool(database_ready, request.app.state.engine)
    body = Health(status="ok" if ready else "unavailable", detail=detail)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", operation_id="getMetrics", summary="Prometheus metrics",
            response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}, **problems()})
def metrics(request: Request) -> Response:
    record_pool(request.app.state.engine)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
