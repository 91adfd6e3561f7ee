"""two-factor sign-in: TOTP secrets, recovery codes, the security policy

Revision ID: c0ffee000015
Revises: c0ffee000011
Create Date: 2026-12-01 11:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c0ffee000015"
down_revision = "c0ffee000011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "two_factor",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("last_counter", sa.Integer(), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_two_factor_user_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_two_factor"),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_recovery_code_user_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_code"),
    )
    with op.batch_alter_table("recovery_code") as batch:
        batch.create_index("ix_recovery_code_user_id", ["user_id"])
    op.create_table(
        "security_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("require_staff_two_factor", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_security_policy"),
    )


def downgrade():
    op.drop_table("security_policy")
    with op.batch_alter_table("recovery_code") as batch:
        batch.drop_index("ix_recovery_code_user_id")
    op.drop_table("recovery_code")
    op.drop_table("two_factor")
