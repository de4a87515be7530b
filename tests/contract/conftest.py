"""Fixtures for the contract's clients: a live server shared by the client and docs tests."""

import os
from collections.abc import Iterator

import pytest

from tests.contract.live_server import LiveServer, live_server


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Once per CI run: the SQLite run has it, the PostgreSQL run (same contract) skips it.
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("client tests run once, in the SQLite run")
    with live_server(tmp_path_factory.mktemp("live")) as server:
        yield server
