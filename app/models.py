"""Every table, imported once so that Alembic and the tests see the whole schema."""

from sqlmodel import SQLModel

from app.assurance import models as assurance  # noqa: F401
from app.assurance.vse import models as vse  # noqa: F401
from app.audit import models as audit  # noqa: F401
from app.core import idempotency  # noqa: F401
from app.frameworks import models as frameworks  # noqa: F401
from app.identity import models as identity  # noqa: F401
from app.insight import models as insight  # noqa: F401
from app.integration.imports import models as imports  # noqa: F401
from app.learning.clpl import models as clpl  # noqa: F401
from app.learning.trios import models as trios  # noqa: F401
from app.organisations import models as organisations  # noqa: F401
from app.performance import models as performance  # noqa: F401
from app.planning import models as planning  # noqa: F401

metadata = SQLModel.metadata
