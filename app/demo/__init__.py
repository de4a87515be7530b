"""Demo data for development: the West Partnership's councils, clusters and real schools,
one user of each role, and a year of North Lanarkshire's school improvement worth looking at
(plans in every status, reports with grades, support statuses, visits, VSEs, trios, CLPL),
dated from today (`year.Year`) and drawn from seeded random numbers, so every load of the
same day gives the same figures. Everything is written through the services, as a user would
(audit, feed and rules hold). Idempotent: each part adds nothing when it finds its data.
Refused in production.

The parts: `planning` (calendar, plans, reports), `assurance` (support statuses, visits,
VSEs), `learning` (trios, CLPL), `insight` (critical indicators); this module loads the
organisation and the people and runs them in order."""

import csv
from decimal import Decimal
from importlib import resources

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.text import fold
from app.demo.assurance import _demo_assurance, _demo_vse
from app.demo.common import CASELOAD, DEMO_AUTHORITY, DEMO_PASSWORD, DEMO_REGION
from app.demo.insight import _demo_insight
from app.demo.learning import _demo_clpl, _demo_trios
from app.demo.planning import _demo_planning
from app.demo.year import Year
from app.identity import service as identity
from app.identity.models import User
from app.identity.principal import Principal, Role
from app.identity.schemas import UserCreate
from app.organisations.models import Area, Authority, Cluster, Establishment, Region

__all__ = ["DEMO_AUTHORITY", "DEMO_PASSWORD", "DEMO_REGION", "demo_users_present", "seed_demo"]


def seed_demo(session: Session, system: Principal) -> dict[str, int]:
    year = Year.now()
    authorities = {a.code: a for a in session.scalars(select(Authority))}
    clusters = {(c.authority_id, c.name): c for c in session.scalars(select(Cluster))}
    areas = {(a.authority_id, fold(a.name)): a for a in session.scalars(select(Area))}
    existing = set(session.scalars(select(col(Establishment.code))))
    counts = {"areas": 0, "clusters": 0, "establishments": 0, "users": 0}

    def area_of(authority: Authority, name: str) -> Area | None:
        """The authority's area of that name (folded: one area however it is spelt)."""
        if not fold(name):
            return None
        key = (authority.id, fold(name))
        if key not in areas:
            areas[key] = Area(authority_id=authority.id, name=name, former_names=[])
            session.add(areas[key])
            counts["areas"] += 1
        return areas[key]

    text = resources.files("app.reference").joinpath("west_partnership_establishments.csv")
    with text.open("r", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            authority = authorities[row["authority_code"]]
            area = area_of(authority, row["area"])
            cluster = None
            if row["cluster"]:
                key = (authority.id, row["cluster"])
                cluster = clusters.get(key)
                if cluster is None:
                    cluster = Cluster(authority_id=authority.id, name=row["cluster"],
                                      area_id=area.id if area else None,
                                      area=area.name if area else None)
                    session.add(cluster)
                    clusters[key] = cluster
                    counts["clusters"] += 1
            if row["code"] in existing:
                continue
            session.add(Establishment(
                code=row["code"], name=row["name"], sector=row["sector"],
                authority_id=authority.id, cluster_id=cluster.id if cluster else None,
                area_id=area.id if area else None, area=area.name if area else None,
                roll=int(row["roll"]),
                simd_q1_percent=Decimal(row["simd_q1_percent"]) if row["simd_q1_percent"] else None,
                gaelic_medium=row["gaelic_medium"] == "true",
            ))
            counts["establishments"] += 1
    session.flush()
    counts["users"] = _demo_users(session, system, authorities[DEMO_AUTHORITY])
    authority = authorities[DEMO_AUTHORITY]
    # Looked up here at each call (not bound at import), so a test may leave a part out.
    counts["plans"] = _demo_planning(session, system, authority, year)
    counts["vse_cycles"] = _demo_vse(session, system, authority, year)
    counts["visits"] = _demo_assurance(session, system, authority, year)
    counts["trios"] = _demo_trios(session, system, authority, year)
    counts["clpl_events"] = _demo_clpl(session, system, authority, year)
    counts.update(_demo_performance(session, system))
    counts["critical_indicators"] = _demo_insight(session, system, authority, year)
    return counts


# The published files' rows for the demo's region and schools (app/reference/demo_*.csv, taken
# as published from ../shared/data/schools-scotland: the ACEL release for the West Partnership's
# councils and Scotland; the 2025 school statistics and the FOI inspection list for the demo's
# schools), imported through the imports themselves, as a council would.
DEMO_PERFORMANCE: tuple[tuple[str, str, dict[str, str]], ...] = (("acel", "demo_acel.csv", {}),
                    ("school-statistics", "demo_school_statistics.csv", {"session": "2025-26"}),
                    ("inspections", "demo_inspections.csv", {}))


def _demo_performance(session: Session, system: Principal) -> dict[str, int]:
    from app.integration.imports.service import run_import
    from app.performance.models import AcelFigure

    if session.scalars(select(col(AcelFigure.id))).first() is not None:
        return {}
    counts = {}
    for kind, name, options in DEMO_PERFORMANCE:
        body = resources.files("app.reference").joinpath(name).read_bytes()
        report = run_import(session, system, kind, [body], "text/csv", partial=True,
                            options=options)
        counts[kind] = report.created
    return counts


def _demo_users(session: Session, system: Principal, authority: Authority) -> int:
    region = session.scalars(select(Region).where(col(Region.code) == DEMO_REGION)).one()
    school = session.scalars(
        select(Establishment).where(col(Establishment.authority_id) == authority.id,
                                    col(Establishment.sector) == "primary")
        .order_by(col(Establishment.code))
    ).first()
    assert school is not None
    people = [
        UserCreate(email="admin@demo.sih.scot", name="Demo Admin", password=DEMO_PASSWORD,
                   role=Role.admin),
        UserCreate(email="officer@demo.sih.scot", name="Morag Officer", password=DEMO_PASSWORD,
                   role=Role.officer, authority_id=authority.id, is_authority_admin=True),
        UserCreate(email="headteacher@demo.sih.scot", name="Iain Headteacher",
                   password=DEMO_PASSWORD, role=Role.headteacher, establishment_ids=[school.id]),
        UserCreate(email="lead@demo.sih.scot", name="Ruth Regional Lead", password=DEMO_PASSWORD,
                   role=Role.regional_lead, region_id=region.id),
    ]
    added = 0
    for person in people:
        if session.scalars(select(col(User.id)).where(col(User.email) == person.email)).first():
            continue
        user = identity.create_user(session, system, person, is_demo=True)
        added += 1
        if person.role == Role.officer:
            # The demo officer is link officer for a handful of schools, as in real life.
            for establishment in session.scalars(
                select(Establishment).where(col(Establishment.authority_id) == authority.id)
                .order_by(col(Establishment.code)).limit(CASELOAD)
            ):
                establishment.link_officer_id = user.id
    session.flush()
    return added


def demo_users_present(session: Session) -> bool:
    return session.scalars(select(col(User.id)).where(col(User.is_demo))).first() is not None


