"""handoff queue, console accounts, notes, message analysis

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 23:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations') as batch:
        batch.add_column(sa.Column('mode', sa.Enum('bot', 'human', 'rating', name='mode', native_enum=False,
                                                   length=16), nullable=False, server_default='bot'))
        batch.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('analysis', sa.JSON(), nullable=True))
    op.create_table('agents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('agent', 'editor', 'admin', name='role', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('handoffs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.Enum('queued', 'claimed', 'resolved', 'returned', name='handoffstatus',
                                native_enum=False, length=16), nullable=False),
    sa.Column('priority', sa.Float(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_handoffs_conversation_id'), 'handoffs', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_handoffs_status'), 'handoffs', ['status'], unique=False)
    op.create_table('notes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_notes_conversation_id'), 'notes', ['conversation_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_notes_conversation_id'), table_name='notes')
    op.drop_table('notes')
    op.drop_index(op.f('ix_handoffs_status'), table_name='handoffs')
    op.drop_index(op.f('ix_handoffs_conversation_id'), table_name='handoffs')
    op.drop_table('handoffs')
    op.drop_table('agents')
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('analysis')
    with op.batch_alter_table('conversations') as batch:
        batch.drop_column('contact_email')
        batch.drop_column('mode')
