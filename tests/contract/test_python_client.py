"""A Python client generated from openapi/openapi.json by openapi-python-client (as another
team would) logs in, creates an establishment, reads it back with its ETag and updates it,
against a real server. Nothing generated is kept: it is built into a temporary directory."""

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


@pytest.fixture(scope="module")
def sih_client(tmp_path_factory, live):
    generator = shutil.which("openapi-python-client",
                             path=str(Path(sys.executable).parent)) or "openapi-python-client"
    out = tmp_path_factory.mktemp("generated")
    done = subprocess.run(  # noqa: S603 - the generator installed beside this interpreter
        [generator, "generate", "--path", str(OPENAPI_FILE), "--meta", "none",
         "--output-path", str(out / "sih_client")],
        capture_output=True, text=True, timeout=300, check=False)
    assert (out / "sih_client" / "client.py").exists(), done.stdout + done.stderr
    sys.path.insert(0, str(out))
    try:
        import sih_client

        yield sih_client
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == "sih_client" or m.startswith("sih_client.")]:
            del sys.modules[name]


def test_generated_client_logs_in_creates_reads_and_updates_an_establishment(sih_client, live):
    from sih_client import AuthenticatedClient, Client
    from sih_client.api.identity import issue_token
    from sih_client.api.organisation import (
        create_establishment,
        get_establishment,
        list_authorities,
        update_establishment,
    )
    from sih_client.models import (
        BodyIssueToken,
        EstablishmentCreate,
        EstablishmentRead,
        EstablishmentUpdate,
        Problem,
        Sector,
        TokenResponse,
    )

    anonymous = Client(base_url=live.base_url)
    token = issue_token.sync(client=anonymous, body=BodyIssueToken(
        grant_type="password", username=live.username, password=live.password))
    assert isinstance(token, TokenResponse) and token.refresh_token
    api = AuthenticatedClient(base_url=live.base_url, token=token.access_token)

    authorities = list_authorities.sync(client=api, q="North Lanarkshire")
    north_lanarkshire = next(a for a in authorities.items if a.code == "S12000050")
    code = f"84{uuid.uuid4().int % 10**5:05d}"
    created = create_establishment.sync_detailed(client=api, body=EstablishmentCreate(
        code=code, name="Chryston Primary School", sector=Sector.PRIMARY,
        authority_id=north_lanarkshire.id, roll=348))
    assert created.status_code == 201 and isinstance(created.parsed, EstablishmentRead)

    read = get_establishment.sync_detailed(created.parsed.id, client=api)
    assert isinstance(read.parsed, EstablishmentRead)
    assert (read.parsed.code, read.parsed.roll) == (code, 348)
    etag = read.headers["etag"]

    updated = update_establishment.sync_detailed(
        read.parsed.id, client=api, body=EstablishmentUpdate(roll=361), if_match=etag)
    assert updated.status_code == 200 and isinstance(updated.parsed, EstablishmentRead)
    assert updated.parsed.roll == 361 and updated.parsed.version == read.parsed.version + 1

    # The old ETag is now stale: the generated client gets the declared problem+json back.
    stale = update_establishment.sync_detailed(
        read.parsed.id, client=api, body=EstablishmentUpdate(roll=370), if_match=etag)
    assert stale.status_code == 412 and isinstance(stale.parsed, Problem)
