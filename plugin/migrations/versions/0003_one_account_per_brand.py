"""one account per Zendesk subdomain, platform and brand account

Revision ID: 0003
Revises: 0002

Each account gets `brand_key` (a digest of its API base URL and the brand's user id there:
user ids are only unique per server). Earlier connects of the same brand account made
duplicate accounts: the newest stays as it is; older duplicates are deactivated and keyed
apart, so their stored mentions and ledgers are kept for the record but never pulled again.
"""
import hashlib

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("brand_key", sa.String(length=64), nullable=True))
    accounts = sa.table("accounts", sa.column("id", sa.Integer), sa.column("subdomain", sa.String),
                        sa.column("platform", sa.String), sa.column("brand_user_id", sa.String),
                        sa.column("settings", sa.JSON), sa.column("active", sa.Boolean),
                        sa.column("brand_key", sa.String))
    connection = op.get_bind()
    seen = set()
    for row in connection.execute(sa.select(accounts).order_by(accounts.c.id.desc())):
        base_url = (row.settings or {}).get("base_url", "")
        key = hashlib.sha256(f"{base_url}\n{row.brand_user_id}".encode()).hexdigest()
        values = {"brand_key": key}
        if (row.subdomain, row.platform, key) in seen:
            values = {"active": False,
                      "brand_key": hashlib.sha256(f"duplicate\n{row.id}".encode()).hexdigest()}
        seen.add((row.subdomain, row.platform, key))
        connection.execute(accounts.update().where(accounts.c.id == row.id).values(**values))
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column("brand_key", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("uq_accounts_brand", ["subdomain", "platform", "brand_key"])


def downgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint("uq_accounts_brand", type_="unique")
        batch.drop_column("brand_key")
