"""A sync answer's totals are keyed by the outcomes its items carry, word for word: a client
counts `totals[item["outcome"]]` and never maps `conflict` to `conflicts`."""

import uuid

VISITS = "/api/v1/visits"


def _visit(school, **changes):
    return {"establishment_id": str(school.establishment.id), "visit_date": "2025-10-07",
            "kind": "support_and_challenge", "indicator_codes": ["2.3"], "notes": "Observed.",
            "status": "final", **changes}


def test_every_outcome_has_a_total_of_the_same_name(api, school):
    stored = api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(school), headers=school.link_officer)
    edited = api.put(f"{VISITS}/{uuid.uuid4()}", json=_visit(school), headers=school.link_officer)
    api.patch(f"{VISITS}/{edited.json()['id']}", json={"notes": "Changed on the laptop"},
              headers={**school.link_officer, "If-Match": edited.headers["ETag"]})
    batch = {"device_id": "ipad-9", "items": [
        {"id": str(uuid.uuid4()), "visit": _visit(school, notes="New")},  # applied
        {"id": stored.json()["id"], "base_version": 1, "visit": _visit(school)},  # unchanged
        {"id": edited.json()["id"], "base_version": 1,
         "visit": _visit(school, notes="Changed on the phone")},  # conflict
        {"id": str(uuid.uuid4()), "visit": _visit(school, kind="no-such-kind")},  # rejected
    ]}
    answer = api.post(f"{VISITS}/sync", json=batch, headers=school.link_officer)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    outcomes = [item["outcome"] for item in result["items"]]
    assert outcomes == ["applied", "unchanged", "conflict", "rejected"]
    lists = ("items", "action_follow_ups", "support_statuses")  # what the batch carried
    totals = {key: value for key, value in result.items() if key not in lists}
    assert totals == {"applied": 1, "unchanged": 1, "conflict": 1, "rejected": 1}


def test_the_contract_names_the_totals_after_the_outcomes(api):
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    outcome = schemas["SyncItemResult"]["properties"]["outcome"]
    values = set(schemas[outcome["$ref"].rsplit("/", 1)[-1]]["enum"]) if "$ref" in outcome \
        else set(outcome["enum"])
    lists = {"items", "action_follow_ups", "support_statuses"}
    assert set(schemas["SyncResult"]["properties"]) - lists == values
