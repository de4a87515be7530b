"""The import kinds the integration keeps: each a module registering its row schema, lookup
and apply function (see registry.py).

- `establishments` (organisations), `users` (identity);
- `clpl-registrations` (learning): bookings onto CLPL events, with cancellations and attendance;
- `acel`, `school-statistics`, `inspections` (performance): the published files as they are.

`critical-indicator-values` registers itself from insight (app/insight/import_kind.py), which
the app's wiring imports. A new kind is one module that calls `register` (and a member of
ImportKind)."""

from app.integration.imports.kinds import (
    acel,
    clpl_registrations,
    establishments,
    inspections,
    school_statistics,
    users,
)
from app.integration.imports.registry import KINDS

__all__ = ["KINDS", "acel", "clpl_registrations", "establishments", "inspections",
           "school_statistics", "users"]
