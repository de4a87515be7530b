"""The import kinds: each a module registering its row schema, lookup and apply function.

`clpl-registrations` and `critical-indicator-values` join here once their domains exist
(learning, insight): one module each, and a line below."""

from app.integration.import_kinds import establishments, users
from app.integration.import_rows import ImportKindSpec

KINDS: dict[str, ImportKindSpec] = {spec.name: spec for spec in (establishments.SPEC, users.SPEC)}
