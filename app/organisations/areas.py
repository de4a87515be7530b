"""An authority's areas: named things, listed, chosen, renamed, merged. Schools and clusters
hold an area's id and, for the reads, its name, which every rename and merge restates. A
write names an area by id or by name; a name finds the area whatever its case, accents or
apostrophes (core/text.fold), or by a name it had. Only imports create areas implicitly."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import Conflict, rule
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.text import contains_folded, fold
from app.core.types import utcnow
from app.identity.policy import load_visible, require, visible
from app.identity.principal import Principal
from app.organisations.models import Area, Authority, Cluster, Establishment
from app.organisations.schemas import AreaCreate, AreaListItem, AreaMerge, AreaRead, AreaUpdate

Page = tuple[list[Any], str | None]


def find_area(session: Session, authority_id: uuid.UUID, name: str) -> Area | None:
    """The authority's area that `name` names: its name or one it had, compared folded."""
    wanted = fold(name)
    if not wanted:
        return None
    found = session.scalars(select(Area).where(col(Area.authority_id) == authority_id,
                                               col(Area.name_folded) == wanted)).first()
    if found is not None:
        return found
    # A few dozen areas an authority: their former names are compared here, not in SQL.
    others = session.scalars(select(Area).where(col(Area.authority_id) == authority_id))
    return next((a for a in others if any(fold(n) == wanted for n in a.former_names)), None)


def _known_as(area: Area, name: str) -> bool:
    wanted = fold(name)
    return wanted == fold(area.name) or any(fold(n) == wanted for n in area.former_names)


def _names_kept(current: str, names: Iterable[str]) -> list[str]:
    """Former names, once each as folded, without those the current name already finds."""
    seen = {fold(current)}
    kept = []
    for name in names:
        if fold(name) not in seen:
            seen.add(fold(name))
            kept.append(name)
    return kept


def _free_area_name(session: Session, authority_id: uuid.UUID, name: str,
                    exclude: uuid.UUID | None = None) -> None:
    other = find_area(session, authority_id, name)
    if other is None or other.id == exclude:
        return
    if other.name_folded == fold(name):
        raise Conflict(f"The authority already has an area named {other.name!r}.")
    raise Conflict(f"{name!r} is a former name of the area {other.name!r}: rename that area, "
                   "or merge into it.")


def _area_documents(session: Session, areas: list[Area]) -> list[AreaListItem]:
    """Areas with how many schools and clusters are in each."""
    ids = [a.id for a in areas]
    schools: dict[Any, int] = {}
    clusters: dict[Any, int] = {}
    if ids:
        effective = func.coalesce(col(Establishment.area_id), col(Cluster.area_id))
        schools = dict(session.execute(
            select(effective, func.count()).select_from(Establishment)
            .outerjoin(Cluster, col(Cluster.id) == col(Establishment.cluster_id))
            .where(effective.in_(ids)).group_by(effective)).tuples().all())
        clusters = dict(session.execute(
            select(col(Cluster.area_id), func.count()).where(col(Cluster.area_id).in_(ids))
            .group_by(col(Cluster.area_id))).tuples().all())
    return [AreaListItem.model_validate({**a.model_dump(), "establishment_count": schools.get(a.id, 0),
                                         "cluster_count": clusters.get(a.id, 0)}) for a in areas]


def list_areas(session: Session, principal: Principal, paginator: Paginator, authority_id: uuid.UUID,
               *, limit: int, cursor: str | None, q: str | None = None) -> Page:
    authority = load_visible(session, principal, Authority, authority_id)
    stmt = select(Area).where(col(Area.authority_id) == authority.id, visible(principal, Area))
    if q:
        stmt = stmt.where(contains_folded(col(Area.name_folded), q))
    rows, next_cursor = paginator.page(session, stmt, [col(Area.name), col(Area.id)],
                                       scope="areas", limit=limit, cursor=cursor)
    return _area_documents(session, rows), next_cursor


def get_area(session: Session, principal: Principal, area_id: uuid.UUID) -> AreaRead:
    return AreaRead.model_validate(load_visible(session, principal, Area, area_id))


def add_area(session: Session, principal: Principal, authority_id: uuid.UUID, name: str) -> Area:
    """A new area of the authority (its name free there), audited."""
    area = Area(authority_id=authority_id, name=name, name_folded=fold(name), former_names=[])
    require(principal, "area.create", area)
    _free_area_name(session, authority_id, name)
    session.add(area)
    session.flush()
    record_change(session, principal, "area.create", area)
    return area


def create_area(session: Session, principal: Principal, authority_id: uuid.UUID,
                data: AreaCreate) -> AreaRead:
    authority = load_visible(session, principal, Authority, authority_id)
    return AreaRead.model_validate(add_area(session, principal, authority.id, data.name))


def _restate_area(session: Session, principal: Principal, area: Area,
                  members_of: uuid.UUID) -> tuple[int, int]:
    """Give the schools and clusters of area `members_of` the area `area`, its id and name,
    each write audited and in the change feed; how many schools and clusters changed."""
    changed: list[tuple[str, Any, dict[str, Any] | None]] = []
    for model, action in ((Establishment, "establishment.update"), (Cluster, "cluster.update")):
        for record in session.scalars(select(model).where(
                col(model.area_id) == members_of).order_by(col(model.id))):
            before = snapshot(record)
            if apply_changes(record, {"area_id": area.id, "area": area.name}):
                changed.append((action, record, before))
    session.flush()
    for action, record, before in changed:
        record_change(session, principal, action, record, before=before)
    schools = sum(action == "establishment.update" for action, _r, _b in changed)
    return schools, len(changed) - schools


def update_area(session: Session, principal: Principal, area_id: uuid.UUID, data: AreaUpdate,
                if_match: IfMatch) -> AreaRead:
    """A rename: the area's schools and clusters take the new name; the old one still finds it."""
    area = load_visible(session, principal, Area, area_id)
    require(principal, "area.update", area)
    if_match(area.version)
    name = data.model_dump(exclude_unset=True).get("name")
    if name is None or name == area.name:
        return AreaRead.model_validate(area)
    _free_area_name(session, area.authority_id, name, exclude=area.id)
    before = snapshot(area)
    apply_changes(area, {"name": name, "former_names": _names_kept(name, [*area.former_names, area.name])})
    session.flush()
    _restate_area(session, principal, area, area.id)
    record_change(session, principal, "area.update", area, before=before)
    return AreaRead.model_validate(area)


def merge_area(session: Session, principal: Principal, area_id: uuid.UUID, data: AreaMerge,
               if_match: IfMatch) -> AreaRead:
    """Merge this area into another of its authority, in one transaction: its schools and
    clusters move, its names become the other's former names, and it is deleted."""
    source = load_visible(session, principal, Area, area_id)
    require(principal, "area.merge", source)
    if_match(source.version)
    if data.into_area_id == source.id:
        raise rule("into_area_id", "An area cannot be merged into itself: name another area of "
                   "the authority.", "rule.other_area")
    target = session.scalars(select(Area).where(col(Area.id) == data.into_area_id,
                                                visible(principal, Area))).first()
    if target is None or target.authority_id != source.authority_id:
        raise rule("into_area_id", f"No area with id {data.into_area_id} in the authority of "
                   f"{source.name}: areas merge within one authority.", "rule.same_authority")
    schools, clusters = _restate_area(session, principal, target, source.id)
    before_target, before_source = snapshot(target), snapshot(source)
    apply_changes(target, {"former_names": _names_kept(
        target.name, [*target.former_names, source.name, *source.former_names])})
    target.updated_at = utcnow()  # a new version even when the names were already known
    session.delete(source)
    session.flush()
    merged = {"merged": {"area_id": str(source.id), "name": source.name,
                         "establishments": schools, "clusters": clusters}}
    record_change(session, principal, "area.merge", target, before=before_target,
                  after_extra=merged)
    record_change(session, principal, "area.merge", source, before=before_source, deleted=True)
    return AreaRead.model_validate(target)


def resolve_area(session: Session, authority_id: uuid.UUID, values: dict[str, Any],
                 *, create_as: Principal | None = None) -> Area | None:
    """Set `values`' area (`area_id` and `area`, the name) to an area of the authority: the
    one `area_id` gives, or `area` names (they must agree when both are given); neither, or
    null: none. An unknown name is a 422, unless `create_as` (an import) may create it."""
    area_id, name = values.get("area_id"), values.get("area")
    if name is not None and not name.strip():
        name = None
    area = None
    if area_id is not None:
        area = session.get(Area, area_id)
        if area is None or area.authority_id != authority_id:
            raise rule("area_id", f"No area with id {area_id} in the authority.",
                       "rule.known_area")
        if name is not None and not _known_as(area, name):
            raise rule("area", f"{name!r} does not name the area {area_id} ({area.name}): send "
                       "one of them, or both agreeing.", "rule.known_area")
    elif name is not None:
        area = find_area(session, authority_id, name)
        if area is None and create_as is not None:
            area = add_area(session, create_as, authority_id, name.strip())
        if area is None:
            authority = session.get(Authority, authority_id)
            where = authority.name if authority else "the authority"
            raise rule("area", f"No area named {name!r} in {where}: name one of its areas "
                       f"(GET /api/v1/authorities/{authority_id}/areas), or create it first.",
                       "rule.known_area")
    values["area_id"], values["area"] = (area.id, area.name) if area else (None, None)
    return area
