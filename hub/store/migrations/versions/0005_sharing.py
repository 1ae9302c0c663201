"""sharing: policy versions, views, grant provenance

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 18:06:46.690986
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.models._base as hub_types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("document", hub_types.JsonDocument(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_policy_version_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_version")),
        sa.UniqueConstraint("tenant_id", "seq", name=op.f("uq_policy_version_tenant_id_seq")),
    )
    with op.batch_alter_table("policy_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_version_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "object_view",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "version_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("profile", hub_types.JsonDocument(), nullable=False),
        sa.Column("body", hub_types.JsonDocument(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_seq"],
            ["object_version.seq"],
            name=op.f("fk_object_view_version_seq_object_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_object_view")),
        sa.UniqueConstraint(
            "version_seq", "digest", name=op.f("uq_object_view_version_seq_digest")
        ),
    )
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("policy_seq", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "view_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index("ix_access_grant_owner", ["owner_id", "policy_seq"], unique=False)
        batch_op.create_index("ix_access_grant_object", ["object_id", "reader_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_access_grant_owner_id_tenant"), "tenant", ["owner_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_access_grant_view_seq_object_view"),
            "object_view",
            ["view_seq"],
            ["seq"],
            ondelete="CASCADE",
        )
    op.execute(
        "UPDATE access_grant SET owner_id = "
        "(SELECT owner_id FROM object_version WHERE object_version.seq = access_grant.version_seq)"
    )
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.alter_column("owner_id", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock", sa.BigInteger(), server_default="0", nullable=False))
    op.execute(
        "UPDATE collection SET clock = COALESCE((SELECT max(date_added) FROM object_version "
        "WHERE object_version.collection_id = collection.id), 0)"
    )

    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("policy_seq", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("policy_seq")

    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.drop_column("clock")

    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_access_grant_view_seq_object_view"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_access_grant_owner_id_tenant"), type_="foreignkey")
        batch_op.drop_index("ix_access_grant_object")
        batch_op.drop_index("ix_access_grant_owner")
        batch_op.drop_column("view_seq")
        batch_op.drop_column("policy_seq")
        batch_op.drop_column("owner_id")

    op.drop_table("object_view")
    with op.batch_alter_table("policy_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_version_tenant_id"))

    op.drop_table("policy_version")
