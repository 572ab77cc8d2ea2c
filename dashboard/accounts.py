"""Users, kiosk tokens, login sessions and the login-failure counts, in the app database.

Passwords are hashed with argon2id (argon2-cffi's defaults, parameters kept in each hash, re-hashed
when they change). A session or kiosk token is a random secret handed to the browser once; the
database keeps only its sha256, so a copy of the database logs nobody in.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from dashboard.auth_tables import app_secrets, auth_sessions, kiosk_tokens, login_attempts, users

log = logging.getLogger("citywall.auth")

_HASHER = PasswordHasher()
MIN_PASSWORD = 8
NAME_MAX = 100
#: a hash to verify against when the user does not exist, so an unknown name takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash("citywall-no-such-user")


KIOSK_SCOPE, CAPTURE_SCOPE = "kiosk", "capture"


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message (Chinese) says why."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    created_at: float
    disabled_at: float | None
    department: str | None = None  # the dept_id of a 部门 account (dashboard/instructions.py)

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class KioskToken:
    id: int
    name: str
    created_at: float
    created_by: str
    revoked_at: float | None
    last_used_at: float | None
    scope: str = KIOSK_SCOPE  # kiosk: a wall screen; capture: the exports' service token (dashboard/capture_token.py)
    screen: str | None = None  # the wall screen name it may claim (/wall?screen=…; dashboard/wall_control.py)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _user(row) -> User:
    return User(row.id, row.name, row.role, row.created_at, row.disabled_at, row.department)


# ---- users -------------------------------------------------------------------------------------------

def add_user(engine: Engine, name: str, role: str, password: str, roles, department: str | None = None) -> User:
    """A new account; ``department``: the dept_id a role that handles its department's instructions
    (``handle_instructions`` without ``admin``: the 部门 role) must be bound to, and only such a role."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise AccountError(f"用户名不能为空，且不超过 {NAME_MAX} 个字符")
    if role not in roles:
        raise AccountError(f"角色 {role!r} 不存在；可选: {'、'.join(roles)}")
    department = (department or "").strip() or None
    if needs_department(roles[role]) and not department:
        raise AccountError(f"角色 {role} 办理本部门指令，须用 --department 指定所属部门编号")
    if department and not needs_department(roles[role]):
        raise AccountError(f"角色 {role} 不办理本部门指令，不能绑定部门；部门账号请用角色 department")
    password_hash = hash_password(password)
    try:
        with engine.connect() as conn, conn.execution_options(write_lock=True).begin():  # looks, then inserts
            if conn.execute(select(users.c.id).where(users.c.name == name)).first():
                raise AccountError(f"用户 {name} 已存在")
            conn.execute(insert(users).values(name=name, role=role, password_hash=password_hash,
                                              created_at=time.time(), department=department))
    except IntegrityError:  # another process added the same name between the look and the insert
        raise AccountError(f"用户 {name} 已存在") from None
    return find_user(engine, name)


def needs_department(permissions) -> bool:
    """Whether a role's accounts are bound to a department: it handles its department's instructions
    and is not the administrator (who sees them all)."""
    return "handle_instructions" in permissions and "admin" not in permissions


def find_user(engine: Engine, name: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(select(users).order_by(users.c.name))]


def count_users(engine: Engine) -> int:
    return len(list_users(engine))


def disable_user(engine: Engine, name: str) -> User:
    """Disable the account and end every session it has, in every process."""
    user = find_user(engine, name)
    if user is None:
        raise AccountError(f"没有用户 {name}")
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user.id).values(disabled_at=user.disabled_at or time.time()))
        conn.execute(delete(auth_sessions).where(auth_sessions.c.user_id == user.id))
    return find_user(engine, name)


def authenticate(engine: Engine, name: str, password: str) -> User | None:
    """The enabled user with this name and password, else None (the same work either way)."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(row.password_hash, password) or row.disabled_at is not None:
        return None
    if _HASHER.check_needs_rehash(row.password_hash):
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == row.id).values(password_hash=_HASHER.hash(password)))
    return _user(row)


def ensure_first_admin(engine: Engine, password: str | None) -> tuple[bool, str | None]:
    """Create the ``admin`` account when the database has no user yet: (created, the password made
    up for it when none was given, to print once)."""
    if count_users(engine):
        return False, None
    made_up = None if password else secrets.token_urlsafe(12)
    try:
        add_user(engine, "admin", "admin", password or made_up, {"admin": ()})
    except AccountError:  # another process starting at the same time made it first
        return False, None
    return True, made_up


def shared_secret(engine: Engine, name: str) -> str:
    """A random key kept in the app database, made by whichever process asks first."""
    with engine.connect() as conn, conn.execution_options(write_lock=True).begin():
        value = conn.execute(select(app_secrets.c.value).where(app_secrets.c.name == name)).scalar()
        if value is None:
            value = secrets.token_urlsafe(48)
            conn.execute(insert(app_secrets).values(name=name, value=value))
    return value


# ---- sessions ----------------------------------------------------------------------------------------

def open_session(engine: Engine, user: User, lifetime_seconds: float, address: str = "") -> str:
    """A new login session of ``user``; returns the secret the session cookie carries."""
    secret = secrets.token_urlsafe(32)
    now = time.time()
    with engine.begin() as conn:
        conn.execute(delete(auth_sessions).where(auth_sessions.c.expires_at < now))
        conn.execute(insert(auth_sessions).values(id=secret_digest(secret), user_id=user.id, created_at=now,
                                                  expires_at=now + lifetime_seconds, address=address[:100]))
    return secret


def session_user(engine: Engine, secret: str) -> User | None:
    """The enabled user of an unexpired session, else None."""
    q = (select(users).join(auth_sessions, auth_sessions.c.user_id == users.c.id)
         .where(auth_sessions.c.id == secret_digest(secret), auth_sessions.c.expires_at > time.time(),
                users.c.disabled_at.is_(None)))
    with engine.connect() as conn:
        row = conn.execute(q).first()
    return _user(row) if row else None


def close_session(engine: Engine, secret: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(auth_sessions).where(auth_sessions.c.id == secret_digest(secret)))


# ---- kiosk tokens -----------------------------------------------------------------------------------

def add_token(engine: Engine, name: str, created_by: str, scope: str = KIOSK_SCOPE,
              screen: str | None = None) -> tuple[KioskToken, str]:
    """A new token (a kiosk token, or of ``scope`` capture the exports' service token); returns it
    and its secret (shown once: only the hash is kept). ``screen``: the wall screen name a kiosk token
    may claim (checked by the caller, dashboard/wall_control.py)."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise AccountError(f"令牌名称不能为空，且不超过 {NAME_MAX} 个字符")
    secret = secrets.token_urlsafe(24)
    with engine.begin() as conn:
        token_id = conn.execute(insert(kiosk_tokens).values(
            name=name, token_hash=secret_digest(secret), created_at=time.time(), created_by=created_by, scope=scope,
            screen=screen)
        ).inserted_primary_key[0]
    return next(t for t in list_tokens(engine) if t.id == token_id), secret


def list_tokens(engine: Engine) -> list[KioskToken]:
    with engine.connect() as conn:
        rows = conn.execute(select(kiosk_tokens).order_by(kiosk_tokens.c.id)).all()
    return [_token(r) for r in rows]


def _token(row) -> KioskToken:
    return KioskToken(row.id, row.name, row.created_at, row.created_by, row.revoked_at, row.last_used_at, row.scope,
                      row.screen)


def revoke_token(engine: Engine, token: str) -> KioskToken:
    """Revoke a token by its id or its name (every active token of that name)."""
    matches = [t for t in list_tokens(engine) if str(t.id) == str(token) or t.name == token]
    if not matches:
        raise AccountError(f"没有令牌 {token}（可用编号或名称）")
    with engine.begin() as conn:
        conn.execute(update(kiosk_tokens).where(kiosk_tokens.c.id.in_([t.id for t in matches]),
                                                kiosk_tokens.c.revoked_at.is_(None)).values(revoked_at=time.time()))
    return next(t for t in list_tokens(engine) if t.id == matches[0].id)


def token_of(engine: Engine, secret: str, touch: bool = False, scope: str = KIOSK_SCOPE) -> KioskToken | None:
    """The active token of ``scope`` with this secret, else None (a service token is no kiosk token,
    nor the reverse); ``touch`` records its use."""
    if not secret:
        return None
    digest = secret_digest(secret)
    with engine.connect() as conn:
        row = conn.execute(select(kiosk_tokens).where(kiosk_tokens.c.token_hash == digest, kiosk_tokens.c.scope == scope,
                                                      kiosk_tokens.c.revoked_at.is_(None))).first()
    if row is not None and touch:
        _touch_token(engine, row.id)
    return _token(row) if row else None


def _touch_token(engine: Engine, token_id: int) -> None:
    """Record a token's use, in a write transaction of its own: one that read first would fail at once
    on SQLite (a snapshot cannot become a write once another process wrote, whatever the busy timeout)
    while a pull writes. Only a record: a database too busy to take it never fails the page."""
    try:
        with engine.begin() as conn:
            conn.execute(update(kiosk_tokens).where(kiosk_tokens.c.id == token_id).values(last_used_at=time.time()))
    except OperationalError:
        log.warning("令牌 %s 的使用时间未能记录（数据库繁忙）", token_id)


# ---- login failures ----------------------------------------------------------------------------------

def login_blocked(engine: Engine, keys: dict[str, int], window_seconds: float) -> bool:
    """Whether any key ("user:<name>", "addr:<address>") reached its limit of failures in the window."""
    now = time.time()
    with engine.connect() as conn:
        rows = conn.execute(select(login_attempts).where(login_attempts.c.key.in_(list(keys)))).all()
    return any(r.failures >= keys[r.key] and now - r.window_start < window_seconds for r in rows)


def record_login_failure(engine: Engine, keys, window_seconds: float) -> None:
    now = time.time()
    with engine.connect() as conn, conn.execution_options(write_lock=True).begin():
        for key in keys:
            row = conn.execute(select(login_attempts).where(login_attempts.c.key == key)).first()
            if row is None:
                conn.execute(insert(login_attempts).values(key=key, failures=1, window_start=now))
            elif now - row.window_start >= window_seconds:  # a new window
                conn.execute(update(login_attempts).where(login_attempts.c.key == key)
                             .values(failures=1, window_start=now))
            else:
                conn.execute(update(login_attempts).where(login_attempts.c.key == key)
                             .values(failures=login_attempts.c.failures + 1))


def clear_login_failures(engine: Engine, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(login_attempts).where(login_attempts.c.key == key))
