"""scripts/check_breaking.py on hand-made pairs of documents: each kind of break is caught, an
additive change passes, and a break recorded under a new major version passes."""

import copy
import importlib.util
import json
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_breaking.py"
_spec = importlib.util.spec_from_file_location("check_breaking", SCRIPT)
assert _spec and _spec.loader
check_breaking = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_breaking)

ONE_RELEASE = "# Changelog\n\n## [1.0.0] - 2026-11-23 - commit 4abfdcb\n\nFirst.\n"
NEW_MAJOR = "# Changelog\n\n## [2.0.0] - 2027-01-11\n\nRemoved roll.\n\n" + ONE_RELEASE[13:]
NEW_MINOR = "# Changelog\n\n## [1.1.0] - 2027-01-11\n\nRemoved roll.\n\n" + ONE_RELEASE[13:]


def _document() -> dict[str, Any]:
    establishment = {"$ref": "#/components/schemas/EstablishmentRead"}
    return {
        "openapi": "3.1.0", "info": {"title": "Hub", "version": "1.0.0"},
        "paths": {
            "/api/v1/establishments": {
                "get": {"operationId": "listEstablishments",
                        "parameters": [{"name": "sector", "in": "query", "required": False,
                                        "schema": {"$ref": "#/components/schemas/Sector"}}],
                        "responses": {"200": {"content": {"application/json": {"schema": {
                            "type": "object", "properties": {"items": {
                                "type": "array", "items": establishment}}}}}}}},
                "post": {"operationId": "createEstablishment",
                         "requestBody": {"content": {"application/json": {"schema": {
                             "$ref": "#/components/schemas/EstablishmentCreate"}}}},
                         "responses": {"201": {"content": {
                             "application/json": {"schema": establishment}}}}},
            },
            "/api/v1/establishments/{establishment_id}": {
                "get": {"operationId": "getEstablishment",
                        "responses": {"200": {"content": {
                            "application/json": {"schema": establishment}}}}},
            },
        },
        "components": {"schemas": {
            "Sector": {"type": "string", "enum": ["nursery", "primary", "secondary", "special"]},
            "EstablishmentCreate": {
                "type": "object", "required": ["code", "name"],
                "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                               "roll": {"type": "integer"},
                               "sector": {"$ref": "#/components/schemas/Sector"}}},
            "EstablishmentRead": {
                "type": "object", "required": ["id", "code", "name", "roll"],
                "properties": {"id": {"type": "string"}, "code": {"type": "string"},
                               "name": {"type": "string"}, "roll": {"type": "integer"},
                               "sector": {"$ref": "#/components/schemas/Sector"}}},
        }},
    }


def _changed(change) -> dict[str, Any]:
    document = copy.deepcopy(_document())
    change(document)
    return document


def _schemas(document: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


def test_an_unchanged_document_has_no_break():
    assert check_breaking.breaking_changes(_document(), _document()) == []


def test_a_removed_operation_is_caught():
    new = _changed(lambda d: d["paths"].pop("/api/v1/establishments/{establishment_id}"))
    assert check_breaking.breaking_changes(_document(), new) == [
        "GET /api/v1/establishments/{establishment_id}: operation removed"]


def test_a_renamed_answer_field_is_caught_wherever_the_model_is_answered():
    def rename(document):
        read = _schemas(document)["EstablishmentRead"]
        read["properties"]["pupil_roll"] = read["properties"].pop("roll")

    breaks = check_breaking.breaking_changes(_document(), _changed(rename))
    assert breaks == [
        "GET /api/v1/establishments: answer field 200.items[].roll removed",
        "POST /api/v1/establishments: answer field 201.roll removed",
        "GET /api/v1/establishments/{establishment_id}: answer field 200.roll removed",
    ]


def test_a_new_required_request_field_is_caught():
    new = _changed(lambda d: _schemas(d)["EstablishmentCreate"]["required"].append("roll"))
    assert check_breaking.breaking_changes(_document(), new) == [
        "POST /api/v1/establishments: request body field .roll is now required"]


def test_a_new_optional_list_may_require_fields_of_its_items():
    """A client that never sent `contacts` is not bound by what a contact needs; a field made
    required in an object the old body had still is."""
    def add(document):
        _schemas(document)["EstablishmentCreate"]["properties"]["contacts"] = {
            "type": "array", "items": {"type": "object", "required": ["email"],
                                       "properties": {"email": {"type": "string"}}}}

    assert check_breaking.breaking_changes(_document(), _changed(add)) == []

    def require_more(document):
        add(document)
        _schemas(document)["EstablishmentCreate"]["required"].append("contacts")

    assert check_breaking.breaking_changes(_document(), _changed(require_more)) == [
        "POST /api/v1/establishments: request body field .contacts is now required"]


def test_a_parameter_that_becomes_required_is_caught():
    def require(document):
        document["paths"]["/api/v1/establishments"]["get"]["parameters"][0]["required"] = True

    assert check_breaking.breaking_changes(_document(), _changed(require)) == [
        "GET /api/v1/establishments: request parameter query sector is now required"]


def test_a_narrowed_enum_is_caught_in_requests_and_answers():
    new = _changed(lambda d: _schemas(d)["Sector"]["enum"].remove("special"))
    breaks = check_breaking.breaking_changes(_document(), new)
    assert "GET /api/v1/establishments: parameter sector no longer accepts or returns ['special']" \
        in breaks
    assert "POST /api/v1/establishments: body.sector no longer accepts or returns ['special']" \
        in breaks
    assert len(breaks) == 5  # parameter, list answer, request body, create answer, read answer


def test_an_additive_change_passes():
    def add(document):
        _schemas(document)["Sector"]["enum"].append("all_through")
        _schemas(document)["EstablishmentRead"]["properties"]["gaelic_medium"] = {"type": "boolean"}
        _schemas(document)["EstablishmentCreate"]["properties"]["gaelic_medium"] = {"type": "boolean"}
        document["paths"]["/api/v1/clusters"] = {"get": {"operationId": "listClusters",
                                                         "responses": {"200": {}}}}

    passes, breaks = check_breaking.check(_document(), _changed(add), ONE_RELEASE)
    assert (passes, breaks) == (True, [])


def test_a_break_fails_unless_recorded_under_a_new_major_version():
    new = _changed(lambda d: _schemas(d)["EstablishmentRead"]["properties"].pop("roll"))
    assert check_breaking.check(_document(), new, ONE_RELEASE)[0] is False
    assert check_breaking.check(_document(), new, NEW_MINOR)[0] is False
    passes, breaks = check_breaking.check(_document(), new, NEW_MAJOR)
    assert passes is True and len(breaks) == 3


def test_the_changelog_heading_names_the_baseline_commit():
    assert check_breaking.latest_release(ONE_RELEASE) == ((1, 0, 0), "4abfdcb")
    assert check_breaking.latest_release(NEW_MAJOR) == ((2, 0, 0), None)
    assert check_breaking.latest_release("# Changelog\n\nNothing yet.\n") is None


def test_a_release_being_written_is_compared_with_the_last_one_recorded(monkeypatch):
    """A new heading names no commit until its contract is committed: the baseline is the
    latest heading that names one, never "no baseline"."""
    shown: list[str] = []
    monkeypatch.setattr(check_breaking, "_git_show", lambda rev: shown.append(rev) or _document())
    monkeypatch.setattr(check_breaking.subprocess, "run", lambda *a, **k: type(
        "Done", (), {"stdout": ""})())
    found = check_breaking.find_baseline(NEW_MINOR)
    assert found is not None and found[0].startswith("commit 4abfdcb") and shown == ["4abfdcb"]


def test_the_command_fails_on_a_break_against_a_given_baseline(tmp_path, capsys):
    old, new, changelog = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "CHANGELOG.md"
    old.write_text(json.dumps(_document()))
    new.write_text(json.dumps(_changed(lambda d: d["paths"].pop("/api/v1/establishments"))))
    changelog.write_text(ONE_RELEASE)
    assert check_breaking.main([str(new), "--baseline", str(old), "--changelog", str(changelog)]) == 1
    assert "BREAKING: GET /api/v1/establishments: operation removed" in capsys.readouterr().out
    assert check_breaking.main([str(old), "--baseline", str(old), "--changelog", str(changelog)]) == 0


def test_the_committed_contract_keeps_every_promise_of_the_last_release():
    changelog = check_breaking.CHANGELOG.read_text("utf-8")
    assert check_breaking.latest_release(changelog) is not None
    assert check_breaking.main([]) == 0
