"""Accounts: users and integration clients. The admin manages every one; an authority admin
the officers and headteachers of their own authority, and clients bound to it alone. Officers
see the users of their authority; everyone else only themselves; removed users nobody."""

from sqlalchemy import ColumnElement, false, true
from sqlmodel import col

from app.identity.models import IntegrationClient, User
from app.identity.policy.primitives import Clause, Rule
from app.identity.principal import Principal, Role


def _users(principal: Principal) -> ColumnElement[bool]:
    alive = col(User.deleted_at).is_(None)
    if principal.is_admin:
        return alive
    if principal.role == Role.officer and principal.authority_id is not None:
        return alive & (col(User.authority_id) == principal.authority_id)
    if principal.is_client:
        return false()
    return alive & (col(User.id) == principal.id)


def _clients(principal: Principal) -> ColumnElement[bool]:
    if principal.is_admin:
        return true()
    if principal.administers(principal.authority_id):
        return col(IntegrationClient.authority_id) == principal.authority_id
    return false()


def _manages_user(p: Principal, record: User) -> bool:
    if p.is_admin:
        return True
    # Authority admins manage the officers and headteachers of their own authority.
    return p.administers(record.authority_id) and record.role in (Role.officer, Role.headteacher)


VISIBILITY: dict[type, Clause] = {
    User: _users,
    IntegrationClient: _clients,
}
RULES: dict[str, Rule] = {
    "user.create": _manages_user,
    "user.update": _manages_user,
    "user.delete": _manages_user,
    # Whoever manages the account, and its owner (a lost laptop): ends sessions, changes nothing.
    "user.sign_out_everywhere": lambda p, r: (p.kind == "user" and p.id == r.id) or _manages_user(p, r),
    "client.create": lambda p, r: p.is_admin or (
        p.administers(r.authority_id) and r.region_id is None
    ),
    "client.delete": lambda p, r: p.is_admin or p.administers(r.authority_id),
}
