"""model registry (versions, deployments, approval rules), pipeline runs, watch ledger

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('model_versions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('dataset_group_arn', sa.String(length=300), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('predictor_arn', sa.String(length=300), nullable=False),
    sa.Column('predictor_name', sa.String(length=63), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('metric_name', sa.String(length=64), nullable=False),
    sa.Column('metric_value', sa.Float(), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('dataset_versions', sa.JSON(), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('deployed', sa.Boolean(), nullable=False),
    sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dataset_group_arn', 'version'),
    sa.UniqueConstraint('predictor_arn')
    )
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_versions_dataset_group_arn'), ['dataset_group_arn'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_versions_status'), ['status'], unique=False)

    op.create_table('model_deployments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('dataset_group_arn', sa.String(length=300), nullable=False),
    sa.Column('model_version_id', sa.String(length=40), nullable=False),
    sa.Column('previous_version_id', sa.String(length=40), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('model_deployments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_deployments_dataset_group_arn'), ['dataset_group_arn'], unique=False)

    op.create_table('model_approval_rules',
    sa.Column('dataset_group_arn', sa.String(length=300), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('max_regression', sa.Float(), nullable=False),
    sa.Column('auto_deploy', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('dataset_group_arn')
    )

    op.create_table('pipeline_runs',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('dataset_group_arn', sa.String(length=300), nullable=False),
    sa.Column('trigger', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('outputs', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pipeline_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pipeline_runs_dataset_group_arn'), ['dataset_group_arn'], unique=False)
        batch_op.create_index(batch_op.f('ix_pipeline_runs_status'), ['status'], unique=False)

    op.create_table('watch_ledger',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mtime_ns', sa.String(length=32), nullable=False),
    sa.Column('dataset_group', sa.String(length=63), nullable=False),
    sa.Column('run_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('watch_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watch_ledger_dataset_group'), ['dataset_group'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('watch_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watch_ledger_dataset_group'))
    op.drop_table('watch_ledger')
    with op.batch_alter_table('pipeline_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pipeline_runs_status'))
        batch_op.drop_index(batch_op.f('ix_pipeline_runs_dataset_group_arn'))
    op.drop_table('pipeline_runs')
    op.drop_table('model_approval_rules')
    with op.batch_alter_table('model_deployments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_deployments_dataset_group_arn'))
    op.drop_table('model_deployments')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_versions_status'))
        batch_op.drop_index(batch_op.f('ix_model_versions_dataset_group_arn'))
    op.drop_table('model_versions')
