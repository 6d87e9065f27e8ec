"""analytics: conversation facts, hourly volume, day summaries, the solved survey, first replies, indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('demo', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('survey_asked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('solved', sa.Boolean(), nullable=True))
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_reply_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_handoffs_created_at'), ['created_at'], unique=False)
    with op.batch_alter_table('kb_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_questions_created_at'), ['created_at'], unique=False)
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_items_created_at'), ['created_at'], unique=False)
    op.create_table('conversation_facts',
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_customer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('customer_messages', sa.Integer(), nullable=False),
    sa.Column('bot_turns', sa.Integer(), nullable=False),
    sa.Column('fallback_turns', sa.Integer(), nullable=False),
    sa.Column('declined_turns', sa.Integer(), nullable=False),
    sa.Column('last_turn', sa.String(length=16), nullable=True),
    sa.Column('last_intent', sa.String(length=64), nullable=True),
    sa.Column('topic', sa.String(length=64), nullable=True),
    sa.Column('said_goodbye', sa.Boolean(), nullable=False),
    sa.Column('handoffs', sa.Integer(), nullable=False),
    sa.Column('escalation_intent', sa.String(length=64), nullable=True),
    sa.Column('solved', sa.Boolean(), nullable=True),
    sa.Column('survey_asked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ),
    sa.PrimaryKeyConstraint('conversation_id')
    )
    with op.batch_alter_table('conversation_facts', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_facts_started_channel', ['started_at', 'channel'], unique=False)
    op.create_table('day_summaries',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('activity_hours',
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('conversations', sa.Integer(), nullable=False),
    sa.Column('customer_messages', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('hour', 'channel', 'demo')
    )


def downgrade() -> None:
    op.drop_table('day_summaries')
    op.drop_table('activity_hours')
    with op.batch_alter_table('conversation_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_facts_started_channel')
    op.drop_table('conversation_facts')
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_items_created_at'))
    with op.batch_alter_table('kb_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_questions_created_at'))
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoffs_created_at'))
        batch_op.drop_column('first_reply_at')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('solved')
        batch_op.drop_column('survey_asked_at')
        batch_op.drop_column('demo')
