"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 17:31:19.606601
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.models._base as hub_types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collection",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("readers", hub_types.JsonList(), nullable=False),
        sa.Column("writers", hub_types.JsonList(), nullable=False),
        sa.Column("allow_custom", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection")),
        sa.UniqueConstraint("alias", name=op.f("uq_collection_alias")),
    )
    op.create_table(
        "community",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community")),
        sa.UniqueConstraint("slug", name=op.f("uq_community_slug")),
    )
    op.create_table(
        "tenant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("identity_id", sa.String(length=64), nullable=False),
        sa.Column("identity", hub_types.JsonDocument(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
        sa.UniqueConstraint("identity_id", name=op.f("uq_tenant_identity_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenant_slug")),
    )
    op.create_table(
        "api_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=512), nullable=True),
        sa.Column("scopes", hub_types.JsonList(), nullable=False),
        sa.Column("jwks", hub_types.JsonDocument(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_api_client_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client")),
        sa.UniqueConstraint("client_id", name=op.f("uq_api_client_client_id")),
    )
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_client_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "membership",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_membership_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_membership_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "community_id", name=op.f("pk_membership")),
    )
    op.create_table(
        "object_version",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("object_id", sa.String(length=300), nullable=False),
        sa.Column("type", sa.String(length=250), nullable=False),
        sa.Column("spec_version", sa.String(length=8), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("date_added", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=16), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("body", hub_types.JsonDocument(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collection.id"],
            name=op.f("fk_object_version_collection_id_collection"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["tenant.id"], name=op.f("fk_object_version_owner_id_tenant")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_object_version")),
        sa.UniqueConstraint(
            "collection_id", "date_added", name=op.f("uq_object_version_collection_id_date_added")
        ),
        sa.UniqueConstraint(
            "collection_id",
            "object_id",
            "version",
            name=op.f("uq_object_version_collection_id_object_id_version"),
        ),
    )
    with op.batch_alter_table("object_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_object_version_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "status",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("success_count", sa.Integer(), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("pending_count", sa.Integer(), nullable=False),
        sa.Column("successes", hub_types.JsonList(), nullable=False),
        sa.Column("failures", hub_types.JsonList(), nullable=False),
        sa.Column("pendings", hub_types.JsonList(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collection.id"], name=op.f("fk_status_collection_id_collection")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_status_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status")),
    )
    with op.batch_alter_table("status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "access_grant",
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("date_added", sa.BigInteger(), nullable=False),
        sa.Column(
            "version_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("object_id", sa.String(length=300), nullable=False),
        sa.Column("type", sa.String(length=250), nullable=False),
        sa.Column("spec_version", sa.String(length=8), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collection.id"],
            name=op.f("fk_access_grant_collection_id_collection"),
        ),
        sa.ForeignKeyConstraint(
            ["reader_id"],
            ["tenant.id"],
            name=op.f("fk_access_grant_reader_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_seq"],
            ["object_version.seq"],
            name=op.f("fk_access_grant_version_seq_object_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "reader_id", "collection_id", "date_added", name=op.f("pk_access_grant")
        ),
    )
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.create_index(
            "ix_access_grant_reader_object",
            ["reader_id", "collection_id", "object_id", "version"],
            unique=False,
        )
        batch_op.create_index(
            "ix_access_grant_reader_type",
            ["reader_id", "collection_id", "type", "date_added"],
            unique=False,
        )
        batch_op.create_index("ix_access_grant_version_seq", ["version_seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.drop_index("ix_access_grant_version_seq")
        batch_op.drop_index("ix_access_grant_reader_type")
        batch_op.drop_index("ix_access_grant_reader_object")

    op.drop_table("access_grant")
    with op.batch_alter_table("status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_tenant_id"))

    op.drop_table("status")
    with op.batch_alter_table("object_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_object_version_owner_id"))

    op.drop_table("object_version")
    op.drop_table("membership")
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_client_tenant_id"))

    op.drop_table("api_client")
    op.drop_table("tenant")
    op.drop_table("community")
    op.drop_table("collection")
