"""Proposing trios for an authority's opted-in schools: the database side.

Applies the rules that need the database (the caller may see the school, it is open, in the
authority, not yet in a trio this session, its framework has the focus indicators), then hands
the rest to the pure algorithm in `proposals`. A school's area is the identity the same-area
rule compares (`rules.area_id_of`: its own area, else its cluster's). Nothing is stored: the
officer reviews the groups and creates the trios, each with the `trio` body it comes with;
when something the rules need is missing (the focus indicators), the proposal says so."""

import uuid

from sqlmodel import Session, col, select

from app.core.errors import rule
from app.frameworks.service import Scale, scale_for
from app.identity.policy import require, visible
from app.identity.principal import Principal
from app.learning.trios import proposal_groups as proposals
from app.learning.trios.models import TrioMember, TrioScope
from app.learning.trios.rules import active_headteachers_of, area_id_of, programme_of
from app.learning.trios.schemas import (
    Pairing,
    ProposalRead,
    ProposalRequest,
    ProposedGroup,
    ProposedMember,
    ProposedTrio,
    ProposedTrioMember,
    UnplacedReason,
    UnplacedSchool,
)
from app.organisations.models import Area, Authority, Cluster, Establishment


def propose_trios(session: Session, principal: Principal, data: ProposalRequest) -> ProposalRead:
    authority = session.get(Authority, data.authority_id)
    if authority is None:
        raise rule("authority_id", f"No authority with id {data.authority_id}.", "rule.known_authority")
    require(principal, "trio.propose", TrioScope(authority.id))
    ids = sorted(set(data.establishment_ids))
    schools = {e.id: e for e in session.exec(select(Establishment).where(
        col(Establishment.id).in_(ids), visible(principal, Establishment)))}
    taken = dict(session.exec(select(TrioMember.establishment_id, TrioMember.trio_id).where(
        col(TrioMember.establishment_id).in_(list(schools)),
        TrioMember.session == data.session)).all())
    clusters = {c.id: c for c in session.exec(select(Cluster).where(
        col(Cluster.id).in_({e.cluster_id for e in schools.values() if e.cluster_id})))}
    cluster_area_ids = {c.id: c.area_id for c in clusters.values()}
    areas = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(
        {area_id_of(e, cluster_area_ids) for e in schools.values()} - {None})))}
    programme = programme_of(session, authority.id, data.session)
    fixed = list(programme.indicator_codes) if programme and programme.indicator_codes else None
    codes = list(data.indicator_codes or fixed or [])
    lacking: list[str] = []  # what the groups lack for POST /trios
    if not codes:
        lacking.append("indicator_codes: the groups have no focus. Ask again with one or two "
                       "quality indicators, or add them to each group's `trio` before POST /trios.")
    elif fixed is not None and sorted(codes) != sorted(fixed):
        lacking.append(f"indicator_codes: the authority's programme for {data.session} fixes the "
                       f"focus {' and '.join(fixed)}; ask again with it.")
    scales: dict[str, Scale] = {}
    unplaced: list[UnplacedSchool] = []
    candidates: list[proposals.Candidate] = []

    def leave(establishment_id: uuid.UUID, reason: UnplacedReason, detail: str) -> None:
        unplaced.append(UnplacedSchool(establishment_id=establishment_id, reason=reason,
                                       detail=detail))

    for establishment_id in ids:
        school = schools.get(establishment_id)
        if school is None:
            leave(establishment_id, UnplacedReason.not_found,
                  f"No establishment with id {establishment_id} that you can see.")
            continue
        if school.authority_id != authority.id:
            leave(school.id, UnplacedReason.other_authority,
                  f"{school.name} is not in {authority.name}: a trio is of one authority.")
            continue
        if school.status != "open":
            leave(school.id, UnplacedReason.closed, f"{school.name} is {school.status}.")
            continue
        if school.id in taken:
            leave(school.id, UnplacedReason.already_in_trio,
                  f"{school.name} is already in trio {taken[school.id]} for {data.session}.")
            continue
        if school.sector not in scales:
            scales[school.sector] = scale_for(session, school.sector, authority.framework_code)
        missing = [c for c in codes if c not in scales[school.sector].indicator_codes]
        if missing:
            leave(school.id, UnplacedReason.framework_mismatch,
                  f"{', '.join(missing)} not quality indicators of "
                  f"{scales[school.sector].code}, the framework of {school.name}.")
            continue
        cluster = clusters.get(school.cluster_id) if school.cluster_id else None
        area = areas.get(area_id_of(school, cluster_area_ids))  # type: ignore[arg-type]
        candidates.append(proposals.Candidate(
            id=str(school.id), key=school.code, name=school.name,
            area=str(area.id) if area else None, area_name=area.name if area else None,
            cluster=str(cluster.id) if cluster else None,
            cluster_name=cluster.name if cluster else None, roll=school.roll,
            simd_q1_percent=float(school.simd_q1_percent)
            if school.simd_q1_percent is not None else None))
    result = proposals.propose(candidates)
    heads = active_headteachers_of(session, [uuid.UUID(c.id) for g in result.groups for c in g.members])
    numbers: dict[str, int] = {}
    groups = []
    for g in result.groups:
        numbers[g.area_key] = numbers.get(g.area_key, 0) + 1
        groups.append(_group(g, data, authority.id, codes, heads, numbers[g.area_key]))
    unplaced += [UnplacedSchool(establishment_id=uuid.UUID(u.candidate.id),
                                reason=UnplacedReason(u.reason), detail=u.detail)
                 for u in result.unplaced]
    return ProposalRead(session=data.session, authority_id=authority.id, indicator_codes=codes,
                        ready=not lacking, missing=lacking, score=result.score,
                        placed=sum(len(g.members) for g in groups), groups=groups,
                        unplaced=unplaced)


def _group(group: proposals.Group, data: ProposalRequest, authority_id: uuid.UUID,
           codes: list[str], heads: dict[uuid.UUID, list[uuid.UUID]], number: int) -> ProposedGroup:
    members = []
    for c in group.members:
        theirs = heads.get(uuid.UUID(c.id), [])
        members.append(ProposedMember(
            establishment_id=uuid.UUID(c.id), code=c.key, name=c.name,
            cluster_id=uuid.UUID(c.cluster) if c.cluster else None, cluster_name=c.cluster_name,
            roll=c.roll, simd_q1_percent=c.simd_q1_percent,
            headteacher_id=theirs[0] if len(theirs) == 1 else None))
    trio = ProposedTrio(
        session=data.session, kind=group.kind, authority_id=authority_id, area=group.area,
        name=f"{group.area} {group.kind} {number}", indicator_codes=codes,
        members=[ProposedTrioMember(establishment_id=m.establishment_id,
                                    headteacher_id=m.headteacher_id) for m in members])
    return ProposedGroup(
        kind=group.kind, area=group.area, area_id=uuid.UUID(group.area_key),
        indicator_codes=codes, score=group.score, reason=group.reason, members=members,
        pairings=[Pairing(establishment_ids=[uuid.UUID(p.first.id), uuid.UUID(p.second.id)],
                          reason=p.reason) for p in group.pairings],
        trio=trio)
