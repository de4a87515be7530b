"""The import kinds: each a module registering its row schema, lookup and apply function.

- `establishments` (organisations), `users` (identity);
- `clpl-registrations` (learning): bookings onto CLPL events, with cancellations and attendance;
- `critical-indicator-values` (insight): a region's or an authority's figures per session.

A new kind is one module here and its SPEC in the tuple below (and in ImportKind)."""

from app.integration.imports.kinds import (
    clpl_registrations,
    critical_indicator_values,
    establishments,
    users,
)
from app.integration.imports.rows import ImportKindSpec

KINDS: dict[str, ImportKindSpec] = {spec.name: spec for spec in (
    establishments.SPEC, users.SPEC, clpl_registrations.SPEC, critical_indicator_values.SPEC)}
