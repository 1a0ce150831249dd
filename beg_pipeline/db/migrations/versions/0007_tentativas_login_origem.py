"""tentativas de login por endereço

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:00:00
"""

import sqlalchemy as sa
from alembic import op

import beg_pipeline.db.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tentativas_login_origem',
    sa.Column('ip_origem', sa.String(length=64), nullable=False),
    sa.Column('tentativas', sa.Integer(), nullable=False),
    sa.Column('janela_inicio', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('ip_origem', name=op.f('pk_tentativas_login_origem'))
    )
    with op.batch_alter_table('tentativas_login_origem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tentativas_login_origem_janela_inicio'), ['janela_inicio'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tentativas_login_origem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tentativas_login_origem_janela_inicio'))

    op.drop_table('tentativas_login_origem')
