"""Baseline: the schema the app created with ``metadata.create_all`` before migrations.

pull_runs (one row per pull), quarantine (the latest run's rejected rows of each source) and
indicator_history (one value per indicator and day, keyed by the composite primary key). A
database created by that old code has these tables and no alembic_version: it is stamped at this
revision instead of running it (dashboard.migrations.upgrade).

Revision ID: 0001_baseline
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pull_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("dataset", sa.String(50), nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("rows_ok", sa.Integer),
        sa.Column("rows_quarantined", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("trigger", sa.String(20)),
    )
    op.create_index("ix_pull_runs_source", "pull_runs", ["source"])
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("dataset", sa.String(50), nullable=False),
        sa.Column("pulled_at", sa.Float, nullable=False),
        sa.Column("row_number", sa.Integer),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("row_json", sa.Text, nullable=False),
    )
    op.create_index("ix_quarantine_source", "quarantine", ["source"])
    op.create_table(
        "indicator_history",
        sa.Column("indicator_id", sa.String(100), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        # PostgreSQL's own name for the old create_all key, so 0002 drops it by one name everywhere
        sa.PrimaryKeyConstraint("indicator_id", "date", name="indicator_history_pkey"),
    )


def downgrade() -> None:
    op.drop_table("indicator_history")
    op.drop_index("ix_quarantine_source", "quarantine")
    op.drop_table("quarantine")
    op.drop_index("ix_pull_runs_source", "pull_runs")
    op.drop_table("pull_runs")
