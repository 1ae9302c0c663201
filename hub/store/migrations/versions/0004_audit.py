"""audit trail: hash-chained entries and signed checkpoints

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.models._base as hub_types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Rows of the trail are never updated and checkpoints never deleted; on PostgreSQL entries are
# deleted only behind a `prune` checkpoint (retention). Verification detects tampering anyway:
# these triggers refuse it early, to application bugs and injected SQL. (SQLite gets the UPDATE
# guard only: the test harness empties SQLite tables with DELETE.)
_PG_GUARD = """
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR TG_TABLE_NAME = 'audit_checkpoint' THEN
        RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
    END IF;
    IF TG_TABLE_NAME = 'audit_entry' AND NOT EXISTS (
        SELECT 1 FROM audit_checkpoint WHERE kind = 'prune' AND seq > OLD.seq
    ) THEN
        RAISE EXCEPTION 'audit entry % can only be deleted by retention pruning', OLD.seq;
    END IF;
    RETURN OLD;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("actor_tenant_id", sa.Integer(), nullable=True),
        sa.Column("actor_tenant", sa.String(length=64), nullable=True),
        sa.Column("actor_client", sa.String(length=200), nullable=True),
        sa.Column("subject_tenant_id", sa.Integer(), nullable=True),
        sa.Column("subject_tenant", sa.String(length=64), nullable=True),
        sa.Column("collection_id", sa.String(length=36), nullable=True),
        sa.Column("objects", hub_types.JsonList(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("policy_hash", sa.String(length=128), nullable=True),
        sa.Column("details", hub_types.JsonDocument(), nullable=False),
        sa.Column("protected", hub_types.JsonDocument(), nullable=True),
        sa.Column("protected_digest", sa.String(length=64), nullable=True),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_action_time", ["action", "time"], unique=False)
        batch_op.create_index(
            "ix_audit_entry_actor_tenant_id_time", ["actor_tenant_id", "time"], unique=False
        )
        batch_op.create_index(
            "ix_audit_entry_subject_tenant_id_time", ["subject_tenant_id", "time"], unique=False
        )

    op.create_table(
        "audit_checkpoint",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("seq", "kind", name=op.f("pk_audit_checkpoint")),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_audit_entry_objects",
            "audit_entry",
            ["objects"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"objects": "jsonb_path_ops"},
        )
        op.execute(_PG_GUARD)
        for table in ("audit_entry", "audit_checkpoint"):
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
            )
    else:
        for table in ("audit_entry", "audit_checkpoint"):
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in ("audit_checkpoint", "audit_entry"):
        op.execute(
            f"DROP TRIGGER IF EXISTS {table}_append_only" + (f" ON {table}" if postgres else "")
        )
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
        op.drop_index("ix_audit_entry_objects", table_name="audit_entry")
    op.drop_table("audit_checkpoint")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_subject_tenant_id_time")
        batch_op.drop_index("ix_audit_entry_actor_tenant_id_time")
        batch_op.drop_index("ix_audit_entry_action_time")

    op.drop_table("audit_entry")
