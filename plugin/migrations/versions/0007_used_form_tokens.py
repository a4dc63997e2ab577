"""used admin forms: each account form saves once

Revision ID: 0007
Revises: 0006

An admin-UI form token is single-use: its nonce is recorded when the form is submitted, and
forgotten once the form would have expired anyway.
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('used_form_tokens',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce')
    )
    op.create_index('ix_used_form_tokens_expires_at', 'used_form_tokens', ['expires_at'])


def downgrade():
    op.drop_index('ix_used_form_tokens_expires_at', table_name='used_form_tokens')
    op.drop_table('used_form_tokens')
