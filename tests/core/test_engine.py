"""The PostgreSQL connections the service opens give up on a dead link instead of hanging."""

import pytest
from sqlalchemy.engine import Engine


def test_connections_probe_idle_links_and_time_out_unacknowledged_writes(engine: Engine, settings):
    if engine.dialect.name != "postgresql":
        pytest.skip("libpq connection options: PostgreSQL only")
    with engine.connect() as connection:
        parameters = connection.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
    assert parameters["keepalives"] == "1" and parameters["keepalives_idle"] == "30"
    assert int(parameters["tcp_user_timeout"]) == settings.db_statement_timeout_ms + 5000
