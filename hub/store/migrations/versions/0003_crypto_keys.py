"""crypto keys: per-tenant keys, stored only wrapped by a master key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("master_key_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('active', 'retired', 'destroyed')", name=op.f("ck_tenant_key_state")
        ),
        sa.CheckConstraint("purpose IN ('kek', 'root')", name=op.f("ck_tenant_key_purpose")),
        sa.CheckConstraint(
            "(state = 'destroyed') = (wrapped_key IS NULL)",
            name=op.f("ck_tenant_key_wrapped_unless_destroyed"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_tenant_key_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_key")),
        sa.UniqueConstraint("key_id", name=op.f("uq_tenant_key_key_id")),
    )
    with op.batch_alter_table("tenant_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_key_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tenant_key_master_key_id"), ["master_key_id"], unique=False
        )
        batch_op.create_index(
            "uq_tenant_key_tenant_id_purpose_active",
            ["tenant_id", "purpose"],
            unique=True,
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("tenant_key", schema=None) as batch_op:
        batch_op.drop_index("uq_tenant_key_tenant_id_purpose_active")
        batch_op.drop_index(batch_op.f("ix_tenant_key_master_key_id"))
        batch_op.drop_index(batch_op.f("ix_tenant_key_tenant_id"))

    op.drop_table("tenant_key")
