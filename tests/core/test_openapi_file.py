"""openapi/openapi.json is the contract clients generate code from: it must be current and complete."""

import json
from pathlib import Path
from typing import Any

import pytest

from app.main import create_app

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
METHODS = {"get", "post", "put", "patch", "delete"}
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def document(settings) -> dict[str, Any]:
    generated: dict[str, Any] = create_app(settings).openapi()
    return generated


def _operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_committed_contract_matches_the_app(document):
    committed = json.loads(OPENAPI_FILE.read_text("utf-8"))
    # Compare as JSON, as the file is written, so tuples and lists compare alike.
    generated = json.loads(json.dumps(document))
    assert committed == generated, (
        "openapi/openapi.json is stale: run `python -m app.cli export-openapi` and commit it"
    )


def test_every_operation_has_an_id_a_summary_and_tags(document):
    missing = [name for name, op in _operations(document)
               if not (op.get("operationId") and op.get("summary") and op.get("tags"))]
    assert missing == []


def test_operation_ids_are_unique(document):
    ids = [op["operationId"] for _name, op in _operations(document)]
    assert len(ids) == len(set(ids))


def test_key_operation_ids_are_stable(document):
    ids = {op["operationId"] for _name, op in _operations(document)}
    assert {"listEstablishments", "getEstablishment", "upsertEstablishmentByCode",
            "createEstablishment", "updateEstablishment", "deleteEstablishment", "listRegions",
            "listAuthorities", "updateAuthority", "listClusters", "deleteCluster",
            "listFrameworks", "getFramework", "getNif", "getHealth", "getReadiness"} <= ids


def test_every_operation_with_input_declares_a_problem_422(document):
    wrong = []
    for name, operation in _operations(document):
        if not (operation.get("parameters") or operation.get("requestBody")):
            continue
        answer = operation["responses"].get("422")
        content = (answer or {}).get("content", {})
        schema = json.dumps(content)
        if set(content) != {PROBLEM} or "HTTPValidationError" in schema:
            wrong.append(name)
    assert wrong == [], "422 must be declared as application/problem+json (Problem)"


def test_every_error_answer_is_problem_json(document):
    wrong = [f"{name} {code}" for name, operation in _operations(document)
             for code, answer in operation["responses"].items()
             if code.isdigit() and int(code) >= 400 and set(answer.get("content", {})) - {PROBLEM}]
    assert wrong == []


def test_fastapis_validation_error_schema_is_not_in_the_contract(document):
    schemas = document.get("components", {}).get("schemas", {})
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
