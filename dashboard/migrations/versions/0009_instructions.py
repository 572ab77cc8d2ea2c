"""Instructions (指令) tracked until done, and department accounts.

- ``instructions``: what, where (region, incident), which department, the deadline, who issued it,
  from a sentence or a button, and its current state;
- ``instruction_events``: every step of every instruction (append-only; an instruction is never deleted);
- ``users.department``: the department a 部门 account is bound to (NULL for the other roles).

Revision ID: 0009_instructions
Revises: 0008_capture_token
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_instructions"
down_revision = "0008_capture_token"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instructions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("action", sa.String(20), nullable=False, server_default=""),
        sa.Column("dept_id", sa.String(100), nullable=False),
        sa.Column("department", sa.String(200), nullable=False, server_default=""),
        sa.Column("region_id", sa.String(100)),
        sa.Column("region", sa.String(200), nullable=False, server_default=""),
        sa.Column("incident_id", sa.String(100)),
        sa.Column("category", sa.String(100), nullable=False, server_default=""),
        sa.Column("deadline_at", sa.Float, nullable=False),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.Column("issued_at", sa.Float, nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("sentence", sa.Text, nullable=False, server_default=""),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("closed_at", sa.Float),
    )
    for column in ("dept_id", "incident_id", "issued_at", "state"):
        op.create_index(f"ix_instructions_{column}", "instructions", [column])
    op.create_table(
        "instruction_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("instruction_id", sa.Integer, sa.ForeignKey("instructions.id"), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=False, server_default=""),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    for column in ("instruction_id", "at"):
        op.create_index(f"ix_instruction_events_{column}", "instruction_events", [column])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("department", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("department")
    op.drop_table("instruction_events")
    op.drop_table("instructions")
