"""mention attachments: the files a post carries, kept with it for Zendesk's file_urls

Revision ID: 0011
Revises: 0007

Each stored mention keeps its attachments as a JSON list of {kind, url, description,
mime_type, preview_url}; mentions taken in before this have none.
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mentions') as batch:
        batch.add_column(sa.Column('attachments', sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade():
    with op.batch_alter_table('mentions') as batch:
        batch.drop_column('attachments')
