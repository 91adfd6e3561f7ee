"""a covering index for the billing page: a month's lines are read from the index alone,
not from the usage rows with their daily JSON lists

Revision ID: c0ffee000020
Revises: c0ffee000010
Create Date: 2026-12-01 13:05:00

"""

from alembic import op

revision = "c0ffee000020"
down_revision = "c0ffee000010"
branch_labels = None
depends_on = None

COLUMNS = [
    "account_id",
    "month",
    "source",
    "company_id",
    "product_code",
    "license_type",
    "seat_days",
    "peak",
    "seats_end",
    "seats_last",
    "product_name",
]


def upgrade():
    with op.batch_alter_table("usage_month") as batch:
        batch.create_index("ix_usage_month_billing", COLUMNS)


def downgrade():
    with op.batch_alter_table("usage_month") as batch:
        batch.drop_index("ix_usage_month_billing")
