"""envios de notificação: outbox for e-mail and webhooks, channel preferences, notifications that resolve

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 08:00:00
"""

import sqlalchemy as sa
from alembic import op

import beg_pipeline.db.models

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None

Instante = beg_pipeline.db.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('notificacoes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_causa', sa.String(length=200), nullable=True, comment=(
            'process statuses (comma-separated) that keep it open; leaving them resolves it')))
        batch_op.add_column(sa.Column('data_resolucao', Instante, nullable=True))
        batch_op.create_index(batch_op.f('ix_notificacoes_data_resolucao'), ['data_resolucao'], unique=False)
    op.create_table('envios_notificacao',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('notificacao_id', sa.Uuid(), nullable=False),
    sa.Column('canal', sa.String(length=20), nullable=False),
    sa.Column('destino', sa.String(length=254), nullable=False,
              comment='e-mail address, or webhook:<sha256 prefix of its URL>'),
    sa.Column('status_envio', sa.String(length=20), nullable=False),
    sa.Column('tentativas', sa.Integer(), nullable=False),
    sa.Column('proxima_tentativa', Instante, nullable=False),
    sa.Column('reservado_ate', Instante, nullable=True, comment='a drainer holds the row until then'),
    sa.Column('reserva', sa.Uuid(), nullable=True),
    sa.Column('erro', sa.Text(), nullable=True, comment='last failure, secrets removed'),
    sa.Column('data_criacao', Instante, nullable=False),
    sa.Column('data_envio', Instante, nullable=True),
    sa.ForeignKeyConstraint(['notificacao_id'], ['notificacoes.id'],
                            name=op.f('fk_envios_notificacao_notificacao_id_notificacoes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_envios_notificacao')),
    sa.UniqueConstraint('notificacao_id', 'canal', 'destino', name='uq_envios_notificacao_mensagem'),
    )
    op.create_index('ix_envios_notificacao_status_proxima', 'envios_notificacao',
                    ['status_envio', 'proxima_tentativa'], unique=False)
    op.create_table('preferencias_notificacao',
    sa.Column('escopo', sa.String(length=10), nullable=False),
    sa.Column('alvo', sa.String(length=64), nullable=False),
    sa.Column('canal', sa.String(length=20), nullable=False),
    sa.Column('data_criacao', Instante, nullable=False),
    sa.PrimaryKeyConstraint('escopo', 'alvo', 'canal', name=op.f('pk_preferencias_notificacao')),
    )


def downgrade() -> None:
    op.drop_table('preferencias_notificacao')
    op.drop_index('ix_envios_notificacao_status_proxima', table_name='envios_notificacao')
    op.drop_table('envios_notificacao')
    with op.batch_alter_table('notificacoes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notificacoes_data_resolucao'))
        batch_op.drop_column('data_resolucao')
        batch_op.drop_column('status_causa')
