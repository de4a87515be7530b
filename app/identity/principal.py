"""Who is calling: a user with a role, or an integration client with scopes."""

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    officer = "officer"
    headteacher = "headteacher"
    regional_lead = "regional_lead"


class Scope(StrEnum):
    establishments_read = "establishments:read"
    establishments_write = "establishments:write"
    imports_write = "imports:write"
    visits_write = "visits:write"
    summaries_read = "summaries:read"
    changes_read = "changes:read"


CLIENT_ROLE = "client"


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "client"
    id: uuid.UUID
    label: str  # email or client name: what the audit log shows
    role: str  # a Role, or "client"
    scopes: frozenset[str] = frozenset()
    authority_id: uuid.UUID | None = None
    region_id: uuid.UUID | None = None
    establishment_ids: frozenset[uuid.UUID] = frozenset()
    is_authority_admin: bool = False
    # Authorities whose organisation records it may read: derived once per request.
    authority_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    jti: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def is_client(self) -> bool:
        return self.kind == "client"

    def administers(self, authority_id: uuid.UUID | None) -> bool:
        """Admin, or an officer holding the authority-admin flag for this authority."""
        return self.is_admin or (
            self.role == Role.officer
            and self.is_authority_admin
            and authority_id is not None
            and authority_id == self.authority_id
        )


# Reads a record as everyone may see it, for the change feed's documents (audit/feed.py),
# which then leave out what depends on who asks.
FEED_READER = Principal(kind="system", id=uuid.UUID(int=0), label="change feed", role=Role.admin)
