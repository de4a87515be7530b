"""Import kind `users`: email, name, role, authority_code, region_code, establishment_codes
(separated by semicolons or spaces), is_authority_admin, active.

Users are matched by email. Passwords are never imported: a user created here gets an
unusable password, and nobody can sign in as them until an admin or authority admin sets one
(PATCH /users/{id} with `password`). Blank cells leave a field as it is; the role's binding
rules (officers an authority, headteachers establishments, ...) are those of POST /users.
An email held by an account the importer cannot see (another authority's, or a deleted one)
fails its row with POST /users' answer, which names no holder; a dry run reports such a row
as it would a free address's, so that it cannot test a list of addresses.
"""

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from app.core.schemas import Name
from app.identity.principal import Role
from app.identity.schemas import Email
from app.identity.service import EmailUnavailable, users_by_email, write_user
from app.integration.imports.registry import register
from app.integration.imports.rows import (
    ImportContext,
    ImportKindSpec,
    Outcome,
    RowFailure,
    blank_to_none,
    code_list,
    text_code,
    yes_no,
)
from app.organisations.schemas import AuthorityCode, EstablishmentCode
from app.organisations.service import authority_directory, establishments_by_code, region_directory


def _role(value: Any) -> Any:
    value = blank_to_none(value)
    return value.strip().lower().replace(" ", "_").replace("head_teacher", "headteacher") \
        if isinstance(value, str) else value


class UserRow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: Annotated[Email, BeforeValidator(blank_to_none)]
    name: Annotated[Name, BeforeValidator(blank_to_none)]
    role: Annotated[Role, BeforeValidator(_role)]
    authority_code: Annotated[AuthorityCode | None, BeforeValidator(text_code)] = None
    region_code: Annotated[str | None, BeforeValidator(blank_to_none)] = None
    establishment_codes: Annotated[list[EstablishmentCode] | None, BeforeValidator(code_list)] = None
    is_authority_admin: Annotated[bool | None, BeforeValidator(yes_no)] = None
    active: Annotated[bool | None, BeforeValidator(yes_no)] = None


def lookup(ctx: ImportContext, rows: list[UserRow]) -> Any:
    codes = {code for row in rows for code in row.establishment_codes or []}
    schools = establishments_by_code(ctx.session, ctx.principal, codes) if codes else {}
    return {
        "users": users_by_email(ctx.session, ctx.principal, [row.email for row in rows]),
        # Codes of establishments the importer cannot see are unknown to it.
        "schools": {code: school.id for code, (school, seen) in schools.items() if seen},
    }


def _directories(ctx: ImportContext) -> tuple[dict[str, uuid.UUID], dict[str, uuid.UUID]]:
    if "authorities" not in ctx.cache:
        ctx.cache["authorities"] = {code: i for i, code, _ in authority_directory(ctx.session)}
        ctx.cache["regions"] = region_directory(ctx.session)
    return ctx.cache["authorities"], ctx.cache["regions"]


def apply(ctx: ImportContext, row: UserRow, found: Any) -> Outcome:
    authorities, regions = _directories(ctx)
    values: dict[str, Any] = {"name": row.name, "role": row.role}
    if row.authority_code is not None:
        if row.authority_code not in authorities:
            raise RowFailure("authority_code", f"no authority with code {row.authority_code!r}")
        values["authority_id"] = authorities[row.authority_code]
    if row.region_code is not None:
        if row.region_code not in regions:
            raise RowFailure("region_code", f"no region with code {row.region_code!r}")
        values["region_id"] = regions[row.region_code]
    for flag in ("is_authority_admin", "active"):
        if getattr(row, flag) is not None:
            values[flag] = getattr(row, flag)
    establishment_ids = None
    if row.establishment_codes is not None:
        unknown = [c for c in row.establishment_codes if c not in found["schools"]]
        if unknown:
            raise RowFailure("establishment_codes", f"no establishment with code {', '.join(unknown)}")
        establishment_ids = [found["schools"][c] for c in row.establishment_codes]
    try:
        # A dry run takes an address held outside the importer's reach for a free one: it
        # tests no list of addresses (write_user).
        outcome = write_user(ctx.session, ctx.principal, row.email, values, establishment_ids,
                             found["users"].get(row.email), dry_run=ctx.dry_run)
    except EmailUnavailable as exc:
        raise RowFailure("email", exc.detail or exc.title) from None
    return Outcome(outcome)


COLUMNS = {
    **dict.fromkeys(("email", "emailaddress"), "email"),
    **dict.fromkeys(("name", "fullname"), "name"),
    "role": "role",
    **dict.fromkeys(("authoritycode", "lacode"), "authority_code"),
    "regioncode": "region_code",
    **dict.fromkeys(("establishmentcodes", "establishments", "seedcodes"), "establishment_codes"),
    **dict.fromkeys(("isauthorityadmin", "authorityadmin"), "is_authority_admin"),
    "active": "active",
}

SPEC = register(ImportKindSpec(
    name="users", row=UserRow, columns=COLUMNS, required=("email", "name", "role"), key="email",
    lookup=lookup, apply=apply,
    fields_of={"authority_id": "authority_code", "region_id": "region_code",
               "establishment_ids": "establishment_codes",
               "is_authority_admin": "is_authority_admin", "role": "role", "name": "name",
               "email": "email"},
))
