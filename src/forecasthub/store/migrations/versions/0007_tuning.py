"""hyperparameter tuning jobs and trials

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tuning_jobs',
    sa.Column('arn', sa.String(length=300), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('algorithm', sa.String(length=64), nullable=False),
    sa.Column('dataset_group_arn', sa.String(length=300), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('best_trial_name', sa.String(length=63), nullable=True),
    sa.Column('best_predictor_arn', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('arn'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('tuning_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tuning_jobs_dataset_group_arn'), ['dataset_group_arn'], unique=False)
        batch_op.create_index(batch_op.f('ix_tuning_jobs_status'), ['status'], unique=False)

    op.create_table('tuning_trials',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('tuning_job_arn', sa.String(length=300), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('objective_value', sa.Float(), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tuning_job_arn', 'number')
    )
    with op.batch_alter_table('tuning_trials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tuning_trials_tuning_job_arn'), ['tuning_job_arn'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tuning_trials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tuning_trials_tuning_job_arn'))
    op.drop_table('tuning_trials')
    with op.batch_alter_table('tuning_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tuning_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_tuning_jobs_dataset_group_arn'))
    op.drop_table('tuning_jobs')
