"""department_history: each department's daily indicator values (共享率, 汇聚率, 上云率).

The pullers write one row per department, indicator and day from the catalog and systems frames
(a later pull on the same day overwrites the earlier one), and a ``department_history`` source
(the demo city back-fills one) may send past days; the drill-downs draw a department's trend and the
scoreboard's change since the last period from it. The natural key (dept_id, indicator_id, date)
is the named unique key the upsert names in ``ON CONFLICT``; rows get an identity ``id`` as
indicator_history does.

Revision ID: 0004_dept_history
Revises: 0003_publish_guard
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_dept_history"
down_revision = "0003_publish_guard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department_history",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("dept_id", sa.String(100), nullable=False),
        sa.Column("indicator_id", sa.String(100), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.UniqueConstraint("dept_id", "indicator_id", "date", name="uq_department_history_dept_indicator_date"),
    )


def downgrade() -> None:
    op.drop_table("department_history")
