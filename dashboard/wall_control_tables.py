"""The app database's tables of wall control (revision 0010_wall_screens): the named wall screens and
the commands sent to them. A kiosk token names its screen in ``kiosk_tokens.screen`` (dashboard/auth_tables.py).

Defined on :data:`dashboard.db.metadata`, so the migrations' drift check covers them.
"""
from __future__ import annotations

from sqlalchemy import Column, Float, Integer, String, Table

from dashboard.db import metadata

wall_screens = Table(  # one row per named screen: made when a token is issued for it, or when it first checks in
    "wall_screens", metadata,
    Column("name", String(32), primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float),  # the coarse heartbeat (at most one write per screen and interval per process)
    Column("showing", String(500), nullable=False, server_default=""),  # the view URL it reported showing; "" = 轮播/默认
)

wall_commands = Table(  # append-only: the newest command for a screen (or for "*", every screen) is what it shows
    "wall_commands", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # max(id) is the commands' version
    Column("screen", String(32), nullable=False, index=True),  # a screen's name, or "*" for every screen
    Column("kind", String(10), nullable=False),  # wall (a view of the wall) | drill (a drill-down page) | rotation
    Column("url", String(500), nullable=False),  # the view URL, same-origin and relative
    Column("label", String(200), nullable=False),  # what /console shows for it: 全市, 区县：…, 恢复轮播 …
    Column("issued_by", String(100), nullable=False),
    Column("issued_at", Float, nullable=False),
)
