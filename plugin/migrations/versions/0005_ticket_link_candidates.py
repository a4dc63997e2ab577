"""ticket links are candidates: one external id may be claimed for several tickets

Revision ID: 0005
Revises: 0004

Event callbacks are unsigned, so the first claim for an external id must not lock out the
real one: every (external id, ticket) pair is kept, and the sidebar trusts a pair only when
Zendesk confirms it or nothing contradicts it.
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket_links") as batch:
        batch.drop_constraint("uq_ticket_links_sub_external", type_="unique")
        batch.create_unique_constraint("uq_ticket_links_candidate",
                                       ["subdomain", "external_id", "ticket_id"])


def downgrade():
    with op.batch_alter_table("ticket_links") as batch:
        batch.drop_constraint("uq_ticket_links_candidate", type_="unique")
        batch.create_unique_constraint("uq_ticket_links_sub_external",
                                       ["subdomain", "external_id"])
