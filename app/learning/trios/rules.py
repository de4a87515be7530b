"""The rules a trio (or quad) keeps, checked together: one 422 names every rule broken and
the members that break it. Officers may set aside `same_area` and `different_clusters`
(OVERRIDABLE) with a reason; the other rules hold always. The authority's programme for the
session (`TrioProgramme`) may fix the focus every trio takes (`programme_focus`)."""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from app.core.errors import RuleViolation, rule
from app.core.text import fold
from app.frameworks.service import Scale, scale_for
from app.identity.headteachers import active_headteachers, by_school
from app.learning.trios.models import TrioMember, TrioProgramme
from app.learning.trios.schemas import OVERRIDABLE, SIZES, MemberIn, Override, TrioKind, TrioRule
from app.organisations.models import Authority, Cluster, Establishment
from app.organisations.service import find_area


@dataclass
class Violation:
    rule: TrioRule
    message: str
    members: list[int] = field(default_factory=list)  # positions in the members sent
    ids: list[uuid.UUID] = field(default_factory=list)
    loc: str = "establishment_id"


@dataclass
class Proposed:
    """A trio as it would be after the change, with what the rules need to know."""

    session: str
    kind: TrioKind
    authority_id: uuid.UUID
    area: str | None
    indicator_codes: list[str]
    members: list[MemberIn]
    schools: dict[uuid.UUID, Establishment]  # the members the caller can see
    cluster_areas: dict[uuid.UUID, str | None]
    programme_focus: list[str] | None = None  # the focus the authority's programme fixes


def programme_of(session: Session, authority_id: uuid.UUID,
                 session_name: str) -> TrioProgramme | None:
    """The authority's trio programme for the session, if it has set one."""
    return session.exec(select(TrioProgramme).where(
        TrioProgramme.authority_id == authority_id,
        TrioProgramme.session == session_name)).first()


def cluster_areas(session: Session, schools: list[Establishment]) -> dict[uuid.UUID, str | None]:
    ids = {s.cluster_id for s in schools if s.cluster_id is not None}
    if not ids:
        return {}
    return dict(session.exec(select(Cluster.id, Cluster.area).where(col(Cluster.id).in_(ids))).all())


def area_of(school: Establishment, cluster_areas: dict[uuid.UUID, str | None]) -> str | None:
    """The name of the school's own area, else its cluster's."""
    if school.area and school.area.strip():
        return school.area
    return cluster_areas.get(school.cluster_id) if school.cluster_id else None


def cluster_area_ids(session: Session, schools: list[Establishment]) -> dict[uuid.UUID, uuid.UUID | None]:
    ids = {s.cluster_id for s in schools if s.cluster_id is not None}
    if not ids:
        return {}
    return dict(session.exec(select(Cluster.id, Cluster.area_id).where(col(Cluster.id).in_(ids))).all())


def area_id_of(school: Establishment, clusters: dict[uuid.UUID, uuid.UUID | None]) -> uuid.UUID | None:
    """The school's own area, else its cluster's: the identity the same-area rule compares."""
    if school.area_id is not None:
        return school.area_id
    return clusters.get(school.cluster_id) if school.cluster_id else None


def _label(school: Establishment) -> str:
    return f"{school.name} ({school.code})"


def _names(p: Proposed, positions: list[int]) -> str:
    return ", ".join(_label(p.schools[p.members[i].establishment_id]) for i in positions)


def _check_size(p: Proposed) -> list[Violation]:
    found: list[Violation] = []
    want = SIZES[p.kind]
    if len(p.members) != want:
        found.append(Violation(TrioRule.size, f"A {p.kind.value} has {want} members; "
                                              f"{len(p.members)} were sent.", loc=""))
    seen: dict[uuid.UUID, int] = {}
    for i, member in enumerate(p.members):
        if member.establishment_id in seen:
            found.append(Violation(TrioRule.distinct_members,
                                   f"Establishment {member.establishment_id} is listed twice.",
                                   [seen[member.establishment_id], i], [member.establishment_id]))
        seen.setdefault(member.establishment_id, i)
    for i, member in enumerate(p.members):
        if member.establishment_id not in p.schools:
            found.append(Violation(TrioRule.known_establishment,
                                   f"No establishment with id {member.establishment_id} that "
                                   "you can see.", [i], [member.establishment_id]))
    return found


def _known(p: Proposed) -> list[int]:
    """Positions of members the caller can see, each establishment once."""
    seen: set[uuid.UUID] = set()
    positions = []
    for i, m in enumerate(p.members):
        if m.establishment_id in p.schools and m.establishment_id not in seen:
            seen.add(m.establishment_id)
            positions.append(i)
    return positions


def _check_authority(p: Proposed) -> list[Violation]:
    away = [i for i in _known(p)
            if p.schools[p.members[i].establishment_id].authority_id != p.authority_id]
    if not away:
        return []
    return [Violation(TrioRule.one_authority, f"Not in the trio's authority: {_names(p, away)}.",
                      away, [p.members[i].establishment_id for i in away])]


def _check_area(session: Session, p: Proposed) -> list[Violation]:
    """Members in the trio's area, compared by the area's identity: the area its name finds
    among the authority's (core/text.fold; a former name finds it too), which the trio then
    names as the authority spells it."""
    area = find_area(session, p.authority_id, p.area) if p.area else None
    if area is not None:
        p.area = area.name
    known = [i for i in _known(p)  # another authority's school breaks one_authority instead
             if p.schools[p.members[i].establishment_id].authority_id == p.authority_id]
    clusters = cluster_area_ids(session, [p.schools[p.members[i].establishment_id] for i in known])
    away = [i for i in known if area is None
            or area_id_of(p.schools[p.members[i].establishment_id], clusters) != area.id]
    if not away:
        return []
    where = (f"area {area.name}" if area is not None
             else f"area {p.area!r}, which names no area of the authority" if p.area and fold(p.area)
             else "one area (no area is recorded)")
    return [Violation(TrioRule.same_area, f"Not in {where}: {_names(p, away)}.", away,
                      [p.members[i].establishment_id for i in away])]


def _check_clusters(p: Proposed) -> list[Violation]:
    by_cluster: dict[uuid.UUID, list[int]] = {}
    for i in _known(p):
        cluster = p.schools[p.members[i].establishment_id].cluster_id
        if cluster is not None:
            by_cluster.setdefault(cluster, []).append(i)
    shared = [positions for positions in by_cluster.values() if len(positions) > 1]
    return [Violation(TrioRule.different_clusters, f"In the same cluster: {_names(p, positions)}.",
                      positions, [p.members[i].establishment_id for i in positions])
            for positions in shared]


def _check_one_per_session(session: Session, p: Proposed, trio_id: uuid.UUID | None) -> list[Violation]:
    ids = [p.members[i].establishment_id for i in _known(p)]
    stmt = select(TrioMember.establishment_id, TrioMember.trio_id).where(
        col(TrioMember.establishment_id).in_(ids), TrioMember.session == p.session)
    if trio_id is not None:
        stmt = stmt.where(TrioMember.trio_id != trio_id)
    taken = dict(session.exec(stmt).all())
    return [Violation(TrioRule.one_trio_per_session,
                      f"{_names(p, [i])} is already in trio {taken[m.establishment_id]} for "
                      f"{p.session}.", [i], [m.establishment_id])
            for i, m in enumerate(p.members) if i in _known(p) and m.establishment_id in taken]


def active_headteachers_of(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each school's active headteachers: those a trio may name (identity.headteachers)."""
    return by_school(session.execute(active_headteachers(ids))) if ids else {}


def _check_headteachers(session: Session, p: Proposed) -> list[Violation]:
    """Each named headteacher leads that school; an unnamed one is the school's only one."""
    heads = active_headteachers_of(session, [m.establishment_id for m in p.members])
    found = []
    for i in _known(p):
        member = p.members[i]
        theirs = heads.get(member.establishment_id, [])
        if member.headteacher_id is None:
            if len(theirs) == 1:
                p.members[i] = member.model_copy(update={"headteacher_id": theirs[0]})
        elif member.headteacher_id not in theirs:
            found.append(Violation(
                TrioRule.headteacher_of_member, f"User {member.headteacher_id} is not an active "
                f"headteacher of {_names(p, [i])}.", [i], [member.establishment_id],
                loc="headteacher_id"))
    return found


def _check_indicators(session: Session, p: Proposed) -> list[Violation]:
    scales: dict[tuple[str, str | None], Scale] = {}
    frameworks = dict(session.exec(select(Authority.id, Authority.framework_code).where(
        col(Authority.id).in_({s.authority_id for s in p.schools.values()}))).all())
    found = []
    for i in _known(p):
        school = p.schools[p.members[i].establishment_id]
        key = (school.sector, frameworks.get(school.authority_id))
        if key not in scales:
            scales[key] = scale_for(session, *key)
        unknown = [c for c in p.indicator_codes if c not in scales[key].indicator_codes]
        if unknown:
            found.append(Violation(
                TrioRule.focus_indicators, f"{', '.join(unknown)} not quality indicators of "
                f"{scales[key].code}, the framework of {_names(p, [i])}.", [i],
                [school.id], loc=""))
    return found


def _check_programme(p: Proposed) -> list[Violation]:
    if not p.indicator_codes:
        return [Violation(TrioRule.focus_indicators, "Name the focus: one or two quality "
                          f"indicators (the authority's programme for {p.session} fixes "
                          "none).", loc="")]
    wanted = p.programme_focus
    if wanted is None or sorted(p.indicator_codes) == sorted(wanted):
        return []
    return [Violation(TrioRule.programme_focus, f"The authority's programme for {p.session} "
                      f"fixes the focus: {' and '.join(wanted)}; "
                      f"{', '.join(p.indicator_codes) or 'none'} was sent.", loc="")]


def _check_overrides(overrides: list[Override]) -> None:
    for i, override in enumerate(overrides):
        if override.rule not in OVERRIDABLE:
            msg = (f"The {override.rule.value} rule cannot be overridden; only "
                   f"{' and '.join(sorted(r.value for r in OVERRIDABLE))} can.")
            raise rule(["overrides", i, "rule"], msg, f"rule.{override.rule.value}")


FOCUS_RULES = frozenset({TrioRule.focus_indicators, TrioRule.programme_focus})


def check(session: Session, p: Proposed, overrides: list[Override],
          trio_id: uuid.UUID | None = None) -> None:
    """Every rule at once: one 422 that names each rule broken and the members breaking it."""
    _check_overrides(overrides)
    violations = [*_check_size(p), *_check_authority(p), *_check_area(session, p), *_check_clusters(p),
                  *_check_one_per_session(session, p, trio_id), *_check_headteachers(session, p),
                  *_check_indicators(session, p), *_check_programme(p)]
    waived = {o.rule for o in overrides}
    broken = [v for v in violations if v.rule not in waived]
    if not broken:
        return
    errors: list[dict[str, Any]] = []
    for v in broken:
        locs: list[list[str | int]] = (
            [["body", "members", i, v.loc] for i in v.members] if v.members and v.loc
            else [["body", "indicator_codes" if v.rule in FOCUS_RULES else "members"]])
        errors += [{"loc": loc, "msg": f"{v.rule.value}: {v.message}", "type": f"rule.{v.rule.value}"}
                   for loc in locs]
    rules = list(dict.fromkeys(v.rule.value for v in broken))
    hint = ("; an officer may override same_area or different_clusters with a reason"
            if any(v.rule in OVERRIDABLE for v in broken) else "")
    detail = (f"The {p.kind.value} breaks {len(rules)} rule{'s' if len(rules) != 1 else ''}: "
              + " ".join(f"[{v.rule.value}] {v.message}" for v in broken) + hint)
    raise RuleViolation(detail, errors=errors, extensions={"violations": [
        {"rule": v.rule.value, "establishment_ids": [str(i) for i in v.ids], "message": v.message}
        for v in broken]})


def default_area(p: Proposed) -> str | None:
    """The area most members share (the first member's among equals)."""
    areas = [area_of(p.schools[p.members[i].establishment_id], p.cluster_areas)
             for i in _known(p)]
    keyed = [(fold(a), a) for a in areas if a and fold(a)]
    if not keyed:
        return None
    counts = Counter(k for k, _a in keyed)
    top = max(counts.values())
    return next(" ".join((a or "").split()) for k, a in keyed if counts[k] == top)


def no_visible_member(authority_id: uuid.UUID | None, members: list[MemberIn]) -> None:
    if authority_id is not None:
        raise rule("authority_id", f"No authority with id {authority_id}.", "rule.known_authority")
    msg = "known_establishment: none of the members is an establishment you can see."
    raise RuleViolation(msg, errors=[{"loc": ["body", "members", i, "establishment_id"], "msg": msg,
                                      "type": "rule.known_establishment"}
                                     for i in range(len(members))], extensions={"violations": [{
        "rule": TrioRule.known_establishment.value,
        "establishment_ids": [str(m.establishment_id) for m in members], "message": msg}]})
