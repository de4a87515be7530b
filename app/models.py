"""Every table, imported once so that Alembic and the tests see the whole schema."""

from sqlmodel import SQLModel

from app.assurance import models as assurance  # noqa: F401
from app.core import idempotency  # noqa: F401
from app.frameworks import models as frameworks  # noqa: F401
from app.identity import models as identity  # noqa: F401
from app.insight import models as insight  # noqa: F401
from app.integration import import_models as imports  # noqa: F401
from app.integration import models as integration  # noqa: F401
from app.learning import clpl_models as clpl  # noqa: F401
from app.learning import trio_models as trios  # noqa: F401
from app.organisations import models as organisations  # noqa: F401
from app.planning import models as planning  # noqa: F401

metadata = SQLModel.metadata
