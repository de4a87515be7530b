"""Integration: imports.

Admins import any kind; authority admins import into their own authority; integration clients
holding imports:write import establishments into the authorities they are bound to (never
users: clients manage no people). "import.run" (the record is the kind's name) lets a caller
send a file at all. Every row is then written by the kind's own service functions under the
same rules as a single write, so an import grants nothing the caller could not do one record
at a time, except that a client's imports:write stands in for the write scope of the kind."""

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import true
from sqlmodel import col

from app.identity.policy.primitives import Clause, Rule
from app.identity.principal import Principal, Role, Scope
from app.integration.imports.models import ImportJob

IMPORT_SCOPES: dict[str, frozenset[str]] = {
    "establishments": frozenset({Scope.establishments_write}),
    # Performance data: imports:write is itself the right (identity.policy.performance).
    "acel": frozenset(), "school-statistics": frozenset(), "inspections": frozenset(),
}
# Kinds that others may send too, as they may make the same writes one at a time: regional
# leads book onto their region's events and keep its critical indicators; headteachers book
# their own schools' staff. Their rows are checked one by one as for everyone.
IMPORT_SENDERS: dict[str, Callable[[Principal], bool]] = {
    "clpl-registrations": lambda p: (p.role == Role.regional_lead and p.region_id is not None) or (
        p.role == Role.headteacher and bool(p.establishment_ids)),
    "critical-indicator-values": lambda p: p.role == Role.regional_lead and p.region_id is not None,
}


def _runs_import(p: Principal, kind: str) -> bool:
    if p.is_client:
        return Scope.imports_write in p.scopes and kind in IMPORT_SCOPES
    sender = IMPORT_SENDERS.get(kind)
    return p.is_admin or (p.role == Role.officer and p.is_authority_admin
                          and p.authority_id is not None) or (sender is not None and sender(p))


def importer(p: Principal, kind: str) -> Principal:
    """The principal an import's rows are written as (see above)."""
    if p.is_client and Scope.imports_write in p.scopes:
        return replace(p, scopes=p.scopes | IMPORT_SCOPES.get(kind, frozenset()))
    return p


RULES: dict[str, Rule] = {
    "import.run": _runs_import,
}
VISIBILITY: dict[type, Clause] = {
    # A job (and its report) is its sender's; admins see all.
    ImportJob: lambda p: true() if p.is_admin else col(ImportJob.actor_id) == p.id,
}
