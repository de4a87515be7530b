"""The document says which reads are conditional (ETag out, If-None-Match in, 304), and they are."""

import json
from pathlib import Path

import pytest

CONTRACT = json.loads((Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text())
# Single reads without a version to offer: nothing to poll or to send back in If-Match.
NOT_CONDITIONAL = {
    "getClient",  # an integration client is never updated, only created and removed
    "getFramework",  # reference data, changed by a release
    "getImportJob",  # a job's progress, polled until it ends
}
SINGLE_READS = {op["operationId"]: path for path, item in CONTRACT["paths"].items()
                if (op := item.get("get")) and path.endswith("}")}


def test_every_single_read_with_a_version_is_declared_conditional():
    for operation_id, path in SINGLE_READS.items():
        operation = CONTRACT["paths"][path]["get"]
        declared = "304" in operation["responses"]
        assert declared != (operation_id in NOT_CONDITIONAL), operation_id
        if declared:
            assert "ETag" in operation["responses"]["200"]["headers"], operation_id
            assert "If-None-Match" in [p["name"] for p in operation["parameters"]], operation_id


@pytest.mark.parametrize("kind", ["establishment", "cluster", "user"])
def test_a_declared_conditional_read_sends_its_etag_and_honours_it(api, make, db, kind):
    admin = make.headers(make.admin())
    record = {"establishment": make.establishment, "cluster": make.cluster,
              "user": lambda: make.user("officer")}[kind]()
    db.commit()
    path = {"establishment": "/api/v1/establishments", "cluster": "/api/v1/clusters",
            "user": "/api/v1/users"}[kind] + f"/{record.id}"
    operation_id = {"establishment": "getEstablishment", "cluster": "getCluster", "user": "getUser"}[kind]
    assert "304" in CONTRACT["paths"][SINGLE_READS[operation_id]]["get"]["responses"]
    first = api.get(path, headers=admin)
    assert first.status_code == 200
    # The version; a school's adds a digest of its year (its `current` block).
    assert first.headers["etag"].split(".")[0].strip('"') == str(first.json()["version"])
    again = api.get(path, headers={**admin, "If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", first.headers["etag"])
