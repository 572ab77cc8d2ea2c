"""The app database's tables of accounts and the audit trail (revision 0006_auth).

Defined on :data:`dashboard.db.metadata`, so the migrations' drift check covers them.
"""
from __future__ import annotations

from sqlalchemy import Column, Float, Integer, String, Table, Text

from dashboard.db import metadata

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(50), nullable=False),
    Column("password_hash", Text, nullable=False),  # argon2id, with its parameters and salt
    Column("created_at", Float, nullable=False),
    Column("disabled_at", Float),  # NULL while the account may log in
    Column("department", String(100)),  # the dept_id a 部门 account is bound to (0009_instructions)
)

kiosk_tokens = Table(  # read-only wall screens and the capture's service token: only the hash is kept
    "kiosk_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("revoked_at", Float),
    Column("last_used_at", Float),
    Column("scope", String(20), nullable=False, server_default="kiosk"),  # kiosk | capture (0008_capture_token)
    Column("screen", String(32)),  # the wall screen this kiosk token may claim (0010_wall_screens); NULL: none
)

auth_sessions = Table(  # one row per login: a logout or a disabled user ends it in every process
    "auth_sessions", metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the secret the session cookie carries
    Column("user_id", Integer, nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("address", String(100), nullable=False, server_default=""),
)

login_attempts = Table(  # failed logins per "user:<name>" and "addr:<address>" within the window
    "login_attempts", metadata,
    Column("key", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", Float, nullable=False),
)

audit_log = Table(  # append-only from the app: no web code path updates or deletes a row
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False, index=True),
    Column("actor", String(100), nullable=False, index=True),  # user name, "kiosk:<name>" or "匿名"
    Column("actor_kind", String(20), nullable=False),  # user | kiosk | anonymous | cli
    Column("action", String(50), nullable=False, index=True),
    Column("target", Text, nullable=False, server_default=""),
    Column("outcome", String(20), nullable=False),  # ok | denied | failed
    Column("address", String(100), nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default=""),
)

app_secrets = Table(  # keys every process shares: the one signing session cookies
    "app_secrets", metadata,
    Column("name", String(50), primary_key=True),
    Column("value", Text, nullable=False),
)
