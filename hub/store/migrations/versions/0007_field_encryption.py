"""field encryption: sealed fields, wrapped data keys and row MACs; recipients' public keys

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.models._base as hub_types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("object_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", hub_types.JsonDocument(), nullable=True))
        batch_op.add_column(sa.Column("wrapped_key", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("mac", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("recipients", hub_types.JsonDocument(), nullable=True))
        batch_op.create_index(batch_op.f("ix_object_version_key_id"), ["key_id"], unique=False)
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_keys", hub_types.JsonDocument(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("public_keys")
    with op.batch_alter_table("object_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_object_version_key_id"))
        batch_op.drop_column("recipients")
        batch_op.drop_column("mac")
        batch_op.drop_column("key_id")
        batch_op.drop_column("wrapped_key")
        batch_op.drop_column("sealed")
