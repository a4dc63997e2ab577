"""last delivery: when a webhook delivery last reached the account

Revision ID: 0012
Revises: 0011

An account of a platform that both pushes and is polled is polled only to reconcile while
deliveries reach it, and as often as any polled account otherwise (no webhook registered, or
deliveries stopped).
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('last_delivery_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('last_delivery_at')
