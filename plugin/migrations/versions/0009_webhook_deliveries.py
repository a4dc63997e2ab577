"""webhook deliveries kept raw; receipts a platform has yet to take as acknowledged

Revision ID: 0009
Revises: 0011

Each signed webhook delivery is stored as received (once per platform and delivery key)
before it is answered, then processed by the worker. Accounts keep the receipts of stored
mentions whose acknowledgement to the platform failed, to retry on a later poll.
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('delivery_key', sa.String(length=255), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('brand_user_ids', sa.JSON(), nullable=False),
    sa.Column('account_ids', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'delivery_key', name='uq_webhook_deliveries_key')
    )
    op.create_index('ix_webhook_deliveries_status', 'webhook_deliveries', ['status'])
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("unacknowledged", sa.JSON(), nullable=False,
                                   server_default="[]"))


def downgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("unacknowledged")
    op.drop_index('ix_webhook_deliveries_status', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
