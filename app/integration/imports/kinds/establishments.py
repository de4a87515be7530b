"""Import kind `establishments`: the service's own columns, and the public files councils hold.

Accepted files:
- the service's columns: code, name, sector, authority_code, cluster, area, roll,
  simd_q1_percent, gaelic_medium, status;
- the Scottish Government's school roll and locations table (SG_SchoolRoll_2022 and its
  snake_case 2023 reshaping): SeedCode/seed, SchoolName, SchoolType, LACode, Pupil_Roll,
  PropPupils20PCMostDeprived, CentreType, SchUID. Campus schools have one row per department
  (same SEED, SchUID suffix P/S/SP): those rows become one establishment. Only `Local
  Authority` centres are imported; grant-aided ones are skipped with a warning;
- Ofsted/GIAS-style English extracts: urn, name, phase, la (the authority's name), postcode.

The school's details (organisations/school_details.py) come with it: the service's names
(address_line1..3 or address_lines, postcode, phone, email, website, uprn, data_zone,
denomination, urban_rural_6fold, urban_rural_8fold, latitude, longitude) and the SG table's
(AddressLine1-3, PostCode, PhoneNumber, WebsiteAddress, DataZone, AddrUR6/AddrUR8 and their
Desc columns, Latitude, Longitude; the 2023 reshaping's address1-3, datazone, urban_rural_6
...). What the registers write for "none" (AddressLine3 `0`, "not available yet", "TBC") is
a blank cell. Not read: the 2023 reshaping's `lat` and `lng`, which hold a grid reference and
the latitude (its header is two names short); the data zone's own urban/rural class (DZUR6),
which is not the school's; and the grid references, which the coordinates say again.

Blank cells leave a field as it is (a file without a cluster column never clears clusters).
A cluster named in the file is matched by name within the establishment's authority and,
when it does not exist, created (counted in `also_created`); that takes the right to create
clusters (admins and authority admins), so a client's row naming a new cluster fails. An area
likewise: matched among the authority's areas whatever its case, accents or apostrophes, or by
a name it had (a renamed or merged area), and otherwise created (`also_created.area`) by those
who may create areas. Imports are the only writes that create areas implicitly.
"""

import re
import uuid
from collections.abc import Callable
from contextlib import suppress
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator

from app.core.errors import Forbidden
from app.core.schemas import Name, ShortText
from app.core.text import fold
from app.integration.imports.registry import register
from app.integration.imports.rows import (
    ImportContext,
    ImportKindSpec,
    Outcome,
    RowFailure,
    Skipped,
    blank_to_none,
    decimal_number,
    text_code,
    whole_number,
    yes_no,
)
from app.organisations.schemas import (
    ClusterCreate,
    EstablishmentCode,
    EstablishmentStatus,
    Percent,
    Roll,
    Sector,
)
from app.organisations.school_details import (
    URBAN_RURAL_6FOLD,
    URBAN_RURAL_8FOLD,
    AddressLine,
    AddressLines,
    DataZone,
    Denomination,
    Email,
    Latitude,
    Longitude,
    Phone,
    Postcode,
    Uprn,
    UrbanRural6,
    UrbanRural8,
    Website,
    address_lines_of,
    denomination_of,
    phone_as_dialled,
    read_as_nothing,
    uprn_of,
    urban_rural_6fold_of,
    urban_rural_8fold_of,
    website_of,
)
from app.organisations.service import (
    add_area,
    area_directory,
    authority_directory,
    cluster_directory,
    create_cluster,
    establishments_by_code,
    hold_organisation,
    write_establishment,
)

SECTORS = {
    "elc": Sector.elc, "nursery": Sector.elc, "earlyyears": Sector.elc,
    "earlylearningandchildcare": Sector.elc,
    "primary": Sector.primary, "secondary": Sector.secondary, "special": Sector.special,
    # A pupil referral unit is alternative provision; of our sectors, special is nearest.
    "pru": Sector.special, "pupilreferralunit": Sector.special,
    "allthrough": Sector.all_through,
}
_BAND = re.compile(r"^(\d+(?:\.\d+)?)\s*-\s*<\s*(\d+(?:\.\d+)?)\s*%?$")


def _sector(value: Any) -> Any:
    value = blank_to_none(value)
    if isinstance(value, str):
        found = SECTORS.get(re.sub(r"[^a-z]", "", value.lower()))
        if found is None:
            raise ValueError(f"{value!r} is not a sector: use elc, primary, secondary, special or "
                             "all_through (Primary, Secondary, Special, Nursery and PRU are read too)")
        return found
    return value


def _share(value: Any) -> Any:
    """A percentage, or the SG table's band "45 - <50%", read as its midpoint (47.5)."""
    if isinstance(value, str):
        band = _BAND.match(value.strip())
        if band:
            return (Decimal(band.group(1)) + Decimal(band.group(2))) / 2
    return decimal_number(value)


def _status(value: Any) -> Any:
    value = blank_to_none(value)
    return value.lower() if isinstance(value, str) else value


def _detail(read: Callable[[str], Any] | None = None) -> Any:
    """A detail's cell: blank, or "none" as the registers write it, gives nothing."""
    def before(value: Any) -> Any:
        value = text_code(value)
        if isinstance(value, str):
            return None if read_as_nothing(value) else read(value) if read else value
        return value
    return BeforeValidator(before)


# The details a row gives as its cells hold them (the address lines and the urban/rural
# classes are put together from several).
AS_GIVEN = ("denomination", "postcode", "phone", "email", "website", "uprn", "data_zone",
            "latitude", "longitude")


class EstablishmentRow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: Annotated[EstablishmentCode, BeforeValidator(text_code)]
    name: Annotated[Name, BeforeValidator(blank_to_none)]
    sector: Annotated[Sector, BeforeValidator(_sector)]
    authority_code: Annotated[str | None, BeforeValidator(text_code)] = None
    authority: Annotated[str | None, BeforeValidator(blank_to_none)] = None
    cluster: Annotated[Name | None, BeforeValidator(blank_to_none)] = None
    area: Annotated[ShortText | None, BeforeValidator(blank_to_none)] = None
    roll: Annotated[Roll | None, BeforeValidator(whole_number)] = None
    simd_q1_percent: Annotated[Percent | None, BeforeValidator(_share)] = None
    gaelic_medium: Annotated[bool | None, BeforeValidator(yes_no)] = None
    status: Annotated[EstablishmentStatus | None, BeforeValidator(_status)] = None
    centre_type: Annotated[str | None, BeforeValidator(blank_to_none)] = None
    department: Annotated[str | None, BeforeValidator(text_code)] = None
    denomination: Annotated[Denomination | None, _detail(denomination_of)] = None
    address_line1: Annotated[AddressLine | None, _detail()] = None
    address_line2: Annotated[AddressLine | None, _detail()] = None
    address_line3: Annotated[AddressLine | None, _detail()] = None
    address_lines: Annotated[AddressLines | None, _detail(address_lines_of)] = None
    postcode: Annotated[Postcode | None, _detail()] = None
    phone: Annotated[Phone | None, _detail(phone_as_dialled)] = None
    email: Annotated[Email | None, _detail()] = None
    website: Annotated[Website | None, _detail(website_of)] = None
    uprn: Annotated[Uprn | None, _detail(uprn_of)] = None
    data_zone: Annotated[DataZone | None, _detail()] = None
    # A class's code and its description (AddrUR6 `1`, AddrUR6Desc "Large Urban Areas"): the
    # code when both are given, which the description must agree with.
    urban_rural_6fold: Annotated[UrbanRural6 | None, _detail(urban_rural_6fold_of)] = None
    urban_rural_6fold_name: Annotated[UrbanRural6 | None, _detail(urban_rural_6fold_of)] = None
    urban_rural_8fold: Annotated[UrbanRural8 | None, _detail(urban_rural_8fold_of)] = None
    urban_rural_8fold_name: Annotated[UrbanRural8 | None, _detail(urban_rural_8fold_of)] = None
    latitude: Annotated[Latitude | None, BeforeValidator(decimal_number)] = None
    longitude: Annotated[Longitude | None, BeforeValidator(decimal_number)] = None
    # Filled in when campus departments are merged.
    departments: tuple[tuple[str, Sector, int | None], ...] = ()

    @field_validator("urban_rural_6fold_name", "urban_rural_8fold_name")
    @classmethod
    def _agrees_with_the_code(cls, value: int | None, info: ValidationInfo) -> int | None:
        code = info.data.get((info.field_name or "").removesuffix("_name"))
        if value is not None and code is not None and value != code:
            classes = URBAN_RURAL_6FOLD if "6" in (info.field_name or "") else URBAN_RURAL_8FOLD
            raise ValueError(f"the description says class {value} ({classes[value]}), the "
                             f"code {code} ({classes[code]})")
        return value

    def details(self) -> dict[str, Any]:
        """The school's details this row gives (a blank cell gives nothing)."""
        lines = self.address_lines or [
            line for line in (self.address_line1, self.address_line2, self.address_line3) if line]
        found: dict[str, Any] = {"address_lines": lines or None} | {
            name: getattr(self, name) for name in AS_GIVEN}
        found["urban_rural_6fold"] = self.urban_rural_6fold or self.urban_rural_6fold_name
        found["urban_rural_8fold"] = self.urban_rural_8fold or self.urban_rural_8fold_name
        return {name: value for name, value in found.items() if value is not None}


def merge_departments(first: EstablishmentRow, second: EstablishmentRow) -> EstablishmentRow | None:
    """One SEED, several department rows (SchUID 1004620P, 1004620S): one establishment.
    Primary and secondary departments make it all-through; a special unit alongside a
    mainstream department leaves the mainstream sector. The 2022 table repeats the school's
    roll on every department row, the 2023 one gives each department its own: equal rolls are
    taken once, different ones added up."""
    parts = first.departments or ((first.department or "", first.sector, first.roll),)
    if not second.department or any(d == second.department for d, _, _ in parts) or not parts[0][0]:
        return None  # not departments: a plain duplicate
    parts = (*parts, (second.department, second.sector, second.roll))
    sectors = {sector for _, sector, _ in parts}
    if Sector.all_through in sectors or {Sector.primary, Sector.secondary} <= sectors:
        sector = Sector.all_through
    else:
        sector = next((s for s in (Sector.secondary, Sector.primary, Sector.elc) if s in sectors),
                      first.sector)
    rolls = [roll for _, _, roll in parts if roll is not None]
    roll = None if not rolls else rolls[0] if len(set(rolls)) == 1 else sum(rolls)
    return first.model_copy(update={"sector": sector, "roll": roll, "departments": parts})


def _normal_name(name: str) -> str:
    """Council names as files spell them: "Bristol, City of", "City of Edinburgh",
    "Argyll & Bute Council" and "Argyll and Bute" are found alike."""
    name = name.lower().replace("&", " and ")
    name = re.sub(r",\s*city of$", "", name.strip())
    name = re.sub(r"^(the|city of)\s+", "", name)
    name = re.sub(r"\s+(council|city council)$", "", name)
    return re.sub(r"[^a-z0-9]+", " ", name).strip()


def _directory(ctx: ImportContext) -> dict[str, Any]:
    if "authorities" not in ctx.cache:
        by_code: dict[str, tuple[uuid.UUID, str]] = {}
        by_name: dict[str, list[uuid.UUID]] = {}
        for authority_id, code, name in authority_directory(ctx.session):
            by_code[code.upper()] = (authority_id, code)
            by_name.setdefault(_normal_name(name), []).append(authority_id)
        codes = {authority_id: code for authority_id, code in by_code.values()}
        ctx.cache["authorities"] = {"by_code": by_code, "by_name": by_name, "codes": codes}
    return ctx.cache["authorities"]


def _authority_id(ctx: ImportContext, row: EstablishmentRow) -> uuid.UUID | None:
    directory = _directory(ctx)
    if row.authority_code:
        found = directory["by_code"].get(row.authority_code.upper())
        if found is None:
            raise RowFailure("authority_code", f"no authority with code {row.authority_code!r}")
        return found[0]
    if row.authority:
        ids = directory["by_name"].get(_normal_name(row.authority), [])
        if not ids:
            raise RowFailure("authority", f"no authority named {row.authority!r}: an "
                                          "establishment needs an existing authority (an admin "
                                          "creates it with POST /authorities), or give its code")
        if len(ids) > 1:
            raise RowFailure("authority", f"{row.authority!r} names several authorities; "
                                          "give authority_code instead")
        return ids[0]
    return None


def _cluster_id(ctx: ImportContext, authority_id: uuid.UUID, name: str) -> uuid.UUID:
    key = f"clusters:{authority_id}"
    if key not in ctx.cache:
        ctx.cache[key] = {" ".join(n.casefold().split()): i
                          for n, i in cluster_directory(ctx.session, authority_id).items()}
    clusters: dict[str, uuid.UUID] = ctx.cache[key]
    wanted = " ".join(name.casefold().split())
    if wanted not in clusters:
        try:
            created = create_cluster(ctx.session, ctx.principal,
                                     ClusterCreate(authority_id=authority_id, name=name))
        except Forbidden:
            raise RowFailure("cluster", f"there is no cluster {name!r} in this authority, and "
                                        "only its admins may create one") from None
        clusters[wanted] = created.id
        ctx.also_created["cluster"] += 1
        # Held like the batch's others, so the rows after this one find it without a query.
        ctx.cache["held"].extend(hold_organisation(ctx.session, [authority_id]))
    return clusters[wanted]


def _area(ctx: ImportContext, authority_id: uuid.UUID, name: str) -> tuple[uuid.UUID, str]:
    """The area the file names (its id and name as the hub spells it), created if new."""
    key = f"areas:{authority_id}"
    if key not in ctx.cache:
        ctx.cache[key] = area_directory(ctx.session, authority_id)
    areas: dict[str, uuid.UUID] = ctx.cache[key]
    wanted = fold(name)
    if wanted not in areas:
        try:
            created = add_area(ctx.session, ctx.principal, authority_id, " ".join(name.split()))
        except Forbidden:
            raise RowFailure("area", f"there is no area {name!r} in this authority, and only "
                                     "its admins may create one") from None
        areas[wanted] = created.id
        ctx.also_created["area"] += 1
        ctx.cache["held"].append(created)
    return areas[wanted], name


class Batch:
    """A batch's existing establishments by code, and the authorities and clusters its rows
    name, held in the session while the batch is written."""

    def __init__(self, ctx: ImportContext, rows: list[EstablishmentRow]) -> None:
        self.found = establishments_by_code(ctx.session, ctx.principal, [row.code for row in rows])
        authority_ids: set[uuid.UUID | None] = {e.authority_id for e, _ in self.found.values()}
        if ctx.principal.authority_id is not None:
            authority_ids.add(ctx.principal.authority_id)
        for row in rows:
            with suppress(RowFailure):  # reported when the row is applied
                authority_ids.add(_authority_id(ctx, row) or ctx.principal.authority_id)
        self.held = hold_organisation(ctx.session, {i for i in authority_ids if i is not None})
        ctx.cache["held"] = self.held


def apply(ctx: ImportContext, row: EstablishmentRow, batch: Batch) -> Outcome | Skipped:
    if row.centre_type and row.centre_type.strip().lower() != "local authority":
        return Skipped(f"{row.code} {row.name}: a {row.centre_type} centre; only local-authority "
                       "establishments are imported")
    existing = batch.found.get(row.code)
    values: dict[str, Any] = {name: getattr(row, name) for name in (
        "name", "sector", "area", "roll", "simd_q1_percent", "gaelic_medium", "status")
        if getattr(row, name) is not None} | row.details()
    authority_id = _authority_id(ctx, row)
    if authority_id is not None:
        values["authority_id"] = authority_id
    elif existing is None:
        if ctx.principal.authority_id is None:
            raise RowFailure("authority_code", "name the establishment's authority "
                                               "(authority_code, LACode or the authority's name)")
        values["authority_id"] = ctx.principal.authority_id
    home: uuid.UUID = values["authority_id"] if existing is None else (
        values.get("authority_id") or existing[0].authority_id)
    if row.cluster is not None:
        values["cluster_id"] = _cluster_id(ctx, home, row.cluster)
    if row.area is not None and fold(row.area):
        values["area_id"], values["area"] = _area(ctx, home, row.area)
    try:
        _, outcome = write_establishment(ctx.session, ctx.principal, row.code, values, existing)
    except Forbidden:
        code = _directory(ctx)["codes"].get(home)
        raise RowFailure("authority_code", f"not allowed to write establishments of authority "
                                           f"{code}") from None
    return Outcome(outcome)


COLUMNS = {
    **dict.fromkeys(("code", "seedcode", "seed", "urn", "establishmentcode"), "code"),
    **dict.fromkeys(("name", "schoolname", "establishmentname"), "name"),
    **dict.fromkeys(("sector", "schooltype", "phase"), "sector"),
    **dict.fromkeys(("authoritycode", "lacode", "gsscode"), "authority_code"),
    **dict.fromkeys(("authority", "authorityname", "laname", "la", "localauthority"), "authority"),
    **dict.fromkeys(("cluster", "clustername"), "cluster"),
    "area": "area",
    **dict.fromkeys(("roll", "pupilroll", "pupils"), "roll"),
    **dict.fromkeys(("simdq1percent", "proppupils20pcmostdeprived", "prop20pcmostdeprived"),
                    "simd_q1_percent"),
    **dict.fromkeys(("gaelicmedium", "gaelic"), "gaelic_medium"),
    "status": "status",
    **dict.fromkeys(("centretype",), "centre_type"),
    **dict.fromkeys(("schuid",), "department"),
    **dict.fromkeys(("denomination", "denominationofschool"), "denomination"),
    **dict.fromkeys(("addressline1", "address1"), "address_line1"),
    **dict.fromkeys(("addressline2", "address2"), "address_line2"),
    **dict.fromkeys(("addressline3", "address3"), "address_line3"),
    "addresslines": "address_lines",
    **dict.fromkeys(("postcode", "postalcode"), "postcode"),
    **dict.fromkeys(("phone", "phonenumber", "telephone", "telephonenumber"), "phone"),
    **dict.fromkeys(("email", "emailaddress"), "email"),
    **dict.fromkeys(("website", "websiteaddress"), "website"),
    "uprn": "uprn",
    "datazone": "data_zone",
    **dict.fromkeys(("urbanrural6fold", "urbanrural6", "addrur6"), "urban_rural_6fold"),
    **dict.fromkeys(("urbanrural6desc", "addrur6desc", "schools6foldurbanruralclassification"),
                    "urban_rural_6fold_name"),
    **dict.fromkeys(("urbanrural8fold", "urbanrural8", "addrur8"), "urban_rural_8fold"),
    **dict.fromkeys(("urbanrural8desc", "addrur8desc", "schools8foldurbanruralclassification"),
                    "urban_rural_8fold_name"),
    "latitude": "latitude",  # never `lat`: see the module's docstring
    "longitude": "longitude",
}

SPEC = register(ImportKindSpec(
    name="establishments", row=EstablishmentRow, columns=COLUMNS,
    required=("code", "name", "sector"), key="code", lookup=Batch, apply=apply,
    merge=merge_departments,
    fields_of={"authority_id": "authority_code", "cluster_id": "cluster", "code": "code",
               "name": "name", "sector": "sector", "roll": "roll", "area": "area", "area_id": "area",
               "simd_q1_percent": "simd_q1_percent", "status": "status",
               "address_lines": "address_line1", "urban_rural_6fold": "urban_rural_6fold",
               "urban_rural_8fold": "urban_rural_8fold", **{name: name for name in AS_GIVEN}},
))
