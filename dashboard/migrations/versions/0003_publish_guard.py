"""The publish guard and the integrator's report: pull_runs.status, held_publishes, source_checks.

- ``pull_runs.status``: ok | failed | held | skipped | accepted. Until now a run was a success when its
  error was empty; a held publish, a skipped run and an accepted hold need their own word. Existing
  rows get ``failed`` where they carry an error and ``ok`` otherwise.
- ``held_publishes``: one row per source whose latest pull the guard held (why, rows before and
  after); its rows wait in ``data_dir/held/<source>.parquet`` for ``run.py pull --accept``.
- ``source_checks``: each source's latest check-source report (JSON), for /status.

Revision ID: 0003_publish_guard
Revises: 0002_history_unique
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_publish_guard"
down_revision = "0002_history_unique"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pull_runs") as batch:
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="ok"))
    op.execute("UPDATE pull_runs SET status = 'failed' WHERE error IS NOT NULL AND error <> ''")
    op.create_table(
        "held_publishes",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("dataset", sa.String(50), nullable=False),
        sa.Column("held_at", sa.Float, nullable=False),
        sa.Column("rows_before", sa.Integer),
        sa.Column("rows_after", sa.Integer, nullable=False),
        sa.Column("rows_quarantined", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("rows_path", sa.Text, nullable=False),
    )
    op.create_table(
        "source_checks",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("checked_at", sa.Float, nullable=False),
        sa.Column("report_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("source_checks")
    op.drop_table("held_publishes")
    with op.batch_alter_table("pull_runs") as batch:
        batch.drop_column("status")
