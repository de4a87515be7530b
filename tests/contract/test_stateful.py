"""Schemathesis' stateful phase: scenarios that follow the contract's links (app/core/openapi_links.py)
from a create to the record it made: read it, update it with its ETag, act on it, delete it. All
checks stay on, so a record that vanishes after its create, or lingers after its delete, fails.

Run through a pytest function rather than a bare `state_machine.TestCase`, because the app, the
database reset and the callers are pytest fixtures. Speaks as the admin, who may follow every
link, and as an authority admin, whose writes stay in their authority."""

from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import Bundle, rule
from schemathesis import GenerationMode
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.checks import ensure_resource_availability
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.conftest import _reset
from tests.contract.roles import ROLES, World, callers, current, schema_for
from tests.factories import Factory

# Scenarios per role and calls per scenario: enough to reach create -> update -> transition ->
# delete chains, within the contract suite's time budget.
SCENARIOS = 40
STEPS = 6
STATEFUL_ROLES = tuple(role.name for role in ROLES)  # every caller, as the single calls


def _creates(schema: Any) -> list[Any]:
    """The operations whose 201 answer links on: POST /things (nested ones are reached by links)."""
    found = []
    for path, path_item in schema.raw_schema["paths"].items():
        created = path_item.get("post", {}).get("responses", {}).get("201", {})
        if created.get("links") and "{" not in path:
            found.append(schema[path]["POST"])
    return found


def _machine(role_name: str) -> Any:
    role = next(r for r in ROLES if r.name == role_name)
    schema = schema_for(role)

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        prepare: ClassVar[Callable[[], World]]
        world: World

        def setup(self) -> None:
            # Every scenario starts from the same world: Hypothesis replays prefixes of earlier
            # scenarios and needs the same answers (a code created once is a 409 the second time).
            self.world = type(self).prepare()
            self.headers = self.world.headers[role_name]

        def before_call(self, case: Any) -> None:
            # A random authority_id names no authority, so almost every create would be a 422
            # and no link would be followed: valid bodies refer to this world's records instead.
            # Negative cases are left as generated, so that they stay invalid.
            if case.meta.generation.mode == GenerationMode.POSITIVE and isinstance(case.body, dict):
                for field in case.body.keys() & self.world.ids.keys():
                    case.body[field] = self.world.ids[field]

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": self.headers}

        def validate_response(self, response: Any, case: Any,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            __tracebackhide__ = True
            case.validate_response(response, additional_checks=additional_checks,
                                   excluded_checks=excluded, transport_kwargs=kwargs or None,
                                   recorder=self.recorder)

    # "A created record is readable at every link": true for the admin, who sees everything.
    # A narrower caller may create a record whose linked parts it may not read (an integration
    # client creates a school but never sees its support status): 404 there is the policy.
    excluded = [] if role_name == "admin" else [ensure_resource_availability]

    # Schemathesis starts scenarios only at creates whose every reference it can produce; a
    # link_officer_id has no producer, so it would start none of ours. One rule per create starts
    # scenarios here instead; the answer lands in the bundle that create's links follow from.
    for operation in _creates(schema):
        setattr(Machine, f"create_{operation.definition.raw['operationId']}", _start_at(operation))
    # Its own starts (list reads, transitions of random ids) are what the stateless phase does
    # already; without them a scenario's steps go to following links.
    for name in Machine.root_rules:
        setattr(Machine, name, None)
    Machine.__name__ = f"StatefulAs_{role_name}"
    return Machine


def _start_at(operation: Any) -> Any:
    @rule(target=Bundle("catch_all"), case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def start(self: Any, case: Any) -> StepOutput:
        self.recorder.record_case(case=case)
        return self._step(StepInput.initial(case))
    return start


MACHINES = {name: _machine(name) for name in STATEFUL_ROLES}


@pytest.mark.parametrize("role", STATEFUL_ROLES)
def test_linked_scenarios_honour_the_contract(role: str, app: Any, make: Factory, db: Session,
                                              engine: Engine,
                                              reference_ids: dict[str, set[str]]) -> None:
    current.app = app
    machine = MACHINES[role]

    def prepare() -> World:
        _reset(engine, reference_ids)
        db.expire_all()
        return callers(make, db)

    machine.prepare = staticmethod(prepare)
    machine.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=STEPS,
                                  deadline=None, phases=[Phase.generate],
                                  suppress_health_check=list(HealthCheck)))


def test_every_create_links_to_its_record() -> None:
    """The links the stateful phase follows exist: each create reaches its record's read."""
    schema = schema_for(ROLES[0])
    expected = {"createEstablishment": "getEstablishment", "createImprovementPlan": "getImprovementPlan",
                "createQualityReport": "getQualityReport", "createVseCycle": "getVseCycle",
                "createVisit": "getVisit", "createTrio": "getTrio", "createClplEvent": "getClplEvent",
                "registerForClplEvent": "getClplRegistration", "createUser": "getUser",
                "createClient": "getClient", "createCluster": "getCluster",
                "createCriticalIndicator": "getCriticalIndicator",
                "createPlanPriority": "getPlanPriority", "createTrioMeeting": "getTrioMeeting"}
    created = {
        operation["operationId"]: operation["responses"]["201"].get("links", {})
        for path_item in schema.raw_schema["paths"].values() for operation in path_item.values()
        if isinstance(operation, dict) and "201" in operation.get("responses", {})
    }
    for source, target in expected.items():
        assert target in created[source], f"{source} has no link to {target}"
    starts = {operation.definition.raw["operationId"] for operation in _creates(schema)}
    assert {"createEstablishment", "createImprovementPlan", "createVisit", "createTrio"} <= starts
    update = created["createEstablishment"]["updateEstablishment"]["parameters"]
    assert update == {"path.establishment_id": "$response.body#/id",
                      "header.If-Match": "$response.header.ETag"}
    # A new school has no support status until one is put, and that PUT does not take the
    # school's ETag: the link says neither.
    assert "getSupportStatus" not in created["createEstablishment"]
    assert created["createEstablishment"]["setSupportStatus"]["parameters"] == {
        "path.establishment_id": "$response.body#/id"}
