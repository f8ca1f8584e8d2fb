"""Alembic's entry: migrations run on the connection the store hands over (its lock held), or,
from the `alembic` command, on `sqlalchemy.url`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from app.feedback.store import engine_for
from app.feedback.tables import Base


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    with engine_for(context.config.get_main_option("sqlalchemy.url")).begin() as connection:
        run(connection)
