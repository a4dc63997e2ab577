"""OAuth sign-in: registered clients per server, and sign-ins under way

Revision ID: 0010
Revises: 0011

`oauth_clients` keeps the client Murmur registered at a server (a Mastodon instance), once per
platform, server and redirect URI, its secret sealed. `oauth_sign_ins` keeps each sign-in an
admin started, server-side (the PKCE verifier never leaves the server), until its callback
claims it and the admin form collects the connected account.
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('oauth_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('server', sa.String(length=512), nullable=False),
    sa.Column('redirect_uri', sa.String(length=512), nullable=False),
    sa.Column('client_id', sa.String(length=512), nullable=False),
    sa.Column('client_secret_sealed', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'server', 'redirect_uri', name='uq_oauth_client')
    )
    op.create_table('oauth_sign_ins',
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('form_nonce', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('verifier_sealed', sa.Text(), nullable=False),
    sa.Column('form_sealed', sa.Text(), nullable=False),
    sa.Column('claimed', sa.Boolean(), nullable=False),
    sa.Column('result_sealed', sa.Text(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('state_hash')
    )
    op.create_index('ix_oauth_sign_ins_form_nonce', 'oauth_sign_ins', ['form_nonce'])
    op.create_index('ix_oauth_sign_ins_expires_at', 'oauth_sign_ins', ['expires_at'])


def downgrade():
    op.drop_index('ix_oauth_sign_ins_expires_at', table_name='oauth_sign_ins')
    op.drop_index('ix_oauth_sign_ins_form_nonce', table_name='oauth_sign_ins')
    op.drop_table('oauth_sign_ins')
    op.drop_table('oauth_clients')
