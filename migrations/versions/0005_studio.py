"""studio: review inbox, audit log, model releases

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:27:44.207001
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_groups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('model_releases',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('model_path', sa.String(length=500), nullable=False),
    sa.Column('fingerprint', sa.String(length=32), nullable=False),
    sa.Column('accuracy', sa.Float(), nullable=True),
    sa.Column('previous_accuracy', sa.Float(), nullable=True),
    sa.Column('eval_size', sa.Integer(), nullable=True),
    sa.Column('stories_passed', sa.Boolean(), nullable=True),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['published_by'], ['agents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('model_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_releases_active'), ['active'], unique=False)

    op.create_table('studio_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['agents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('studio_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_studio_changes_created_at'), ['created_at'], unique=False)

    op.create_table('review_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('second_intent', sa.String(length=64), nullable=True),
    sa.Column('second_confidence', sa.Float(), nullable=True),
    sa.Column('state', sa.Enum('pending', 'resolved', 'ignored', name='itemstate', native_enum=False, length=16), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=True),
    sa.Column('resolved_intent', sa.String(length=64), nullable=True),
    sa.Column('acted_by', sa.Integer(), nullable=True),
    sa.Column('acted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['acted_by'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['review_groups.id'], ),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id')
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_items_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index('ix_review_items_state_group', ['state', 'group_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_state_group')
        batch_op.drop_index(batch_op.f('ix_review_items_conversation_id'))

    op.drop_table('review_items')
    with op.batch_alter_table('studio_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_studio_changes_created_at'))

    op.drop_table('studio_changes')
    with op.batch_alter_table('model_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_releases_active'))

    op.drop_table('model_releases')
    op.drop_table('review_groups')
