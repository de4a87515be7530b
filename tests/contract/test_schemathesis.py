"""Schemathesis against every operation of the committed contract, in-process, all checks.

Runs as an admin (the widest view, so generated ids reach real handlers) over a small seeded
organisation; the authorization matrix covers the other roles. The committed document is the
one tested: tests/core prove it equals what the app serves."""

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.factories import Factory

CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


class CurrentApp:
    """The schema is loaded at import; the app under test is a session fixture. This ASGI
    shim lets every generated case (negative ones included) reach the fixture's app."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


current = CurrentApp()
# JSON lines (imports) are text on the wire, declared as a string body: sent as text/plain is.
schemathesis.serializer.alias(["application/x-ndjson", "application/jsonl"], "text/plain")
schema = schemathesis.openapi.from_path(str(CONTRACT))
schema.app = current


@pytest.fixture
def admin_headers(app: Any, make: Factory) -> dict[str, str]:
    authority = make.authority()
    cluster = make.cluster(authority)
    make.establishment(authority, cluster_id=cluster.id)
    return make.headers(make.admin())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_honours_the_contract(case: Any, app: Any,
                                              admin_headers: dict[str, str]) -> None:
    current.app = app
    case.call_and_validate(headers=admin_headers)
