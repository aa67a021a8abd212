"""monitoring (realised accuracy of forecasts): monitors, monitor evaluations

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monitors',
    sa.Column('resource_arn', sa.String(length=300), nullable=False),
    sa.Column('dataset_group_arn', sa.String(length=300), nullable=False),
    sa.Column('last_evaluation_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_evaluation_state', sa.String(length=16), nullable=True),
    sa.Column('arn', sa.String(length=300), nullable=False),
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('arn'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('resource_arn')
    )
    with op.batch_alter_table('monitors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitors_dataset_group_arn'), ['dataset_group_arn'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitors_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitors_status'), ['status'], unique=False)

    op.create_table('monitor_evaluations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('dedup_key', sa.String(length=64), nullable=False),
    sa.Column('monitor_arn', sa.String(length=300), nullable=False),
    sa.Column('resource_arn', sa.String(length=300), nullable=False),
    sa.Column('predictor_arn', sa.String(length=300), nullable=False),
    sa.Column('forecast_arn', sa.String(length=300), nullable=False),
    sa.Column('dataset_group_arn', sa.String(length=300), nullable=False),
    sa.Column('dataset_import_job_arn', sa.String(length=300), nullable=True),
    sa.Column('data_version', sa.String(length=300), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('num_items', sa.Integer(), nullable=True),
    sa.Column('num_points', sa.Integer(), nullable=True),
    sa.Column('item_key', sa.String(length=300), nullable=True),
    sa.Column('predictor_event', sa.JSON(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedup_key')
    )
    with op.batch_alter_table('monitor_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitor_evaluations_dataset_group_arn'), ['dataset_group_arn'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_evaluations_evaluated_at'), ['evaluated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_evaluations_forecast_arn'), ['forecast_arn'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_evaluations_monitor_arn'), ['monitor_arn'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_evaluations_predictor_arn'), ['predictor_arn'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_evaluations_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('monitor_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitor_evaluations_state'))
        batch_op.drop_index(batch_op.f('ix_monitor_evaluations_predictor_arn'))
        batch_op.drop_index(batch_op.f('ix_monitor_evaluations_monitor_arn'))
        batch_op.drop_index(batch_op.f('ix_monitor_evaluations_forecast_arn'))
        batch_op.drop_index(batch_op.f('ix_monitor_evaluations_evaluated_at'))
        batch_op.drop_index(batch_op.f('ix_monitor_evaluations_dataset_group_arn'))
    op.drop_table('monitor_evaluations')
    with op.batch_alter_table('monitors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitors_status'))
        batch_op.drop_index(batch_op.f('ix_monitors_name'))
        batch_op.drop_index(batch_op.f('ix_monitors_dataset_group_arn'))
    op.drop_table('monitors')
