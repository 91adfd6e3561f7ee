"""API tokens, webhooks (endpoints, event state, deliveries) and alert digests

Revision ID: c0ffee000013
Revises: c0ffee000001
Create Date: 2026-12-01 11:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c0ffee000013"
down_revision = "c0ffee000001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("can_write", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_api_token_user_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_token"),
        sa.UniqueConstraint("token_hash", name="uq_api_token_token_hash"),
        sa.UniqueConstraint("user_id", "name", name="uq_api_token_user_id"),
    )
    with op.batch_alter_table("api_token") as batch:
        batch.create_index("ix_api_token_user_id", ["user_id"])


def downgrade():
    with op.batch_alter_table("api_token") as batch:
        batch.drop_index("ix_api_token_user_id")
    op.drop_table("api_token")
