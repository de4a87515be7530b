"""Proposing trios for an authority's opted-in schools: the database side.

Applies the rules that need the database (the caller may see the school, it is open, in the
authority, not yet in a trio this session, its framework has the focus indicators), then hands
the rest to the pure algorithm in `proposals`. Nothing is stored: the officer reviews the
groups and creates the trios."""

import uuid

from sqlmodel import Session, col, select

from app.core.errors import rule
from app.frameworks.service import Scale, scale_for
from app.identity.policy import require, visible
from app.identity.principal import Principal
from app.learning.trios import proposal_groups as proposals
from app.learning.trios.models import TrioMember, TrioScope
from app.learning.trios.rules import active_headteachers_of
from app.learning.trios.schemas import (
    Pairing,
    ProposalRead,
    ProposalRequest,
    ProposedGroup,
    ProposedMember,
    UnplacedReason,
    UnplacedSchool,
)
from app.organisations.models import Authority, Cluster, Establishment


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
    codes = data.indicator_codes or []
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
        candidates.append(proposals.Candidate(
            id=str(school.id), key=school.code, name=school.name,
            area=school.area if school.area and school.area.strip() else (
                cluster.area if cluster else None),
            cluster=str(cluster.id) if cluster else None,
            cluster_name=cluster.name if cluster else None, roll=school.roll,
            simd_q1_percent=float(school.simd_q1_percent)
            if school.simd_q1_percent is not None else None))
    result = proposals.propose(candidates)
    heads = active_headteachers_of(session, [uuid.UUID(c.id) for g in result.groups for c in g.members])
    groups = [_group(g, codes, heads) for g in result.groups]
    unplaced += [UnplacedSchool(establishment_id=uuid.UUID(u.candidate.id),
                                reason=UnplacedReason(u.reason), detail=u.detail)
                 for u in result.unplaced]
    return ProposalRead(session=data.session, authority_id=authority.id, indicator_codes=codes,
                        score=result.score, placed=sum(len(g.members) for g in groups),
                        groups=groups, unplaced=unplaced)


def _group(group: proposals.Group, codes: list[str],
           heads: dict[uuid.UUID, list[uuid.UUID]]) -> ProposedGroup:
    members = []
    for c in group.members:
        theirs = heads.get(uuid.UUID(c.id), [])
        members.append(ProposedMember(
            establishment_id=uuid.UUID(c.id), code=c.key, name=c.name,
            cluster_id=uuid.UUID(c.cluster) if c.cluster else None, cluster_name=c.cluster_name,
            roll=c.roll, simd_q1_percent=c.simd_q1_percent,
            headteacher_id=theirs[0] if len(theirs) == 1 else None))
    return ProposedGroup(
        kind=group.kind, area=group.area, indicator_codes=codes, score=group.score,
        reason=group.reason, members=members,
        pairings=[Pairing(establishment_ids=[uuid.UUID(p.first.id), uuid.UUID(p.second.id)],
                          reason=p.reason) for p in group.pairings])
