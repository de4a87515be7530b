"""Users and integration clients: who may manage whom, and the bindings that scope them."""

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import Conflict, rule
from app.core.models import touch
from app.core.pagination import Paginator
from app.core.schemas import current_session
from app.core.security import digest, hash_password, new_secret, unusable_password_hash
from app.core.text import contains_folded
from app.core.types import utcnow
from app.identity.models import HeadteacherEstablishment, IntegrationClient, User
from app.identity.policy import load_visible, require, visible
from app.identity.principal import Principal, Role
from app.identity.schemas import (
    ClientCreate,
    ClientCreated,
    ClientRead,
    MeRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from app.identity.tokens import end_sessions, revoke_all_for_user
from app.organisations.models import Authority, Establishment, Region


def _establishment_ids(session: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    if not user_ids:
        return found
    rows = session.execute(
        select(col(HeadteacherEstablishment.user_id), col(HeadteacherEstablishment.establishment_id))
        .where(col(HeadteacherEstablishment.user_id).in_(user_ids))
        .order_by(col(HeadteacherEstablishment.establishment_id))
    )
    for user_id, establishment_id in rows.tuples():
        found.setdefault(user_id, []).append(establishment_id)
    return found


def _reads(session: Session, users: list[User]) -> list[UserRead]:
    links = _establishment_ids(session, [u.id for u in users])
    return [UserRead.model_validate({**u.model_dump(), "establishment_ids": links.get(u.id, [])})
            for u in users]


def user_read(session: Session, user: User) -> UserRead:
    return _reads(session, [user])[0]


def me(session: Session, principal: Principal) -> MeRead:
    name = ""
    if principal.kind == "user":
        user = session.get(User, principal.id)
        name = user.name if user else ""
    return MeRead(
        kind=principal.kind, id=principal.id, label=principal.label, name=name,
        role=principal.role, scopes=sorted(principal.scopes), authority_id=principal.authority_id,
        region_id=principal.region_id, establishment_ids=sorted(principal.establishment_ids),
        is_authority_admin=principal.is_authority_admin, current_session=current_session(),
    )


def _bind(session: Session, values: dict[str, Any], establishment_ids: list[uuid.UUID]) -> None:
    """Make the role's binding consistent: officers an authority, leads a region,
    headteachers establishments (whose authority becomes theirs), admins nothing."""
    role = values["role"]
    if role != Role.officer and values.get("is_authority_admin"):
        raise rule("is_authority_admin", "Only officers can be authority admins.")
    if role == Role.officer:
        if values.get("authority_id") is None or session.get(Authority, values["authority_id"]) is None:
            raise rule("authority_id", "An officer needs an existing authority_id.")
        values["region_id"] = None
    elif role == Role.regional_lead:
        if values.get("region_id") is None or session.get(Region, values["region_id"]) is None:
            raise rule("region_id", "A regional lead needs an existing region_id.")
        values["authority_id"] = None
    elif role == Role.headteacher:
        if not establishment_ids:
            raise rule("establishment_ids", "A headteacher leads at least one establishment.")
        authorities = set(session.scalars(
            select(col(Establishment.authority_id)).where(col(Establishment.id).in_(establishment_ids))
        ))
        found = session.scalar(select(func.count()).where(col(Establishment.id).in_(establishment_ids)))
        if found != len(set(establishment_ids)):
            raise rule("establishment_ids", "Some establishment_ids do not exist.")
        if len(authorities) != 1:
            raise rule("establishment_ids", "A headteacher's establishments share one authority.")
        values["authority_id"] = authorities.pop()
        values["region_id"] = None
    else:
        values["authority_id"] = values["region_id"] = None
    if role != Role.headteacher and establishment_ids:
        raise rule("establishment_ids", "Only headteachers lead establishments.")


def _set_establishments(session: Session, principal: Principal, user: User,
                        establishment_ids: list[uuid.UUID]) -> None:
    led = set(session.scalars(select(col(HeadteacherEstablishment.establishment_id)).where(
        col(HeadteacherEstablishment.user_id) == user.id)))
    session.execute(delete(HeadteacherEstablishment).where(col(HeadteacherEstablishment.user_id) == user.id))
    for establishment_id in dict.fromkeys(establishment_ids):
        session.add(HeadteacherEstablishment(user_id=user.id, establishment_id=establishment_id))
    _heads_changed(session, principal, led ^ set(establishment_ids))


def _heads_changed(session: Session, principal: Principal, school_ids: set[uuid.UUID]) -> None:
    """These schools' headteachers changed: each has a new version (its ETag follows what it
    says), and the change feed says so."""
    if not school_ids:
        return
    for school in session.scalars(select(Establishment).where(col(Establishment.id).in_(school_ids))):
        before = snapshot(school)
        touch(school)
        record_change(session, principal, "establishment.headteachers", school, before=before,
                      audited=False)


def list_users(session: Session, principal: Principal, paginator: Paginator, *, limit: int,
               cursor: str | None, role: Role | None = None, authority_id: uuid.UUID | None = None,
               active: bool | None = None, q: str | None = None) -> tuple[list[UserRead], str | None]:
    stmt = select(User).where(visible(principal, User))
    if role is not None:
        stmt = stmt.where(col(User.role) == role)
    if authority_id is not None:
        stmt = stmt.where(col(User.authority_id) == authority_id)
    if active is not None:
        stmt = stmt.where(col(User.active) == active)
    if q:
        stmt = stmt.where(contains_folded(col(User.name_folded), q)
                          | contains_folded(col(User.email), q))
    rows, next_cursor = paginator.page(session, stmt, [col(User.email), col(User.id)],
                                       scope="users", limit=limit, cursor=cursor)
    return _reads(session, rows), next_cursor


def get_user(session: Session, principal: Principal, user_id: uuid.UUID) -> UserRead:
    return user_read(session, load_visible(session, principal, User, user_id))


class EmailUnavailable(Conflict):
    """The address is held by an account the caller cannot see: another authority's, an
    admin's, or a deleted one (deleted accounts are visible to nobody). Emails are the sign-in
    name and unique across the service, so it cannot be given to a new account; but the
    answer is word for word the same whoever holds it, and says nothing of the holder (not
    that it exists elsewhere, nor where, nor that it was deleted): no caller can learn
    whether an address has an account outside their reach (issue #19, point 8a)."""

    def __init__(self, email: str) -> None:
        super().__init__(
            f"The email address {email!r} cannot be given to a new account; if it belongs to "
            "a colleague who moved, ask the service's administrators to move their account.")


def _email_taken(email: str, *, seen: bool) -> Conflict:
    """The answer for an address that is taken: an account the caller sees (and can read
    anyway) is named as existing; any other holder gets EmailUnavailable."""
    if seen:
        return Conflict(f"A user with email {email!r} already exists.")
    return EmailUnavailable(email)


def _email_holder(session: Session, principal: Principal, email: str) -> bool | None:
    """Whether the caller sees the account holding this email; None if the address is free."""
    found = session.execute(select(col(User.deleted_at), visible(principal, User))
                            .where(col(User.email) == email)).first()
    if found is None:
        return None
    deleted_at, seen = found
    return bool(seen) and deleted_at is None


def _new_user(session: Session, principal: Principal, values: dict[str, Any],
              establishment_ids: list[uuid.UUID], password_hash: str, *,
              is_demo: bool = False) -> User:
    """The user these values make, bound by its role's rules and the caller's to create:
    checked, not yet written."""
    _bind(session, values, establishment_ids)
    user = User(**values, password_hash=password_hash, is_demo=is_demo)
    require(principal, "user.create", user)
    return user


def _insert_user(session: Session, principal: Principal, values: dict[str, Any],
                 establishment_ids: list[uuid.UUID], password_hash: str, *, is_demo: bool = False,
                 email_known_free: bool = False) -> UserRead:
    user = _new_user(session, principal, values, establishment_ids, password_hash, is_demo=is_demo)
    if not email_known_free:
        seen = _email_holder(session, principal, values["email"])
        if seen is not None:
            raise _email_taken(values["email"], seen=seen)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        # Taken meanwhile by someone else's request: whose account it is, this caller may not
        # see, so the answer is the one that names no holder. An import (email_known_free)
        # has its own answer for a row that lost such a race.
        if email_known_free or "email" not in str(exc.orig).lower():
            raise
        raise EmailUnavailable(values["email"]) from None
    _set_establishments(session, principal, user, establishment_ids)
    session.flush()
    created = user_read(session, user)
    record_change(session, principal, "user.create", user,
                  after_extra={"establishment_ids": [str(i) for i in created.establishment_ids]})
    return created


def create_user(session: Session, principal: Principal, data: UserCreate,
                *, is_demo: bool = False) -> UserRead:
    values = data.model_dump(exclude={"password", "establishment_ids"})
    return _insert_user(session, principal, values, data.establishment_ids,
                        hash_password(data.password), is_demo=is_demo)


# Imports: the same rules, with the batch's users looked up in one go --------------------

BOUND_FIELDS = ("name", "role", "authority_id", "region_id", "is_authority_admin", "active")


def users_by_email(session: Session, principal: Principal,
                   emails: list[str]) -> dict[str, tuple[User, bool, list[uuid.UUID]]]:
    """The users holding these emails, each with whether the caller may see it and the
    establishments it leads: two queries for a whole batch of an import."""
    rows = list(session.execute(
        select(User, visible(principal, User)).where(col(User.email).in_(emails))).tuples())
    links = _establishment_ids(session, [user.id for user, _ in rows])
    return {user.email: (user, bool(seen), links.get(user.id, [])) for user, seen in rows}


def write_user(session: Session, principal: Principal, email: str, values: dict[str, Any],
               establishment_ids: list[uuid.UUID] | None,
               found: tuple[User, bool, list[uuid.UUID]] | None, *, dry_run: bool = False) -> str:
    """Create or bring up to date the user with this email: "created", "updated" or
    "unchanged". `values` holds the fields a file gives (BOUND_FIELDS); establishment_ids None
    keeps the current ones. Users created here get an unusable password: nobody can sign in
    as them until an admin sets one (PATCH /users/{id}).

    An email held by an account the caller cannot see (or a deleted one) is, to a dry run, a
    free address: the row is checked as a new user and reported "created", and nothing is
    written, so a dry run tests no list of addresses. The import itself refuses the row with
    the answer POST /users gives (EmailUnavailable), which names no holder."""
    user, seen, current = found if found is not None else (None, False, [])
    if user is None or not seen or user.deleted_at is not None:
        new = {**values, "email": email}
        if user is None:
            _insert_user(session, principal, new, establishment_ids or [],
                         unusable_password_hash(), email_known_free=True)
            return "created"
        _new_user(session, principal, new, establishment_ids or [], unusable_password_hash())
        if dry_run:
            return "created"
        raise EmailUnavailable(email)
    wanted = current if establishment_ids is None else establishment_ids
    merged = {**user.model_dump(), **values}
    _bind(session, merged, wanted)
    if (all(getattr(user, name) == merged[name] for name in BOUND_FIELDS)
            and sorted(set(wanted)) == sorted(current)):
        return "unchanged"
    changes = {name: merged[name] for name in BOUND_FIELDS if getattr(user, name) != merged[name]}
    update_user(session, principal, user.id,
                UserUpdate.model_validate({**changes, "establishment_ids": wanted}),
                IfMatch(None, required=False))
    return "updated"


def update_user(session: Session, principal: Principal, user_id: uuid.UUID, data: UserUpdate,
                if_match: IfMatch) -> UserRead:
    user = load_visible(session, principal, User, user_id)
    require(principal, "user.update", user)
    if_match(user.version)
    changes = data.model_dump(exclude_unset=True, exclude={"password", "establishment_ids"})
    current = user_read(session, user)
    establishment_ids = (data.establishment_ids if data.establishment_ids is not None
                         else current.establishment_ids)
    merged = {**user.model_dump(), **changes}
    _bind(session, merged, establishment_ids)
    prospective = User.model_validate(merged)
    require(principal, "user.update", prospective)  # the result must be theirs to manage too
    before = {**(snapshot(user) or {}), "establishment_ids": [str(i) for i in current.establishment_ids]}
    changed = False
    for name in ("name", "role", "authority_id", "region_id", "is_authority_admin", "active"):
        if getattr(user, name) != merged[name]:
            setattr(user, name, merged[name])
            changed = True
    if data.password is not None:
        user.password_hash = hash_password(data.password)
        end_sessions(session, user)  # refresh and access tokens, at once
        changed = True
    if sorted(set(establishment_ids)) != sorted(current.establishment_ids):
        _set_establishments(session, principal, user, establishment_ids)
        changed = True
    if not user.active:
        revoke_all_for_user(session, user.id)  # deactivation ends every session at once
    if changed:
        user.updated_at = utcnow()
        session.add(user)
        session.flush()
        after: dict[str, Any] = {
            "establishment_ids": [str(i) for i in user_read(session, user).establishment_ids]}
        if data.password is not None:
            after["password_changed"] = True  # that it changed, never what to
        record_change(session, principal, "user.update", user, before=before, after_extra=after)
    return user_read(session, user)


def delete_user(session: Session, principal: Principal, user_id: uuid.UUID, if_match: IfMatch) -> None:
    """Users are never erased (the audit log names them); they are deactivated and hidden."""
    user = load_visible(session, principal, User, user_id)
    require(principal, "user.delete", user)
    if_match(user.version)
    if user.id == principal.id:
        raise Conflict("You cannot delete your own account.")
    before = {**(snapshot(user) or {}),
              "establishment_ids": [str(i) for i in user_read(session, user).establishment_ids]}
    user.active = False
    user.deleted_at = utcnow()
    user.updated_at = utcnow()
    revoke_all_for_user(session, user.id)
    _set_establishments(session, principal, user, [])
    session.flush()
    record_change(session, principal, "user.delete", user, before=before, deleted=True)


def sign_out_everywhere(session: Session, principal: Principal, user_id: uuid.UUID) -> None:
    """End every session of the user at once: refresh tokens revoked, access tokens refused."""
    user = load_visible(session, principal, User, user_id)
    require(principal, "user.sign_out_everywhere", user)
    before = snapshot(user)
    end_sessions(session, user)
    session.flush()
    record_change(session, principal, "user.sign_out_everywhere", user, before=before)


# Integration clients ------------------------------------------------------------------


def _client_read(client: IntegrationClient) -> ClientRead:
    return ClientRead.model_validate({**client.model_dump(), "client_id": str(client.id)})


def list_clients(session: Session, principal: Principal, paginator: Paginator, *, limit: int,
                 cursor: str | None) -> tuple[list[ClientRead], str | None]:
    stmt = select(IntegrationClient).where(visible(principal, IntegrationClient))
    rows, next_cursor = paginator.page(
        session, stmt, [col(IntegrationClient.name), col(IntegrationClient.id)],
        scope="clients", limit=limit, cursor=cursor)
    return [_client_read(c) for c in rows], next_cursor


def get_client(session: Session, principal: Principal, client_id: uuid.UUID) -> ClientRead:
    return _client_read(load_visible(session, principal, IntegrationClient, client_id))


def create_client(session: Session, principal: Principal, data: ClientCreate) -> ClientCreated:
    if (data.authority_id is None) == (data.region_id is None):
        raise rule("authority_id", "Bind the client to exactly one authority or one region.")
    if data.authority_id is not None and session.get(Authority, data.authority_id) is None:
        raise rule("authority_id", f"No authority with id {data.authority_id}.")
    if data.region_id is not None and session.get(Region, data.region_id) is None:
        raise rule("region_id", f"No region with id {data.region_id}.")
    secret = "cs_" + new_secret()
    client = IntegrationClient(
        name=data.name, scopes=sorted({str(s) for s in data.scopes}), secret_hash=digest(secret),
        authority_id=data.authority_id, region_id=data.region_id,
    )
    require(principal, "client.create", client)
    session.add(client)
    session.flush()
    record_change(session, principal, "client.create", client)
    return ClientCreated.model_validate({**_client_read(client).model_dump(), "client_secret": secret})


def delete_client(session: Session, principal: Principal, client_id: uuid.UUID) -> None:
    client = load_visible(session, principal, IntegrationClient, client_id)
    require(principal, "client.delete", client)
    before = snapshot(client)
    session.delete(client)
    session.flush()
    record_change(session, principal, "client.delete", client, before=before, deleted=True)


# The change feed's documents (audit/feed.py): what GET answers.
feed_document("user", User, key=lambda u: {"email": u.email})(_reads)
feed_document("client", IntegrationClient)(
    lambda _session, clients: [_client_read(c) for c in clients])
