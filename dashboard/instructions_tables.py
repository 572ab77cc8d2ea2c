"""The app database's tables of instructions (指令) and their events (revision 0009_instructions).

An instruction is never deleted: each step it takes (下达, 签收, 开始处置, 反馈, 办结确认, 退回,
重新下达) is one row of ``instruction_events``, and ``instructions`` holds its current state.
Times are UNIX seconds (shown in Asia/Shanghai). Defined on :data:`dashboard.db.metadata`, so the
migrations' drift check covers them.
"""
from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table, Text

from dashboard.db import metadata

instructions = Table(
    "instructions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", Text, nullable=False),  # what to do
    Column("action", String(20), nullable=False, server_default=""),  # 处置 | 核查 | 上报 | 整改 | ""
    Column("dept_id", String(100), nullable=False, index=True),  # the department that handles it
    Column("department", String(200), nullable=False, server_default=""),  # its name when issued
    Column("region_id", String(100)),
    Column("region", String(200), nullable=False, server_default=""),
    Column("incident_id", String(100), index=True),  # the incident behind it, if any
    Column("category", String(100), nullable=False, server_default=""),
    Column("deadline_at", Float, nullable=False),
    Column("issued_by", String(100), nullable=False),
    Column("issued_at", Float, nullable=False, index=True),
    Column("origin", String(20), nullable=False),  # sentence | button
    Column("sentence", Text, nullable=False, server_default=""),  # the sentence it came from
    Column("state", String(20), nullable=False, index=True),  # dashboard.instructions.STATES
    Column("updated_at", Float, nullable=False),
    Column("closed_at", Float),  # when it was confirmed 已办结
)

instruction_events = Table(  # append-only: one row per step, never updated or deleted
    "instruction_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("instruction_id", Integer, ForeignKey("instructions.id"), nullable=False, index=True),
    Column("at", Float, nullable=False, index=True),
    Column("actor", String(100), nullable=False),
    Column("step", String(20), nullable=False),  # dashboard.instructions.STEPS
    Column("from_state", String(20), nullable=False, server_default=""),
    Column("to_state", String(20), nullable=False),
    Column("note", Text, nullable=False, server_default=""),  # the feedback, the reason of a return
)
