"""indicator_history: a surrogate ``id`` key and the named unique key (indicator_id, date).

Until now (indicator_id, date) was the table's composite primary key: unique, but unnamed on
SQLite and named by the database elsewhere, and it made the natural key and the row's identity one
thing. History now follows its source (pullers upsert corrections to past days), so the natural
key becomes an explicit constraint, ``uq_indicator_history_indicator_id_date``, that the upsert
names in ``ON CONFLICT (indicator_id, date)`` on SQLite and PostgreSQL, and rows get an ``id``
(an identity column on PostgreSQL, the rowid alias on SQLite) as their primary key.

No duplicate can exist to clean up first: the old primary key already forbade them.

SQLite cannot drop a primary key in place, so this runs in batch mode, which recreates the table
there (rows copied, ids numbered as they are copied); ``copy_from`` gives the old definition, the
same on every database, instead of reflecting an unnamed key. PostgreSQL gets plain ALTER TABLEs:
drop ``indicator_history_pkey``, add the identity column (which numbers the existing rows), add
both constraints. The downgrade restores the composite key.

Revision ID: 0002_history_unique
Revises: 0001_baseline
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_history_unique"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

OLD_PRIMARY_KEY = "indicator_history_pkey"
UNIQUE_KEY = "uq_indicator_history_indicator_id_date"
NEW_PRIMARY_KEY = "pk_indicator_history"


def _columns() -> list[sa.Column]:
    return [sa.Column("indicator_id", sa.String(100), nullable=False),
            sa.Column("date", sa.Date, nullable=False),
            sa.Column("value", sa.Float, nullable=False)]


def upgrade() -> None:
    old = sa.Table("indicator_history", sa.MetaData(), *_columns(),
                   sa.PrimaryKeyConstraint("indicator_id", "date", name=OLD_PRIMARY_KEY))
    with op.batch_alter_table("indicator_history", copy_from=old) as batch:
        batch.drop_constraint(OLD_PRIMARY_KEY, type_="primary")
        batch.add_column(sa.Column("id", sa.Integer, sa.Identity(), nullable=False))
        batch.create_primary_key(NEW_PRIMARY_KEY, ["id"])
        batch.create_unique_constraint(UNIQUE_KEY, ["indicator_id", "date"])


def downgrade() -> None:
    new = sa.Table("indicator_history", sa.MetaData(), sa.Column("id", sa.Integer, nullable=False), *_columns(),
                   sa.PrimaryKeyConstraint("id", name=NEW_PRIMARY_KEY),
                   sa.UniqueConstraint("indicator_id", "date", name=UNIQUE_KEY))
    with op.batch_alter_table("indicator_history", copy_from=new) as batch:
        batch.drop_constraint(UNIQUE_KEY, type_="unique")
        batch.drop_constraint(NEW_PRIMARY_KEY, type_="primary")
        batch.drop_column("id")
        batch.create_primary_key(OLD_PRIMARY_KEY, ["indicator_id", "date"])
