"""Import kind `inspections`: external inspections with their QI grades, as Education
Scotland's inspection list is published (the FOI release of each school's latest inspection:
SEED, LA Name, School Name, Inspection Date, Publication Date, one `QI x.y` column per
quality indicator, Note), and as councils keep their own.

- Dates as Excel serials (40133, also with a time: 40609.333333333328), YYYY-MM-DD or
  DD/MM/YYYY. A school "not since opened" (text instead of a date, no grades) is skipped with
  a warning.
- A grade of 0 (or a blank) means "not graded in that framework"; 1-6 are grades. Grades are
  checked against the framework in force on the inspection's date: HGIOS3 before August 2016,
  HGIOS4 since.
- The LA name, with its variants ("Aberdeen City Council  ", "The Highland Council",
  "Comhairle nan Eilean Siar"), must be the school's authority; rows of grant-aided schools
  the service does not hold are skipped; other SEED codes it does not hold fail, row by row.
- `body`: Education Scotland (the default) or the Care Inspectorate.
"""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from app.core.errors import Forbidden
from app.integration.imports.kinds.published_places import councils, unknown_school, visible_schools
from app.integration.imports.published import day, folded
from app.integration.imports.registry import register
from app.integration.imports.rows import (
    ImportContext,
    ImportKindSpec,
    Noted,
    Outcome,
    RowFailure,
    Skipped,
    blank_to_none,
    text_code,
    whole_number,
)
from app.performance.places import is_grant_aided
from app.performance.schemas import InspectionBody
from app.performance.service import (
    framework_codes,
    framework_on,
    stored_inspections,
    write_inspection,
)

QIS = ("1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7",
       "3.1", "3.2", "3.3", "5.1", "5.3", "5.9", "8.3")
BODIES = {"educationscotland": InspectionBody.education_scotland, "es": InspectionBody.education_scotland,
          "hmie": InspectionBody.education_scotland,
          "careinspectorate": InspectionBody.care_inspectorate, "ci": InspectionBody.care_inspectorate}


def _field(qi: str) -> str:
    return "qi_" + qi.replace(".", "_")


def _day_or_text(value: Any) -> Any:
    """A date, or the text a file gives instead ("not since opened -2021/22"). A date that does
    not exist (31/02/2020, 2020-02-31, a serial out of range) is refused: read as text, the row
    would be skipped as "not inspected"."""
    value = blank_to_none(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
                raise ValueError(f"{text!r} is not a date") from None
        found = day(text)  # raises for a date-shaped text that is no date
        return found if isinstance(found, date) else text
    return day(value)


NOT_GRADED = frozenset({"noqis", "noqi", "notgraded", "ng"})
NOT_PUBLISHED_YET = frozenset({"inspectioninprogress", "inprogress", "notyetpublished",
                               "unpublished"})


def _grade(value: Any) -> Any:
    if isinstance(value, str) and folded(value) in NOT_GRADED:  # the FOI file's "No QIs"
        return None
    value = whole_number(value)
    return None if value == 0 else value  # 0: not graded in that framework


def _published(value: Any) -> Any:
    """The publication date; None while the report is not out ("inspection in progress")."""
    if isinstance(value, str) and folded(value) in NOT_PUBLISHED_YET:
        return None
    return day(value)


def _body(value: Any) -> Any:
    value = blank_to_none(value)
    if isinstance(value, str):
        found = BODIES.get(folded(value))
        if found is None:
            raise ValueError("Education Scotland or Care Inspectorate")
        return found
    return value


Grade = Annotated[int | None, Field(ge=1, le=6), BeforeValidator(_grade)]


class InspectionRow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    school_code: Annotated[str, BeforeValidator(text_code)]
    authority: Annotated[str | None, BeforeValidator(blank_to_none)] = None
    school_name: Annotated[str | None, BeforeValidator(blank_to_none)] = None
    body: Annotated[InspectionBody, BeforeValidator(_body)] = InspectionBody.education_scotland
    inspected_on: Annotated[date | str, BeforeValidator(_day_or_text)]
    published_on: Annotated[date | None, BeforeValidator(_published)] = None
    note: Annotated[str | None, Field(max_length=500), BeforeValidator(blank_to_none)] = None
    grades: dict[str, Grade] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _grades(cls, cells: Any) -> Any:
        """One `QI x.y` column per indicator: gathered into `grades`."""
        if isinstance(cells, dict):
            cells = dict(cells)
            cells["grades"] = {qi: cells.pop(_field(qi)) for qi in QIS if _field(qi) in cells}
        return cells

    @property
    def inspection(self) -> str:
        """The key: one inspection per school and date."""
        return f"{self.school_code} on {self.inspected_on}"


class Batch:
    def __init__(self, ctx: ImportContext, rows: list[InspectionRow]) -> None:
        if "frameworks" not in ctx.cache:
            ctx.cache["frameworks"] = framework_codes(ctx.session)
        self.frameworks: dict[str, frozenset[str]] = ctx.cache["frameworks"]
        self.councils = councils(ctx)
        self.schools = visible_schools(ctx, (row.school_code for row in rows))
        self.stored = stored_inspections(ctx.session, [
            (self.schools[row.school_code].id, row.body.value, row.inspected_on) for row in rows
            if row.school_code in self.schools and isinstance(row.inspected_on, date)])


def apply(ctx: ImportContext, row: InspectionRow, batch: Batch) -> Outcome | Skipped | Noted:
    graded = {qi: grade for qi, grade in row.grades.items() if grade is not None}
    label = f"{row.school_code} {row.school_name or ''}".strip()
    if isinstance(row.inspected_on, str):
        if graded:
            raise RowFailure("inspected_on", f"{row.inspected_on!r} is not a date, and the row "
                                             "has grades: give the inspection's date")
        return Skipped(f"{label}: not inspected ({row.inspected_on})")
    school = batch.schools.get(row.school_code)
    if school is None:
        if is_grant_aided(row.authority):
            return Skipped(f"{label}: a grant-aided school the service does not hold")
        raise unknown_school("school_code", row.school_code)
    # The SEED code says which school; the council's name is the file's description of it. A
    # name that is another council's is a slip in the file (the FOI release puts Alloway
    # Primary in South Lanarkshire): the inspection is imported, and the sender told.
    mismatch = None
    if row.authority is not None and not is_grant_aided(row.authority):
        named = batch.councils.find(None, row.authority)
        if named != school.authority_id:
            held = batch.councils.name_of.get(school.authority_id)
            mismatch = (f"{row.school_code} is a school of {held}, not of "
                        f"{row.authority.strip()!r} as the file says: imported for {held}"
                        if named else f"no authority is named {row.authority.strip()!r}: "
                                      f"imported for {held}, the school's authority")
    framework = framework_on(row.inspected_on)
    outside = sorted(set(graded) - batch.frameworks.get(framework, frozenset()))
    if outside:
        raise RowFailure(_field(outside[0]), f"QI {', '.join(outside)} is not a quality "
                                             f"indicator of {framework}, the framework in force "
                                             f"on {row.inspected_on}")
    key = (school.id, row.body.value, row.inspected_on)
    try:
        stored, outcome = write_inspection(
            ctx.session, ctx.principal, school, body=row.body.value,
            inspected_on=row.inspected_on, published_on=row.published_on, grades=graded,
            note=row.note, existing=batch.stored.get(key))
    except Forbidden:
        raise RowFailure("school_code", f"not allowed to write the inspections of "
                                        f"{row.school_code}: they are its authority's admins' "
                                        "(and its MIS's, with imports:write)") from None
    batch.stored[key] = stored
    return Noted(Outcome(outcome), "authority", mismatch) if mismatch else Outcome(outcome)


COLUMNS = {
    **dict.fromkeys(("seed", "seedcode", "schoolcode", "code"), "school_code"),
    **dict.fromkeys(("laname", "la", "localauthority", "authority"), "authority"),
    **dict.fromkeys(("schoolname", "name"), "school_name"),
    **dict.fromkeys(("body", "inspectorate", "inspectionbody"), "body"),
    **dict.fromkeys(("inspectiondate", "inspectedon", "date"), "inspected_on"),
    **dict.fromkeys(("publicationdate", "publishedon", "published"), "published_on"),
    **dict.fromkeys(("note", "notes", "comment"), "note"),
    **{"qi" + qi.replace(".", ""): _field(qi) for qi in QIS},
}

SPEC = register(ImportKindSpec(
    name="inspections", row=InspectionRow, columns=COLUMNS,
    required=("school_code", "inspected_on"), key="inspection", lookup=Batch, apply=apply, checks_first=True,
))
