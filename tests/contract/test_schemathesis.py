"""Schemathesis against every operation of the committed contract, in-process, all checks, as
every role: the admin (the widest view, so generated ids reach real handlers) with the most
examples, and each narrower caller with fewer, enough to show it is refused cleanly (a 403 or
404 problem, never a 500 nor a leak outside the schema).

The committed document is the one tested: tests/core prove it equals what the app serves. The
stateful phase (links followed from creates) is in test_stateful.py."""

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlmodel import Session

from tests.contract.roles import ROLES, Role, callers, current, schema_for
from tests.factories import Factory


@pytest.fixture
def headers(app: Any, make: Factory, db: Session) -> dict[str, dict[str, str]]:
    return callers(make, db).headers


def _wait_for_imports(app: Any) -> None:
    """As a sequential client would, let the import jobs it started end before the next call:
    a caller over its share of running imports is answered 429 (tests/integration/
    test_import_limits.py), which schemathesis counts as a valid request refused."""
    deadline = time.monotonic() + 30
    while app.state.import_slots.running() and time.monotonic() < deadline:
        time.sleep(0.01)


def _contract_test(role: Role) -> Any:
    schema = schema_for(role)

    @schema.parametrize()
    @settings(max_examples=role.max_examples, deadline=None,
              suppress_health_check=list(HealthCheck))
    def test(case: Any, app: Any, headers: dict[str, dict[str, str]]) -> None:
        current.app = app
        case.call_and_validate(headers=headers[role.name])
        _wait_for_imports(app)

    test.__name__ = f"test_every_operation_honours_the_contract_as_{role.name}"
    return test


for _role in ROLES:
    globals()[f"test_every_operation_honours_the_contract_as_{_role.name}"] = _contract_test(_role)
