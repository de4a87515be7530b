"""Storage for regions (RICs), local authorities, clusters and establishments."""

import uuid
from decimal import Decimal

from sqlalchemy import JSON, Column, ForeignKey, Index, Numeric, String, UniqueConstraint, Uuid
from sqlmodel import Field

from app.core.models import Versioned
from app.core.schemas import COUNTED_VISIT_KINDS
from app.core.text import FoldedField, keep_folded


class Region(Versioned, table=True):
    __tablename__ = "region"
    code: str = Field(sa_type=String(64), unique=True, index=True)
    name: str = Field(sa_type=String(200))


class Authority(Versioned, table=True):
    __tablename__ = "authority"
    code: str = Field(sa_type=String(16), unique=True, index=True)
    name: str = Field(sa_type=String(200))
    name_folded: str = FoldedField("name")  # what `q` searches (core/text.py)
    region_id: uuid.UUID | None = Field(default=None, foreign_key="region.id", index=True)
    min_visits_per_session: int = Field(default=4)
    # The kinds of final visit that count toward the minimum (core.schemas.VisitKind values).
    counted_visit_kinds: list[str] = Field(default_factory=lambda: list(COUNTED_VISIT_KINDS),
                                           sa_type=JSON)
    # Plans and reports validate against this framework when set (e.g. LASER), else the sector's.
    framework_code: str | None = Field(default=None, sa_type=String(32))


class Area(Versioned, table=True):
    """A named part of an authority (Airdrie, Blantyre): its schools and clusters are in one,
    and a trio's schools share one. Compared by identity, never by the text of its name; the
    name is unique within the authority as folded (core/text.py: case, accents and apostrophes
    aside), and the names it had before (a rename, an area merged into it) still find it."""

    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("authority_id", "name_folded", name="uq_area_authority_name"),)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    name: str = Field(sa_type=String(200))
    name_folded: str = FoldedField("name")  # what names are compared by (core/text.py)
    former_names: list[str] = Field(default_factory=list, sa_type=JSON)


class Cluster(Versioned, table=True):
    __tablename__ = "cluster"
    __table_args__ = (UniqueConstraint("authority_id", "name", name="uq_cluster_authority_name"),)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    name: str = Field(sa_type=String(200))
    name_folded: str = FoldedField("name")  # what `q` searches (core/text.py)
    # The area (area_id) and its name, kept equal to the area's by every write, rename and
    # merge: reads answer with the name as they always have.
    area_id: uuid.UUID | None = Field(default=None, foreign_key="area.id", index=True)
    area: str | None = Field(default=None, sa_type=String(200))


class Establishment(Versioned, table=True):
    __tablename__ = "establishment"
    # A council's schools in list order (name, then id): an officer's page is read from this
    # index in order instead of sorting the authority's schools per request.
    __table_args__ = (Index("ix_establishment_authority_name", "authority_id", "name", "id"),)
    code: str = Field(sa_type=String(7), unique=True, index=True)
    name: str = Field(sa_type=String(200), index=True)
    name_folded: str = FoldedField("name")  # what `q` searches (core/text.py)
    sector: str = Field(sa_type=String(16), index=True)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    cluster_id: uuid.UUID | None = Field(default=None, foreign_key="cluster.id", index=True)
    area_id: uuid.UUID | None = Field(default=None, foreign_key="area.id", index=True)
    area: str | None = Field(default=None, sa_type=String(200))  # the area's name (as Cluster)
    roll: int = Field(default=0)
    simd_q1_percent: Decimal | None = Field(default=None, sa_type=Numeric(5, 2))
    gaelic_medium: bool = Field(default=False)
    status: str = Field(default="open", sa_type=String(16))
    link_officer_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid, ForeignKey("app_user.id", ondelete="SET NULL"), index=True),
    )
    # What officers need to find and reach the school, and the Scottish Government's facts
    # about it (organisations/school_details.py): kept as the register gives them, never
    # required (a school added by hand may not have them yet).
    denomination: str | None = Field(default=None, sa_type=String(32))
    address_lines: list[str] | None = Field(default=None, sa_type=JSON)  # without the postcode
    postcode: str | None = Field(default=None, sa_type=String(10))
    phone: str | None = Field(default=None, sa_type=String(60))
    email: str | None = Field(default=None, sa_type=String(254))
    website: str | None = Field(default=None, sa_type=String(500))
    uprn: str | None = Field(default=None, sa_type=String(12))
    data_zone: str | None = Field(default=None, sa_type=String(9))
    urban_rural_6fold: int | None = Field(default=None)
    urban_rural_8fold: int | None = Field(default=None)
    latitude: Decimal | None = Field(default=None, sa_type=Numeric(10, 7))
    longitude: Decimal | None = Field(default=None, sa_type=Numeric(10, 7))


for _searched in (Authority, Area, Cluster, Establishment):
    keep_folded(_searched, name_folded="name")
