"""credentials that change after connect (version, expiry, refresh lease); usage per account
and UTC day

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("credentials_version", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("credentials_expire_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("refresh_lease_until", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("credentials_failed_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("credentials_error", sa.Text(), nullable=True))
    op.create_table(
        "account_usage",
        sa.Column("account_id", sa.Integer(),
                  sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("calls", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rate_limited", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("billed_reads", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade():
    op.drop_table("account_usage")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("credentials_error")
        batch.drop_column("credentials_failed_at")
        batch.drop_column("refresh_lease_until")
        batch.drop_column("credentials_expire_at")
        batch.drop_column("credentials_version")
