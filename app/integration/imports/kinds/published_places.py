"""What the performance kinds (acel, school-statistics, inspections) look up: the schools a
batch names by SEED code, as the sender sees them, and the councils by any code or name the
published files use (held for the whole import)."""

from collections.abc import Iterable

from app.identity.policy import allowed
from app.integration.imports.rows import ImportContext, RowFailure
from app.organisations.models import Establishment
from app.organisations.service import authority_directory, establishments_by_code
from app.performance.places import Councils


def councils(ctx: ImportContext) -> Councils:
    if "councils" not in ctx.cache:
        ctx.cache["councils"] = Councils(authority_directory(ctx.session))
    found: Councils = ctx.cache["councils"]
    return found


def visible_schools(ctx: ImportContext, codes: Iterable[str | None]) -> dict[str, Establishment]:
    """The schools the sender sees, and those whose figures it may write: a client holding
    imports:write alone reads no school, yet writes its authority's figures."""
    wanted = [code for code in codes if code]
    if not wanted:
        return {}
    return {code: school for code, (school, seen) in
            establishments_by_code(ctx.session, ctx.principal, wanted).items()
            if seen or allowed(ctx.principal, "performance.write", school.authority_id)}


def unknown_school(field: str, code: str) -> RowFailure:
    return RowFailure(field, f"no establishment with SEED code {code} that you can see")
