"""change log: one row per change a sync saw

Revision ID: c0ffee000001
Revises: a386962e27b4
Create Date: 2026-12-01 11:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c0ffee000001"
down_revision = "a386962e27b4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "change_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sync_run_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("company_portal_id", sa.String(length=64), nullable=True),
        sa.Column("license_id", sa.Integer(), nullable=True),
        sa.Column("license_key", sa.String(length=64), nullable=True),
        sa.Column("pool_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=32), nullable=True),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sync_run_id"], ["sync_run.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["license_id"], ["license.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["pool_id"], ["license_pool.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("change_record") as batch:
        batch.create_index("ix_change_record_account_id", ["account_id", "id"])
        batch.create_index("ix_change_record_run_kind", ["sync_run_id", "kind"])
        batch.create_index("ix_change_record_company_id", ["company_id", "id"])
        batch.create_index("ix_change_record_license", ["account_id", "license_key", "id"])
        batch.create_index("ix_change_record_created", ["created_at"])


def downgrade():
    op.drop_table("change_record")
