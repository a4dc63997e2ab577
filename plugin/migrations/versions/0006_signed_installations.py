"""installations register themselves through Zendesk's signed sidebar requests

Revision ID: 0006
Revises: 0005

A Marketplace installation has no shared secret: Zendesk vouches for it with an RS256 token
that names its installation id.
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("installations") as batch:
        batch.alter_column("secret_sealed", existing_type=sa.Text(), nullable=True)
        batch.add_column(sa.Column("app_installation_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("vouched_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # Rows Zendesk registered have no secret to keep; the old schema cannot hold them.
    op.execute("DELETE FROM installations WHERE secret_sealed IS NULL")
    with op.batch_alter_table("installations") as batch:
        batch.drop_column("vouched_at")
        batch.drop_column("app_installation_id")
        batch.alter_column("secret_sealed", existing_type=sa.Text(), nullable=False)
