"""Password hashing, opaque secrets, and JWT issue/verify with pinned algorithms and key ids."""

import hashlib
import json
import os
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import ExpiredSignatureError, JWTError, jwt

from app.core.config import Settings
from app.core.types import utcnow

ALGORITHM = "RS256"  # the only algorithm we sign with and the only one we accept
_hasher = PasswordHasher()
# Verifying against this keeps unknown-user logins as slow as wrong-password ones.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# Marks a password that no input matches (accounts created by an import, until an admin sets
# one). Argon2 hashes start with "$", so the two can never be confused.
UNUSABLE_PASSWORD_PREFIX = "!"  # noqa: S105 - a marker, not a password


def unusable_password_hash() -> str:
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(32)


def verify_password(password: str, password_hash: str | None) -> bool:
    usable = password_hash is not None and not password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)
    try:
        # Unusable and unknown accounts are checked against a dummy hash: every refusal is as slow.
        return _hasher.verify(password_hash if usable and password_hash else _DUMMY_HASH,
                              password) and usable
    except (VerificationError, InvalidHashError):
        return False


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """Opaque high-entropy secrets (refresh tokens, client secrets) are stored as SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


class InvalidToken(Exception):
    pass


class TokenExpired(InvalidToken):
    """A token we signed, for us, that was valid until its `exp`: the client may refresh it.
    Told apart from every other refusal, which means "sign in again"."""


@dataclass(frozen=True)
class KeyRing:
    active_kid: str
    private_pem: str
    public_pems: dict[str, str]  # every kid that still verifies
    # Parsed once: loading an RSA private key validates it, which costs tens of milliseconds,
    # far too much to pay on every token. A malformed key fails here, at startup.
    signing_key: Any = field(init=False, repr=False, compare=False)
    verifying_keys: dict[str, Any] = field(init=False, repr=False, compare=False)
    # Tokens these keys verified, by raw token: see verify_access_token.
    verified: dict[str, dict[str, Any]] = field(init=False, repr=False, compare=False,
                                                default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "signing_key",
                           serialization.load_pem_private_key(self.private_pem.encode(), password=None))
        object.__setattr__(self, "verifying_keys", {
            kid: serialization.load_pem_public_key(pem.encode()) for kid, pem in self.public_pems.items()
        })

    @classmethod
    def from_settings(cls, settings: Settings) -> "KeyRing":
        if settings.jwt_private_keys:
            private = json.loads(settings.jwt_private_keys)
            active = settings.jwt_active_kid or next(iter(private))
        else:
            active, private = "dev", {"dev": _dev_key(settings)}
        if active not in private:
            raise ValueError(f"SIH_JWT_ACTIVE_KID {active!r} is not among SIH_JWT_PRIVATE_KEYS")
        retired = json.loads(settings.jwt_retired_public_keys) if settings.jwt_retired_public_keys else {}
        # A retired entry never replaces the public half of a key we still hold.
        publics = {**retired, **{kid: public_pem_of(pem) for kid, pem in private.items()}}
        return cls(active, private[active], publics)


def generate_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem_of(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _dev_key(settings: Settings) -> str:
    """Development only: one key file beside the SQLite database, shared by local workers."""
    path = Path("data/jwt-dev-key.pem")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text()
    with os.fdopen(fd, "w") as handle:
        pem = generate_private_pem()
        handle.write(pem)
    return pem


def issue_access_token(
    keys: KeyRing, settings: Settings, subject: str, claims: dict[str, Any]
) -> tuple[str, str, int]:
    now = utcnow()
    ttl = settings.access_token_ttl_seconds
    jti = str(uuid.uuid4())
    payload = {
        **claims,
        "sub": subject,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": jti,
    }
    token = jwt.encode(payload, keys.signing_key, algorithm=ALGORITHM, headers={"kid": keys.active_kid})
    return token, jti, ttl


VERIFIED_CACHE_SIZE = 10_000


def verify_access_token(keys: KeyRing, settings: Settings, token: str) -> dict[str, Any]:
    """The token's claims if it is valid now. A token that verified once is remembered until it
    expires: the RSA check and claim parsing cost more than the rest of a cached read. Only the
    signature and claims are remembered; revocation and the account are checked per request."""
    claims = keys.verified.get(token)
    if claims is not None:
        if claims["exp"] > utcnow().timestamp():
            return claims
        keys.verified.pop(token, None)
    claims = _verify(keys, settings, token)
    if len(keys.verified) >= VERIFIED_CACHE_SIZE:
        keys.verified.clear()  # simple bound; expired entries go with it
    keys.verified[token] = claims
    return claims


def _decode(token: str, public: Any, settings: Settings, *, verify_exp: bool = True
            ) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token,
        public,
        algorithms=[ALGORITHM],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        # python-jose verifies every claim it requires: an `exp` already found expired is
        # neither required nor verified the second time (see _verify).
        options={"require_exp": verify_exp, "require_iat": True, "require_sub": True,
                 "require_jti": True, "require_aud": True, "require_iss": True,
                 "verify_exp": verify_exp},
    )
    return claims


def _verify(keys: KeyRing, settings: Settings, token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except JWTError as exc:
        raise InvalidToken("malformed token") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("algorithm not accepted")
    public = keys.verifying_keys.get(str(header.get("kid")))
    if public is None:
        raise InvalidToken("unknown key id")
    try:
        claims = _decode(token, public, settings)
    except ExpiredSignatureError as exc:
        # python-jose checks the signature first, but `exp` before `aud` and `iss`: expired
        # means genuine only if the token passes every other check as well.
        try:
            _decode(token, public, settings, verify_exp=False)
        except JWTError as other:
            raise InvalidToken(str(other)) from other
        raise TokenExpired("expired") from exc
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    # python-jose checks only that iat is a number: a token "issued" later is not valid yet
    # (judged like nbf, without leeway).
    if float(claims["iat"]) > utcnow().timestamp():
        raise InvalidToken("issued in the future")
    return claims
