"""Wall control: named wall screens, the commands sent to them, and the screen a kiosk token may claim.

- ``wall_screens``: a screen's name, when it was made, its last heartbeat and the view it shows;
- ``wall_commands``: every view sent to a screen (or to ``*``, every screen), by whom and when
  (append-only; the newest command for a screen is what it shows);
- ``kiosk_tokens.screen``: the one screen name a kiosk token may claim (NULL: none; the token opens
  the wall but cannot name itself a screen).

Revision ID: 0010_wall_screens
Revises: 0009_instructions
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_wall_screens"
down_revision = "0009_instructions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wall_screens",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_seen_at", sa.Float),
        sa.Column("showing", sa.String(500), nullable=False, server_default=""),
    )
    op.create_table(
        "wall_commands",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("screen", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.Column("issued_at", sa.Float, nullable=False),
    )
    op.create_index("ix_wall_commands_screen", "wall_commands", ["screen"])
    with op.batch_alter_table("kiosk_tokens") as batch:
        batch.add_column(sa.Column("screen", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("kiosk_tokens") as batch:
        batch.drop_column("screen")
    op.drop_index("ix_wall_commands_screen", table_name="wall_commands")
    op.drop_table("wall_commands")
    op.drop_table("wall_screens")
