"""Clinical access: a clinical grant on users (independent of the lab role), clinical runs (outcomes of a
trial, tied to no dataset or lot of the lab registry), so that patient data are shown only to granted users.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 15:25:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('clinical', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('runs') as batch:
        batch.add_column(sa.Column('clinical', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.alter_column('dataset_id', existing_type=sa.Integer(), nullable=True)
        batch.alter_column('lot_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('runs') as batch:
        batch.alter_column('lot_id', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('dataset_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('clinical')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('clinical')
