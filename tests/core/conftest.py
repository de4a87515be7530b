from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
