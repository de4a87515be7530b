"""Production refuses to start with demo users in its database."""

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.factories import Factory


def test_production_app_refuses_to_start_while_demo_users_exist(settings, make: Factory) -> None:
    make.user("admin", is_demo=True)
    production = settings.model_copy(update={"environment": "production"})
    app = create_app(production)
    with pytest.raises(RuntimeError, match="demo users"), TestClient(app):
        pass


def test_production_app_starts_without_demo_users(settings, make: Factory) -> None:
    make.user("admin")
    app = create_app(settings.model_copy(update={"environment": "production"}))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
