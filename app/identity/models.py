"""Storage for users, their establishments, integration clients, tokens and rate counters."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Uuid
from sqlmodel import Field, SQLModel

from app.core.models import Versioned
from app.core.text import FoldedField, keep_folded
from app.core.types import UTCDateTime, utcnow


class User(Versioned, table=True):
    __tablename__ = "app_user"
    email: str = Field(sa_type=String(254), unique=True, index=True)
    name: str = Field(default="", sa_type=String(200))
    name_folded: str = FoldedField("name")  # what `q` searches (core/text.py)
    password_hash: str = Field(sa_type=String(255))
    role: str = Field(sa_type=String(20), index=True)
    authority_id: uuid.UUID | None = Field(default=None, foreign_key="authority.id", index=True)
    region_id: uuid.UUID | None = Field(default=None, foreign_key="region.id", index=True)
    is_authority_admin: bool = Field(default=False)
    active: bool = Field(default=True)
    is_demo: bool = Field(default=False)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Access tokens carry the value this had when they were issued (claim `gen`); raising it
    # refuses every one issued before, at once (deps.user_principal). A counter, not a time:
    # exact within a second and across replicas' clocks.
    token_generation: int = Field(default=0)


keep_folded(User, name_folded="name")


class HeadteacherEstablishment(SQLModel, table=True):
    """Which establishments a headteacher leads (one or more)."""

    __tablename__ = "headteacher_establishment"
    user_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    )
    establishment_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid, ForeignKey("establishment.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class IntegrationClient(Versioned, table=True):
    __tablename__ = "integration_client"
    name: str = Field(sa_type=String(200))
    secret_hash: str = Field(sa_type=String(64))
    scopes: list[str] = Field(default_factory=list, sa_type=JSON)
    authority_id: uuid.UUID | None = Field(default=None, foreign_key="authority.id", index=True)
    region_id: uuid.UUID | None = Field(default=None, foreign_key="region.id", index=True)
    active: bool = Field(default=True)


class RefreshToken(SQLModel, table=True):
    """Opaque, stored hashed; one family per login, rotated on every use."""

    __tablename__ = "refresh_token"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    family_id: uuid.UUID = Field(index=True)
    user_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    )
    token_hash: str = Field(sa_type=String(64), unique=True)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RevokedAccessToken(SQLModel, table=True):
    __tablename__ = "revoked_access_token"
    jti: str = Field(sa_type=String(64), primary_key=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class RateLimitCounter(SQLModel, table=True):
    """Fixed-window counters in the database, so every replica counts the same hits."""

    __tablename__ = "rate_limit_counter"
    key: str = Field(sa_type=String(300), primary_key=True)
    window_start: int = Field(primary_key=True)
    hits: int = Field(default=0)
