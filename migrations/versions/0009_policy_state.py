"""policy state: the escalation policy's memory of a conversation, kept with it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 19:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing conversations keep NULL: the desk rebuilds their state from their recent
    # messages at their next turn (bot.desk.escalation).
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_state', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('policy_state')
