"""create_app(): settings, routers, middleware, exception handlers. Nothing else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlmodel import Session

from app import ops
from app.assurance.router import router as assurance_router
from app.assurance.vse.router import router as vse_router
from app.core.config import Settings, get_settings
from app.core.cors import ProblemCORSMiddleware
from app.core.db import SessionGate, make_engine, worker_threads_for
from app.core.docs import install_docs
from app.core.errors import PROBLEM_MEDIA_TYPE, install_error_handlers
from app.core.idempotency import IdempotencyMiddleware
from app.core.observability import RequestContextMiddleware, configure_logging
from app.core.openapi_contract import finish_contract
from app.core.openapi_links import add_links
from app.core.pagination import Paginator
from app.core.reads import make_reads
from app.core.request_body import BodyLimitMiddleware
from app.core.security import KeyRing
from app.frameworks.router import router as frameworks_router
from app.identity.deps import idempotency_caller
from app.identity.rate_limit_headers import RateLimitHeadersMiddleware
from app.identity.request_limits import PrincipalLimits
from app.identity.router import auth_router
from app.identity.router import router as identity_router
from app.insight import import_kind as _critical_indicator_values  # noqa: F401 - registers its kind
from app.insight.router import router as insight_router
from app.integration.imports.jobs import forget_dead_spools
from app.integration.imports.limits import ImportSlots
from app.integration.imports.router import router as import_router
from app.integration.router import router as integration_router
from app.learning.clpl.router import router as clpl_router
from app.learning.trios.router import router as trio_router
from app.organisations.router import router as organisations_router
from app.performance.router import router as performance_router
from app.planning.router import router as planning_router

API_PREFIX = "/api/v1"
DESCRIPTION = """The School Improvement Hub: establishments, improvement plans, validated
self-evaluation, trios and CLPL for Scottish local authorities, their headteachers and the
Regional Improvement Collaboratives.

Errors are RFC 9457 `application/problem+json`. Every list answers `{items, next_cursor}`; a
cursor is good only under the filters that made it (422 otherwise, as for any bad query
parameter). Every single resource carries an `ETag`; `PATCH`/`PUT` of an existing resource and
`DELETE` of one need `If-Match`."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if app.state.settings.environment == "production":
        from app.demo import demo_users_present

        with Session(app.state.engine) as session:
            if demo_users_present(session):
                raise RuntimeError("Refusing to start in production: demo users exist.")
    forget_dead_spools(app.state.settings.import_spool_dir)  # left by a process that died
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = max(limiter.total_tokens, worker_threads_for(app.state.session_gate))
    yield
    await app.state.reads.close()
    app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    app = FastAPI(
        lifespan=lifespan,
        title="School Improvement Hub",
        version="3.4.0",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # Swagger UI at /docs and ReDoc at /redoc without a CDN: install_docs
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.reads = make_reads(app.state.engine, settings)
    app.state.session_gate = SessionGate(settings.db_pool_size)
    app.state.import_slots = ImportSlots.from_settings(settings)
    app.state.keys = KeyRing.from_settings(settings)
    app.state.paginator = Paginator(settings.secret_key)
    app.state.principal_limits = PrincipalLimits(settings)

    install_error_handlers(app)
    # Routes are matched one by one in this order (the chosen router's twice), so the
    # hottest reads, the establishments, come first. No two routers' paths overlap.
    app.include_router(organisations_router, prefix=API_PREFIX)
    app.include_router(ops.router)
    app.include_router(auth_router, prefix=API_PREFIX)
    for router in (identity_router, frameworks_router, planning_router,
                   assurance_router, vse_router, integration_router, import_router):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(trio_router, prefix=API_PREFIX)
    app.include_router(clpl_router, prefix=API_PREFIX)
    app.include_router(insight_router, prefix=API_PREFIX)
    app.include_router(performance_router, prefix=API_PREFIX)
    if settings.serves_docs:
        install_docs(app)

    # Inside the body cap: it reads whole bodies. The token endpoints are never remembered:
    # their answers are tokens, and a retry must be a new grant or revocation.
    app.add_middleware(IdempotencyMiddleware, caller=idempotency_caller,
                       never_remembered=[f"{API_PREFIX}/auth/"])
    app.add_middleware(RateLimitHeadersMiddleware)  # replays counted inside it carry them too
    app.add_middleware(BodyLimitMiddleware, max_body_size=settings.max_json_body_bytes,
                       limits=[(f"{API_PREFIX}/imports/", settings.max_import_body_bytes)])
    if settings.cors_origins:  # outside the size limit, so browsers can read a 413
        app.add_middleware(
            ProblemCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=settings.cors_allow_credentials,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match",
                           "Idempotency-Key", "X-Request-ID"],
            expose_headers=["ETag", "Location", "X-Request-ID", "Retry-After",
                            "RateLimit", "RateLimit-Policy"],
        )
    app.add_middleware(RequestContextMiddleware)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The contract, with every error answer served as application/problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(title=app.title, version=app.version, description=app.description,
                           routes=app.routes, servers=[{"url": "/"}])
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            for code, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if code.isdigit() and int(code) >= 400 and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    add_links(document)  # stateful tests and clients follow create -> get/update/delete
    app.openapi_schema = finish_contract(document)
    return document


app = create_app()
