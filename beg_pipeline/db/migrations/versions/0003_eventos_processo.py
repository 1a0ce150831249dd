"""eventos processo: the approval → SAT link as an outbox table, not an audit text

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 07:00:00

Approvals still waiting for SAT are carried over as one ``APROVADO`` event each (in approval order), so the
sensor, which now reads this table from its start, launches their month's upload run after the upgrade.
"""

import sqlalchemy as sa
from alembic import op

import beg_pipeline.db.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'eventos_processo',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('processo_id', sa.Uuid(), nullable=False),
        sa.Column('mes_ano', sa.String(length=7), nullable=False),
        sa.Column('tipo', sa.String(length=30), nullable=False),
        sa.Column('criado_em', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['processo_id'], ['processos.id'],
                                name=op.f('fk_eventos_processo_processo_id_processos')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_eventos_processo')),
    )
    with op.batch_alter_table('eventos_processo', schema=None) as batch_op:
        batch_op.create_index('ix_eventos_processo_tipo_id', ['tipo', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eventos_processo_processo_id'), ['processo_id'], unique=False)
    op.execute(
        "INSERT INTO eventos_processo (processo_id, mes_ano, tipo, criado_em) "
        "SELECT id, mes_ano, 'APROVADO', COALESCE(data_aprovacao, data_atualizacao) FROM processos "
        "WHERE status_processo = 'AGUARDANDO_ENVIO_SAT' ORDER BY data_aprovacao, id"
    )


def downgrade() -> None:
    with op.batch_alter_table('eventos_processo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eventos_processo_processo_id'))
        batch_op.drop_index('ix_eventos_processo_tipo_id')
    op.drop_table('eventos_processo')
