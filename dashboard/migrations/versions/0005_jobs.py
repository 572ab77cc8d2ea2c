"""The job queue, cross-process locks and the pull log's owner.

- ``jobs``: manual refreshes (one source, every source; later exports) the web side asks for and the
  scheduler's process (or a job worker) runs: status queued | running | done | failed | cancelled |
  interrupted, progress (sources done of all, rows read), the cancel flag and the runner's heartbeat.
- ``locks``: one row per held lock (``pull:<source>``) with its owner and expiry, so that one pull per
  source runs at a time across processes (dashboard/locks.py).
- ``pull_runs.owner``: the process running a pull; a pull now writes its row when it starts
  (``running``), and the next start marks the rows of a dead owner ``interrupted``.

Revision ID: 0005_jobs
Revises: 0004_dept_history
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_jobs"
down_revision = "0004_dept_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pull_runs") as batch:
        batch.add_column(sa.Column("owner", sa.String(200)))
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(200)),
        sa.Column("status", sa.String(20), nullable=False, server_default="queued"),
        sa.Column("requested_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("requested_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("owner", sa.String(200)),
        sa.Column("heartbeat_at", sa.Float),
        sa.Column("cancel_requested", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sources_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sources_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rows_read", sa.Integer),
        sa.Column("current_source", sa.String(200)),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.Column("results_json", sa.Text, nullable=False, server_default="[]"),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_table(
        "locks",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("acquired_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("locks")
    op.drop_index("ix_jobs_status", table_name="jobs")
    op.drop_table("jobs")
    with op.batch_alter_table("pull_runs") as batch:
        batch.drop_column("owner")
