"""Service tokens beside the kiosk tokens: ``kiosk_tokens.scope``.

A row is a wall screen's kiosk token (``kiosk``: the wall only) or the exports' capture service
token (``capture``: the wall, the drill-down pages and the 通报, nothing else; dashboard/capture_token.py).
Existing tokens are kiosk tokens.

Revision ID: 0008_capture_token
Revises: 0007_exports
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_capture_token"
down_revision = "0007_exports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kiosk_tokens") as batch:
        batch.add_column(sa.Column("scope", sa.String(20), nullable=False, server_default="kiosk"))


def downgrade() -> None:
    op.execute("DELETE FROM kiosk_tokens WHERE scope <> 'kiosk'")  # a service token must not become a kiosk one
    with op.batch_alter_table("kiosk_tokens") as batch:
        batch.drop_column("scope")
