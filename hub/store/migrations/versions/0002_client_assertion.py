"""client assertion replay guard

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_assertion",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti", name=op.f("pk_client_assertion")),
    )
    with op.batch_alter_table("client_assertion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_assertion_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("client_assertion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_assertion_expires_at"))

    op.drop_table("client_assertion")
