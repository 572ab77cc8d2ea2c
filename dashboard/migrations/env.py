"""Alembic environment of the app database, run by dashboard.migrations (never by an alembic.ini).

Online, the caller hands over its open connection in ``config.attributes["connection"]``, so an
upgrade runs inside the caller's transaction and on its engine (SQLite pragmas included). Offline
(``--sql``), the SQL is rendered for the URL's dialect without connecting.
"""
from alembic import context

from dashboard.db import metadata

config = context.config
# SQLite cannot ALTER most things: batch operations recreate the table there
OPTIONS = dict(target_metadata=metadata, render_as_batch=True)

if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    context.configure(connection=config.attributes["connection"], **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()
else:  # a Config with only a URL (e.g. from a script): open the app database the app's way
    from dashboard.db import connect

    with connect(config.get_main_option("sqlalchemy.url"), migrate=False).begin() as connection:
        context.configure(connection=connection, **OPTIONS)
        context.run_migrations()
