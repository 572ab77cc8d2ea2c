"""The export archive, and export jobs on the job queue.

- ``exports``: every export made (wall PNG, briefing PDF, data workbook), with its time, who made it
  (a user, or 定时任务 for the daily briefing), its kind, its view, the data version it shows, its file
  under ``data_dir/exports/`` and size, and its status (done | failed, with the error).
- ``jobs.params_json``: what an export job makes (kind, view, trigger); ``jobs.stage``: the step it is
  at (截图中, 生成中, 归档中), shown as its progress.

Revision ID: 0007_exports
Revises: 0006_auth
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_exports"
down_revision = "0006_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("params_json", sa.Text, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("stage", sa.String(40)))
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("view", sa.String(300), nullable=False),
        sa.Column("view_label", sa.String(300), nullable=False, server_default=""),
        sa.Column("data_version", sa.String(100), nullable=False, server_default=""),
        sa.Column("trigger", sa.String(20), nullable=False, server_default="manual"),
        sa.Column("job_id", sa.Integer),
        sa.Column("path", sa.Text),
        sa.Column("size_bytes", sa.Integer),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_exports_created_at", "exports", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_exports_created_at", table_name="exports")
    op.drop_table("exports")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("stage")
        batch.drop_column("params_json")
