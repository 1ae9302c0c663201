"""Alembic environment: runs migrations on the connection the hub hands over."""

from __future__ import annotations

from alembic import context

import hub.store.models as models

config = context.config
target_metadata = models.metadata


def run_migrations_online() -> None:
    """Run on ``config.attributes['connection']`` (set by :mod:`hub.store.migrate`)."""
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
