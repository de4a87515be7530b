"""Import kind `acel`: Achievement of Curriculum for Excellence levels, as published.

Accepted files:
- the national release by authority (the Scottish Government's ACEL table 10 data: `year`
  2016/17, `lacode` (SG's 3-digit code, 7000 for Scotland), `LA`, `cohort`, `stage` ("P1, P4
  and P7 combined", "S3 - Third level"), `organiser` ("Listening & Talking"), `percent`);
  Scotland's rows are kept as the national comparator, not as an authority;
- a council's own per-school figures: the same columns with a SEED code (`SeedCode`, `seed`,
  `school_code`) naming the establishment.

A blank or suppressed percent is stored as not published, never as zero. Authorities' and
schools' figures are written by admins, the authority's admins and clients with
`imports:write` for it; Scotland's by admins only (other rows fail, one by one).
"""

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.core.errors import Forbidden
from app.core.schemas import SchoolSession
from app.integration.imports.kinds.published_places import councils, unknown_school, visible_schools
from app.integration.imports.published import folded, published_number, school_session
from app.integration.imports.registry import register
from app.integration.imports.rows import (
    ImportContext,
    ImportKindSpec,
    Outcome,
    RowFailure,
    blank_to_none,
    decimal_number,
    text_code,
    whole_number,
)
from app.performance.places import Councils, is_scotland
from app.performance.schemas import Organiser, Percent, Stage
from app.performance.service import acel_scope, stored_acel, write_acel

STAGES = {"p1": Stage.p1, "p4": Stage.p4, "p7": Stage.p7, "p147": Stage.p147,
          "p1p4andp7combined": Stage.p147, "p1p4p7": Stage.p147, "p1p4p7combined": Stage.p147,
          "s3third": Stage.s3_third, "s3thirdlevel": Stage.s3_third,
          "s3fourth": Stage.s3_fourth, "s3fourthlevel": Stage.s3_fourth}
ORGANISERS = {"reading": Organiser.reading, "writing": Organiser.writing,
              "listeningtalking": Organiser.listening_talking,
              "listeningandtalking": Organiser.listening_talking,
              "literacy": Organiser.literacy, "numeracy": Organiser.numeracy}


def _one_of(table: dict[str, Any], example: str) -> Any:
    def convert(value: Any) -> Any:
        value = blank_to_none(value)
        if isinstance(value, str):
            found = table.get(folded(value))
            if found is None:
                raise ValueError(f"not one of the published values, e.g. {example}")
            return found
        return value
    return convert


def _figure(value: Any) -> Any:
    return decimal_number(published_number(value))


class AcelRow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    school_session: Annotated[SchoolSession, BeforeValidator(school_session)]
    la_code: Annotated[str | None, BeforeValidator(text_code)] = None
    authority: Annotated[str | None, BeforeValidator(blank_to_none)] = None
    school_code: Annotated[str | None, BeforeValidator(text_code)] = None
    stage: Annotated[Stage, BeforeValidator(_one_of(STAGES, "P1, P4 and P7 combined, S3 - Third level"))]
    organiser: Annotated[Organiser, BeforeValidator(_one_of(ORGANISERS, "Listening & Talking"))]
    # Scotland's is some 55,000 pupils; bounded so that a bigger one fails as a row.
    cohort: Annotated[int | None, Field(ge=0, le=1_000_000),
                      BeforeValidator(lambda v: whole_number(published_number(v)))] = None
    percent: Annotated[Percent | None, BeforeValidator(_figure)] = None

    @property
    def figure(self) -> str:
        """The record's key: whose figure, for which session, stage and organiser."""
        whose = self.school_code or self.la_code or (self.authority or "").strip().lower()
        return f"{whose} {self.school_session} {self.stage.value} {self.organiser.value}"


class Batch:
    """The establishments and stored figures a batch names; the councils, once per import."""

    def __init__(self, ctx: ImportContext, rows: list[AcelRow]) -> None:
        self.councils: Councils = councils(ctx)
        self.schools = visible_schools(ctx, (row.school_code for row in rows))
        self.owners: dict[int, tuple[uuid.UUID | None, uuid.UUID | None]] = {}
        keys = []
        for row in rows:
            try:
                owner = self.owner_of(row)
            except RowFailure:
                continue  # reported when the row is applied
            self.owners[id(row)] = owner
            keys.append((acel_scope(*owner), row.school_session, row.stage.value,
                         row.organiser.value))
        self.stored = stored_acel(ctx.session, keys)

    def owner_of(self, row: AcelRow) -> tuple[uuid.UUID | None, uuid.UUID | None]:
        """(authority id, establishment id); (None, None) for Scotland."""
        if row.school_code is not None:
            school = self.schools.get(row.school_code)
            if school is None:
                raise unknown_school("school_code", row.school_code)
            return school.authority_id, school.id
        if is_scotland(row.la_code, row.authority):
            return None, None
        authority_id = self.councils.find(row.la_code, row.authority)
        if authority_id is None:
            named = " ".join(filter(None, (row.la_code, row.authority and repr(row.authority))))
            raise RowFailure("la_code" if row.la_code else "authority",
                             f"no authority {named or '(none given)'}: give its code (SG's "
                             "3-digit code or S12...) or its name, or a SEED code")
        return authority_id, None


def apply(ctx: ImportContext, row: AcelRow, batch: Batch) -> Outcome:
    authority_id, establishment_id = batch.owners.get(id(row)) or batch.owner_of(row)
    key = (acel_scope(authority_id, establishment_id), row.school_session, row.stage.value,
           row.organiser.value)
    try:
        figure, outcome = write_acel(ctx.session, ctx.principal, authority_id=authority_id,
                                     establishment_id=establishment_id, key=key,
                                     cohort=row.cohort, percent=row.percent,
                                     existing=batch.stored.get(key))
    except Forbidden:
        whose = ("Scotland's figures: they are the administrators'" if authority_id is None
                 else f"the figures of {batch.councils.code_of.get(authority_id)}: they are "
                      "its admins' (and its MIS's, with imports:write)")
        raise RowFailure("la_code" if establishment_id is None else "school_code",
                         f"not allowed to write {whose}") from None
    batch.stored[key] = figure
    return Outcome(outcome)


COLUMNS = {
    **dict.fromkeys(("year", "session", "schoolsession", "academicyear"), "school_session"),
    **dict.fromkeys(("lacode", "authoritycode", "gsscode", "lacodegss"), "la_code"),
    **dict.fromkeys(("la", "laname", "authority", "localauthority", "authorityname"), "authority"),
    **dict.fromkeys(("seedcode", "seed", "schoolcode", "code", "establishmentcode"), "school_code"),
    **dict.fromkeys(("stage", "stagename"), "stage"),
    **dict.fromkeys(("organiser", "curriculumorganiser"), "organiser"),
    **dict.fromkeys(("cohort", "cohortsize", "pupils"), "cohort"),
    **dict.fromkeys(("percent", "percentage", "percentachieving", "value"), "percent"),
    # The published table's sort columns and names: read, and not kept (each its own field,
    # so that none is reported as a second name for another).
    "orgorder": "org_order", "stageorder": "stage_order", "laorder": "la_order",
    **dict.fromkeys(("schoolname", "name"), "school_name"),
}

SPEC = register(ImportKindSpec(
    name="acel", row=AcelRow, columns=COLUMNS,
    required=("school_session", "stage", "organiser"), key="figure", lookup=Batch, apply=apply,
    checks_first=True,
    fields_of={"percent": "percent", "cohort": "cohort"},
))
