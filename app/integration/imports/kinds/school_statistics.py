"""Import kind `school-statistics`: the Scottish Government's school level summary statistics
(from the September pupil and teacher census) as published, one row per school; and a
council's own columns beside them: attendance and exclusions per 1,000 pupils.

The published file names no session: send `?session=2025-26` (the session of the September
2025 census), or a `session` column. Suppressed (`c`) and not applicable (`z`) cells are not
published, never zero. Rows of grant-aided schools the service does not hold are skipped
with a warning; other SEED codes the sender cannot see fail, row by row.

A column the file does not have leaves the stored figure as it is: a council's file of
attendance and exclusions alone keeps the census figures (and the census file a council's
attendance). A campus or all-through school the table lists once per department (a Primary and
a Secondary row under one SEED code) is one establishment: its rows are merged into the
school's figures (merge_departments).
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from app.core.errors import Forbidden
from app.core.schemas import SchoolSession
from app.integration.imports.kinds.published_places import unknown_school, visible_schools
from app.integration.imports.published import folded, published_number
from app.integration.imports.published import school_session as written_session
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
)
from app.performance.models import SchoolStatistics
from app.performance.places import is_grant_aided
from app.performance.service import stored_statistics, write_statistics

STAGES = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "S1", "S2", "S3", "S4", "S5", "S6", "SP")
SESSION_OPTION = "session"  # ?session= on the import
QUINTILES = {"q1": "simd_q1", "q2": "simd_q2", "q3": "simd_q3", "q4": "simd_q4", "q5": "simd_q5",
             "not_known": "simd_not_known"}  # stored key -> row field
FIGURES = ("roll", "fte_teachers", "pupil_teacher_ratio", "average_class_size", "asn_pupils",
           "eal_pupils", "gaelic_pupils", "fsm_p1_p5_pupils", "fsm_p1_p5_percent",
           "fsm_p6_s6_pupils", "fsm_p6_s6_percent", "urban_rural", "denomination",
           "attendance_percent", "exclusions_per_1000")
# Pupils, added up over a school's departments (as are FTE teachers).
COUNTS = ("roll", "asn_pupils", "eal_pupils", "gaelic_pupils", "fsm_p1_p5_pupils",
          "fsm_p6_s6_pupils", *STAGES, *QUINTILES.values())


def _count(value: Any) -> Any:
    return whole_number(published_number(value))


def _figure(value: Any) -> Any:
    return decimal_number(published_number(value))


def _text(value: Any) -> Any:
    value = blank_to_none(value)
    return value.strip().removesuffix(" school") if isinstance(value, str) else value


# Bounded as the columns are (a count past them is no school's: refused as a row, not by the
# database for the whole file).
Count = Annotated[int | None, Field(ge=0, le=100_000), BeforeValidator(_count)]
Figure = Annotated[Decimal | None, Field(ge=0, le=100_000), BeforeValidator(_figure)]
Ratio = Annotated[Decimal | None, Field(ge=0, le=1000), BeforeValidator(_figure)]
Share = Annotated[Decimal | None, Field(ge=0, le=100), BeforeValidator(_figure)]


def _class_size(value: Any) -> Any:
    """Secondaries publish a class size of 0: not applicable (no class has no pupils)."""
    value = _figure(value)
    return None if value == 0 else value


class StatisticsRow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    school_code: Annotated[str, BeforeValidator(text_code)]
    authority: Annotated[str | None, BeforeValidator(blank_to_none)] = None
    school_name: Annotated[str | None, BeforeValidator(blank_to_none)] = None
    # (written_session: published.school_session, which this field, once it has its default,
    # would hide in the class body; pydantic would be given BeforeValidator(None).)
    school_session: Annotated[SchoolSession | None, BeforeValidator(written_session)] = None
    school_type: Annotated[str | None, BeforeValidator(blank_to_none)] = None  # the department
    roll: Count = None
    fte_teachers: Figure = None
    pupil_teacher_ratio: Ratio = None
    average_class_size: Annotated[Decimal | None, Field(ge=0, le=1000),
                                  BeforeValidator(_class_size)] = None
    asn_pupils: Count = None
    eal_pupils: Count = None
    gaelic_pupils: Count = None
    fsm_p1_p5_pupils: Count = None
    fsm_p1_p5_percent: Share = None
    fsm_p6_s6_pupils: Count = None
    fsm_p6_s6_percent: Share = None
    urban_rural: Annotated[str | None, Field(max_length=64), BeforeValidator(_text)] = None
    denomination: Annotated[str | None, Field(max_length=64), BeforeValidator(_text)] = None
    attendance_percent: Share = None
    exclusions_per_1000: Annotated[Decimal | None, Field(ge=0, le=1000),
                                   BeforeValidator(_figure)] = None
    P1: Count = None
    P2: Count = None
    P3: Count = None
    P4: Count = None
    P5: Count = None
    P6: Count = None
    P7: Count = None
    S1: Count = None
    S2: Count = None
    S3: Count = None
    S4: Count = None
    S5: Count = None
    S6: Count = None
    SP: Count = None
    simd_q1: Count = None
    simd_q2: Count = None
    simd_q3: Count = None
    simd_q4: Count = None
    simd_q5: Count = None
    simd_not_known: Count = None
    # Not figures: the fields published as `z` (not applicable, where `c` is a suppressed
    # figure), and the departments merged into this row.
    not_applicable: frozenset[str] = frozenset()
    departments: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _marked_not_applicable(cls, cells: Any) -> Any:
        if isinstance(cells, dict):
            cells = {**cells, "not_applicable": frozenset(
                name for name, value in cells.items()
                if isinstance(value, str) and value.strip().lower() == "z")}
        return cells

    @property
    def record(self) -> str:
        """The key: one row per school and session."""
        return f"{self.school_code} in {self.school_session or 'the session asked'}"

    def values(self, held: SchoolStatistics | None) -> dict[str, Any]:
        """The figures of the columns the file has; the others stay as `held` has them."""
        given = self.model_fields_set
        kept = {name: getattr(self, name) for name in FIGURES if name in given}
        stages = {stage: getattr(self, stage) for stage in STAGES if stage in given}
        quintiles = {key: getattr(self, name) for key, name in QUINTILES.items() if name in given}
        if held is None or stages:
            kept["roll_by_stage"] = {**(dict(held.roll_by_stage) if held is not None
                                        else dict.fromkeys(STAGES)), **stages}
        if held is None or quintiles:
            kept["simd_quintiles"] = {**(dict(held.simd_quintiles) if held is not None
                                         else dict.fromkeys(QUINTILES)), **quintiles}
        return kept


def _total(rows: tuple[StatisticsRow, ...], name: str) -> Any:
    """A figure added up over departments: `z` (not applicable) adds nothing; a suppressed or
    blank one leaves the total unknown; not applicable in every department stays None."""
    values = [getattr(row, name) for row in rows]
    if all(value is None for value in values) or any(
            getattr(row, name) is None and name not in row.not_applicable for row in rows):
        return None
    return sum(value for value in values if value is not None)


def _one(rows: tuple[StatisticsRow, ...], name: str) -> Any:
    """A figure that one department has and the others are not applicable for (or equal)."""
    known = {getattr(row, name) for row in rows} - {None}
    if len(known) == 1 and all(getattr(row, name) is not None or name in row.not_applicable
                               for row in rows):
        return known.pop()
    return None


def _share(part: Any, whole: Any) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(100) * part / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def merge_departments(first: StatisticsRow, second: StatisticsRow) -> StatisticsRow | None:
    """One SEED code, a row per department (Lochgilphead Primary School and Lochgilphead High
    School are 8111030): one school's figures, as the establishments import makes one school of
    them. Pupils and FTE teachers are added up, the pupil-teacher ratio and the FSM shares are
    worked out again from the totals, and the class size (counted in primary classes only; a
    secondary's is published as 0) is the department's that has one. Two rows of one type, or
    without a type, are a plain duplicate (None)."""
    parts = first.departments or ((first.school_type,) if first.school_type else ())
    if not parts or not second.school_type or folded(second.school_type) in {
            folded(part) for part in parts}:
        return None
    rows = (first, second)
    merged: dict[str, Any] = {name: _total(rows, name) for name in (*COUNTS, "fte_teachers")}
    not_applicable = first.not_applicable & second.not_applicable
    merged["not_applicable"] = not_applicable
    if merged["roll"] is not None and merged["fte_teachers"]:
        merged["pupil_teacher_ratio"] = (merged["roll"] / merged["fte_teachers"]).quantize(
            Decimal("0.1"), ROUND_HALF_UP)
    else:
        merged["pupil_teacher_ratio"] = None
    sizes = {row.average_class_size for row in rows if row.average_class_size}
    merged["average_class_size"] = sizes.pop() if len(sizes) == 1 else (
        first.average_class_size if first.average_class_size == second.average_class_size
        else None)

    def pupils(*stages: str) -> int | None:
        counts = [merged[s] if merged[s] is not None or s not in not_applicable else 0
                  for s in stages]
        return None if None in counts else sum(counts)

    for share, count, stages in (
            ("fsm_p1_p5_percent", "fsm_p1_p5_pupils", STAGES[:5]),
            ("fsm_p6_s6_percent", "fsm_p6_s6_pupils", STAGES[5:])):
        worked_out = _share(merged[count], pupils(*stages))
        merged[share] = worked_out if worked_out is not None else _one(rows, share)
    for name in ("urban_rural", "denomination", "attendance_percent", "exclusions_per_1000"):
        given = {getattr(row, name) for row in rows} - {None}  # the school's, as one
        merged[name] = given.pop() if len(given) == 1 else None
    merged["departments"] = (*parts, second.school_type)
    return first.model_copy(update=merged)


_SESSION = TypeAdapter(SchoolSession)


def _session_of(ctx: ImportContext, row: StatisticsRow) -> str:
    if row.school_session is not None:
        return row.school_session
    chosen = ctx.options.get(SESSION_OPTION)
    if chosen is None:
        raise RowFailure("school_session", "which session are these figures for? Send "
                                           "?session=2025-26 (the September 2025 census) or a "
                                           "session column")
    try:
        return str(_SESSION.validate_python(chosen))
    except ValidationError as exc:
        raise RowFailure("school_session", exc.errors()[0]["msg"]) from None


class Batch:
    def __init__(self, ctx: ImportContext, rows: list[StatisticsRow]) -> None:
        self.schools = visible_schools(ctx, (row.school_code for row in rows))
        self.stored: dict[str, Any] = {}
        for chosen in {row.school_session or ctx.options.get(SESSION_OPTION) for row in rows}:
            if chosen is not None:
                found = stored_statistics(ctx.session, chosen,
                                          (school.id for school in self.schools.values()))
                self.stored.update({f"{school_id} {chosen}": row for school_id, row in found.items()})


def apply(ctx: ImportContext, row: StatisticsRow, batch: Batch) -> Outcome | Skipped:
    chosen = _session_of(ctx, row)
    school = batch.schools.get(row.school_code)
    if school is None:
        if is_grant_aided(row.authority):
            return Skipped(f"{row.school_code} {row.school_name or ''}: a grant-aided school the "
                           "service does not hold".replace("  ", " "))
        raise unknown_school("school_code", row.school_code)
    key = f"{school.id} {chosen}"
    try:
        held = batch.stored.get(key)
        stored, outcome = write_statistics(ctx.session, ctx.principal, school, chosen,
                                           row.values(held), held)
    except Forbidden:
        raise RowFailure("school_code", f"not allowed to write the statistics of "
                                        f"{row.school_code}: they are its authority's admins' "
                                        "(and its MIS's, with imports:write)") from None
    batch.stored[key] = stored
    return Outcome(outcome)


def _columns() -> dict[str, str]:
    published = {
        "seedcode": "school_code", "seed": "school_code", "schoolcode": "school_code",
        "code": "school_code", "localauthority": "authority", "laname": "authority",
        "authority": "authority", "schoolname": "school_name", "name": "school_name",
        "session": "school_session", "schoolsession": "school_session", "year": "school_session",
        "pupilroll": "roll", "roll": "roll",
        "teachersfulltimeequivalent": "fte_teachers", "fteteachers": "fte_teachers",
        "pupilteacherratio": "pupil_teacher_ratio", "averageclasssize": "average_class_size",
        "pupilswithanadditionalsupportneedrecorded": "asn_pupils", "asnpupils": "asn_pupils",
        "pupilswithenglishasanadditionallanguage": "eal_pupils", "ealpupils": "eal_pupils",
        "pupilstaughtingaelic": "gaelic_pupils", "gaelicpupils": "gaelic_pupils",
        "p1p5pupilsregisteredforfreeschoolmeals": "fsm_p1_p5_pupils",
        "percentageofp1p5pupilsregisteredforfreeschoolmeals": "fsm_p1_p5_percent",
        "p6p7s1s6sppupilsregisteredforfreeschoolmeals": "fsm_p6_s6_pupils",
        "percentageofp6p7s1s6sppupilsregisteredforfreeschoolmeals": "fsm_p6_s6_percent",
        "specialschoolpupils": "SP", "sp": "SP",
        "simdnotavailble": "simd_not_known", "simdnotavailable": "simd_not_known",
        "schools6foldurbanruralclassification": "urban_rural", "urbanrural": "urban_rural",
        "denominationofschool": "denomination", "denomination": "denomination",
        "attendance": "attendance_percent", "attendancerate": "attendance_percent",
        "attendancepercent": "attendance_percent",
        "exclusionsper1000": "exclusions_per_1000", "exclusionsper1000pupils": "exclusions_per_1000",
        "exclusionrateper1000pupils": "exclusions_per_1000",
    }
    published.update({stage.lower(): stage for stage in STAGES})
    published.update({f"simdquintile{n}": f"simd_q{n}" for n in range(1, 6)})
    # Published beside the figures kept, and not kept: read without a warning.
    published["schooltype"] = "school_type"
    for name in ("female", "male", "pupilswithnoadditionalsupportneedsrecorded",
                 "pupilswithoutenglishasanadditionallanguage", "pupilswithnogaelictaught",
                 "whitebritish", "whiteother", "minorityethnic", "notknownnotdisclosed", "urban",
                 "smalltown", "rural", "urbanruralclassificationnotavailable",
                 "schools8foldurbanruralclassification"):
        published[name] = f"not_kept_{name}"  # one field each: no "second name" warning
    return published


SPEC = register(ImportKindSpec(
    name="school-statistics", row=StatisticsRow, columns=_columns(),
    required=("school_code",), key="record", lookup=Batch, apply=apply, checks_first=True,
    merge=merge_departments,
    fields_of={"roll": "roll"},
))
