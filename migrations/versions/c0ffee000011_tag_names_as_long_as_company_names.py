"""tag names as long as company names (512), so an imported tag holds the whole name (R06);
a partial index on change_record's renames (company_id) for the Tag drift view

Revision ID: c0ffee000011
Revises: c0ffee000015
Create Date: 2026-12-01 11:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c0ffee000011"
down_revision = "c0ffee000015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tag") as batch:
        batch.alter_column(
            "name",
            existing_type=sa.String(length=100),
            type_=sa.String(length=512),
            existing_nullable=False,
        )
    with op.batch_alter_table("change_record") as batch:  # the Tag drift view's former names
        batch.create_index(
            "ix_change_record_renamed",
            ["company_id"],
            sqlite_where=sa.text("kind = 'company.renamed'"),
            postgresql_where=sa.text("kind = 'company.renamed'"),
        )


def downgrade():
    with op.batch_alter_table("change_record") as batch:
        batch.drop_index("ix_change_record_renamed")
    with op.batch_alter_table("tag") as batch:
        batch.alter_column(
            "name",
            existing_type=sa.String(length=512),
            type_=sa.String(length=100),
            existing_nullable=False,
        )
