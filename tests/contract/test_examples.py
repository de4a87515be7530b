"""Every operation in the contract shows a front end a concrete request and answer, and every
example the document holds is valid against the schema it illustrates: a generated client or a
mock server built from the document sees only data the server would accept or send."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from app.core.openapi_contract import NOT_REMEMBERED, OWN_SECURITY, PUBLIC_OPERATIONS

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OPENAPI_FILE.read_text("utf-8"))
    return loaded


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example in the document."""
    for name, schema in document["components"]["schemas"].items():
        for n, example in enumerate(schema.get("examples", [])):
            yield f"components.schemas.{name}.examples[{n}]", schema, example
    for name, operation in _operations(document):
        contents = [("request", operation.get("requestBody", {}).get("content", {}))]
        contents += [(code, answer.get("content", {}))
                     for code, answer in operation["responses"].items()]
        for where, content in contents:
            for media_type, media in content.items():
                schema = media.get("schema", {})
                if "example" in media:
                    yield f"{name} {where} {media_type}", schema, media["example"]
                for key, named in media.get("examples", {}).items():
                    yield f"{name} {where} {media_type} {key}", schema, named["value"]


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    # The schema's "#/components/..." references resolve against the root they sit in.
    rooted = {"components": document["components"], **schema}
    return Draft202012Validator(rooted, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_every_example_is_valid_against_its_schema(document):
    invalid = []
    for where, schema, example in _examples(document):
        errors = list(_validator(document, schema).iter_errors(example))
        invalid += [f"{where}: {'/'.join(map(str, e.absolute_path))} {e.message}" for e in errors]
    assert invalid == []


def test_the_example_check_rejects_an_example_that_breaks_its_schema(document):
    """The check above must be able to fail: a roll of -1 and an unknown sector are caught."""
    schema = {"$ref": "#/components/schemas/EstablishmentCreate"}
    bad = {"code": "8412321", "name": "Dalziel High School", "sector": "castle", "roll": -1,
           "authority_id": "not-a-uuid"}
    messages = [e.message for e in _validator(document, schema).iter_errors(bad)]
    assert len(messages) >= 2


def test_every_json_request_and_answer_has_an_example(document):
    missing = []
    for name, operation in _operations(document):
        contents = [("request", operation.get("requestBody", {}).get("content", {}))]
        contents += [(code, answer.get("content", {}))
                     for code, answer in operation["responses"].items()]
        for where, content in contents:
            missing += [f"{name} {where} {media_type}" for media_type, media in content.items()
                        if "json" in media_type and not ("example" in media or "examples" in media)]
    assert missing == []


def test_there_are_enough_examples_to_mean_something(document):
    # Guards the walk above: a change in the document's shape must not make it see nothing.
    assert sum(1 for _ in _examples(document)) > 300


def test_every_operation_declares_its_security(document):
    wrong = []
    for name, operation in _operations(document):
        security = operation.get("security")
        if operation["operationId"] in PUBLIC_OPERATIONS:
            if security != []:
                wrong.append(f"{name} is public but says {security}")
        elif operation["operationId"] in OWN_SECURITY:
            if security != OWN_SECURITY[operation["operationId"]]:
                wrong.append(f"{name} has a token of its own but says {security}")
        elif security != [{"OAuth2": []}]:
            wrong.append(f"{name} needs a token but says {security}")
    assert wrong == []


def test_protected_operations_declare_401_and_the_token_endpoint_declares_429(document):
    wrong = [name for name, operation in _operations(document)
             if operation["operationId"] not in PUBLIC_OPERATIONS
             and "401" not in operation["responses"]]
    token = document["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert wrong == [] and {"400", "401", "429"} <= set(token)


def test_every_operation_tag_is_described(document):
    described = {tag["name"] for tag in document["tags"] if tag.get("description")}
    used = {tag for _name, operation in _operations(document) for tag in operation["tags"]}
    assert used <= described


def test_every_authenticated_post_declares_idempotency_key_and_its_answers(document):
    wrong = [name for name, operation in _operations(document)
             if name.startswith("POST")
             and operation["operationId"] not in PUBLIC_OPERATIONS | NOT_REMEMBERED
             and not ({"400", "409", "422"} <= set(operation["responses"])
                      and "Idempotency-Key" in {p["name"] for p in operation.get("parameters", [])})]
    assert wrong == []


def test_a_declared_idempotency_key_is_honoured(api, make):
    """The declaration above describes the server: a retry with the key replays the answer."""
    officer = make.user("officer", authority_admin=True)
    make.area(make.authority(), "Coatbridge")  # the area the body names
    headers = make.headers(officer, **{"Idempotency-Key": "0d7c5e2a-6b4f-4e1d-9a3c-8f2e1b0c4d5a"})
    body = {"name": "Coatbridge High cluster", "area": "Coatbridge",
            "authority_id": str(officer.authority_id)}
    first = api.post("/api/v1/clusters", json=body, headers=headers)
    retry = api.post("/api/v1/clusters", json=body, headers=headers)
    other = api.post("/api/v1/clusters", json={**body, "name": "Airdrie cluster"}, headers=headers)
    assert (first.status_code, retry.status_code, other.status_code) == (201, 201, 422)
    assert retry.json()["id"] == first.json()["id"]
