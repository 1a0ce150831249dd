"""tabelas iniciais

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 01:25:42.294575
"""

import sqlalchemy as sa
from alembic import op

import beg_pipeline.db.models

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('operadoras',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('nome', sa.String(length=100), nullable=False),
    sa.Column('codigo', sa.String(length=30), nullable=False),
    sa.Column('possui_rpa', sa.Boolean(), nullable=False),
    sa.Column('status_ativo', sa.Boolean(), nullable=False),
    sa.Column('url_portal', sa.String(length=500), nullable=True),
    sa.Column('classe_rpa', sa.String(length=100), nullable=True),
    sa.Column('configuracao_rpa', sa.JSON(), nullable=True),
    sa.Column('data_criacao', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data_atualizacao', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operadoras')),
    sa.UniqueConstraint('codigo', name=op.f('uq_operadoras_codigo')),
    sa.UniqueConstraint('nome', name=op.f('uq_operadoras_nome'))
    )
    op.create_table('usuarios',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('nome_completo', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('telefone', sa.String(length=40), nullable=True),
    sa.Column('perfil_usuario', sa.String(length=20), nullable=False),
    sa.Column('status_ativo', sa.Boolean(), nullable=False),
    sa.Column('senha_hash', sa.String(length=255), nullable=False),
    sa.Column('tentativas_login_falhas', sa.Integer(), nullable=False),
    sa.Column('bloqueado_ate', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ultimo_login', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('data_criacao', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data_atualizacao', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usuarios')),
    sa.UniqueConstraint('email', name=op.f('uq_usuarios_email'))
    )
    op.create_table('clientes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('hash_unico', sa.String(length=32), nullable=True),
    sa.Column('razao_social', sa.String(length=300), nullable=False),
    sa.Column('nome_sat', sa.String(length=300), nullable=True),
    sa.Column('cnpj', sa.String(length=14), nullable=False),
    sa.Column('operadora_id', sa.Uuid(), nullable=False),
    sa.Column('filtro', sa.String(length=200), nullable=False),
    sa.Column('servico', sa.String(length=100), nullable=False),
    sa.Column('dados_sat', sa.Text(), nullable=True),
    sa.Column('unidade', sa.String(length=200), nullable=False),
    sa.Column('categoria', sa.String(length=200), nullable=True),
    sa.Column('site_emissao', sa.String(length=500), nullable=True),
    sa.Column('login_portal', sa.String(length=200), nullable=True),
    sa.Column('senha_portal', sa.Text(), nullable=True, comment='Fernet ciphertext, never plaintext'),
    sa.Column('cpf', sa.String(length=11), nullable=True),
    sa.Column('observacoes', sa.Text(), nullable=True),
    sa.Column('status_ativo', sa.Boolean(), nullable=False),
    sa.Column('data_criacao', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data_atualizacao', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['operadora_id'], ['operadoras.id'], name=op.f('fk_clientes_operadora_id_operadoras')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clientes')),
    sa.UniqueConstraint('cnpj', 'operadora_id', 'filtro', 'unidade', 'servico', name='uq_clientes_chave_natural')
    )
    with op.batch_alter_table('clientes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clientes_cnpj'), ['cnpj'], unique=False)
        batch_op.create_index(batch_op.f('ix_clientes_hash_unico'), ['hash_unico'], unique=False)
        batch_op.create_index(batch_op.f('ix_clientes_operadora_id'), ['operadora_id'], unique=False)

    op.create_table('processos',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('cliente_id', sa.Uuid(), nullable=False),
    sa.Column('mes_ano', sa.String(length=7), nullable=False),
    sa.Column('status_processo', sa.String(length=30), nullable=False),
    sa.Column('url_fatura', sa.String(length=1000), nullable=True),
    sa.Column('caminho_s3_fatura', sa.String(length=1000), nullable=True),
    sa.Column('fatura_s3_key', sa.String(length=500), nullable=True),
    sa.Column('fatura_filename', sa.String(length=255), nullable=True),
    sa.Column('fatura_sha256', sa.String(length=64), nullable=True),
    sa.Column('data_vencimento', sa.Date(), nullable=True),
    sa.Column('valor_fatura', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('aprovado_por_usuario_id', sa.Uuid(), nullable=True),
    sa.Column('data_aprovacao', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('enviado_para_sat', sa.Boolean(), nullable=False),
    sa.Column('data_envio_sat', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tentativas_download', sa.Integer(), nullable=False),
    sa.Column('ultima_tentativa_download', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tentativas_upload_sat', sa.Integer(), nullable=False),
    sa.Column('ultima_tentativa_upload_sat', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('classe_ultima_falha', sa.String(length=20), nullable=True),
    sa.Column('upload_manual', sa.Boolean(), nullable=False),
    sa.Column('data_upload_manual', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('upload_manual_por_usuario_id', sa.Uuid(), nullable=True),
    sa.Column('criado_automaticamente', sa.Boolean(), nullable=False),
    sa.Column('observacoes', sa.Text(), nullable=True),
    sa.Column('data_criacao', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data_atualizacao', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['aprovado_por_usuario_id'], ['usuarios.id'], name=op.f('fk_processos_aprovado_por_usuario_id_usuarios')),
    sa.ForeignKeyConstraint(['cliente_id'], ['clientes.id'], name=op.f('fk_processos_cliente_id_clientes')),
    sa.ForeignKeyConstraint(['upload_manual_por_usuario_id'], ['usuarios.id'], name=op.f('fk_processos_upload_manual_por_usuario_id_usuarios')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processos')),
    sa.UniqueConstraint('cliente_id', 'mes_ano', name='uq_processos_cliente_mes')
    )
    with op.batch_alter_table('processos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processos_data_aprovacao'), ['data_aprovacao'], unique=False)
        batch_op.create_index(batch_op.f('ix_processos_fatura_sha256'), ['fatura_sha256'], unique=False)
        batch_op.create_index('ix_processos_mes_status', ['mes_ano', 'status_processo'], unique=False)

    op.create_table('auditoria',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('data', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('usuario_id', sa.Uuid(), nullable=True),
    sa.Column('ator', sa.String(length=254), nullable=False),
    sa.Column('perfil', sa.String(length=20), nullable=False),
    sa.Column('acao', sa.String(length=40), nullable=False),
    sa.Column('entidade', sa.String(length=40), nullable=False),
    sa.Column('entidade_id', sa.String(length=64), nullable=True),
    sa.Column('processo_id', sa.Uuid(), nullable=True),
    sa.Column('sha256_pdf', sa.String(length=64), nullable=True),
    sa.Column('detalhes', sa.JSON(), nullable=True),
    sa.Column('ip_origem', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['processo_id'], ['processos.id'], name=op.f('fk_auditoria_processo_id_processos')),
    sa.ForeignKeyConstraint(['usuario_id'], ['usuarios.id'], name=op.f('fk_auditoria_usuario_id_usuarios')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auditoria'))
    )
    with op.batch_alter_table('auditoria', schema=None) as batch_op:
        batch_op.create_index('ix_auditoria_acao_id', ['acao', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditoria_processo_id'), ['processo_id'], unique=False)

    op.create_table('execucoes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('processo_id', sa.Uuid(), nullable=False),
    sa.Column('tipo_execucao', sa.String(length=20), nullable=False),
    sa.Column('status_execucao', sa.String(length=20), nullable=False),
    sa.Column('classe_rpa_utilizada', sa.String(length=100), nullable=True),
    sa.Column('job_id', sa.String(length=100), nullable=True),
    sa.Column('parametros_entrada', sa.JSON(), nullable=True),
    sa.Column('resultado_saida', sa.JSON(), nullable=True),
    sa.Column('detalhes_erro', sa.JSON(), nullable=True),
    sa.Column('classe_falha', sa.String(length=20), nullable=True),
    sa.Column('data_inicio', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data_fim', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mensagem_log', sa.Text(), nullable=True),
    sa.Column('url_arquivo_s3', sa.String(length=1000), nullable=True),
    sa.Column('numero_tentativa', sa.Integer(), nullable=False),
    sa.Column('executado_por_usuario_id', sa.Uuid(), nullable=True),
    sa.Column('ip_origem', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['executado_por_usuario_id'], ['usuarios.id'], name=op.f('fk_execucoes_executado_por_usuario_id_usuarios')),
    sa.ForeignKeyConstraint(['processo_id'], ['processos.id'], name=op.f('fk_execucoes_processo_id_processos')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_execucoes')),
    sa.UniqueConstraint('processo_id', 'tipo_execucao', 'numero_tentativa', name='uq_execucoes_tentativa')
    )
    with op.batch_alter_table('execucoes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_execucoes_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_execucoes_processo_id'), ['processo_id'], unique=False)
        batch_op.create_index('ix_execucoes_status_inicio', ['status_execucao', 'data_inicio'], unique=False)
        batch_op.create_index('uq_execucoes_uma_em_andamento', ['processo_id', 'tipo_execucao'], unique=True, sqlite_where=sa.text("status_execucao = 'EXECUTANDO'"), postgresql_where=sa.text("status_execucao = 'EXECUTANDO'"))

    op.create_table('notificacoes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tipo', sa.String(length=20), nullable=False),
    sa.Column('destinatario', sa.String(length=254), nullable=False),
    sa.Column('assunto', sa.String(length=300), nullable=False),
    sa.Column('mensagem', sa.Text(), nullable=False),
    sa.Column('status_envio', sa.String(length=20), nullable=False),
    sa.Column('tentativas_envio', sa.Integer(), nullable=False),
    sa.Column('data_envio', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mensagem_erro', sa.Text(), nullable=True),
    sa.Column('processo_id', sa.Uuid(), nullable=True),
    sa.Column('data_criacao', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['processo_id'], ['processos.id'], name=op.f('fk_notificacoes_processo_id_processos')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notificacoes'))
    )
    with op.batch_alter_table('notificacoes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notificacoes_data_criacao'), ['data_criacao'], unique=False)
        batch_op.create_index(batch_op.f('ix_notificacoes_processo_id'), ['processo_id'], unique=False)



    _auditoria_somente_insercao()


_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER auditoria_sem_{op_name.lower()} BEFORE {op_name} ON auditoria
    BEGIN SELECT RAISE(ABORT, 'auditoria é somente inserção'); END"""
    for op_name in ("UPDATE", "DELETE")
]
_POSTGRES_TRIGGER = [
    """CREATE FUNCTION auditoria_somente_insercao() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'auditoria é somente inserção'; END $$""",
    """CREATE TRIGGER auditoria_somente_insercao BEFORE UPDATE OR DELETE ON auditoria
    FOR EACH ROW EXECUTE FUNCTION auditoria_somente_insercao()""",
]


def _auditoria_somente_insercao() -> None:
    """The audit trail is append-only: the database itself refuses UPDATE and DELETE."""
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_TRIGGERS if dialect == "sqlite" else _POSTGRES_TRIGGER:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS auditoria_somente_insercao ON auditoria")
        op.execute("DROP FUNCTION IF EXISTS auditoria_somente_insercao()")
    with op.batch_alter_table('notificacoes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notificacoes_processo_id'))
        batch_op.drop_index(batch_op.f('ix_notificacoes_data_criacao'))

    op.drop_table('notificacoes')
    with op.batch_alter_table('execucoes', schema=None) as batch_op:
        batch_op.drop_index('uq_execucoes_uma_em_andamento', sqlite_where=sa.text("status_execucao = 'EXECUTANDO'"), postgresql_where=sa.text("status_execucao = 'EXECUTANDO'"))
        batch_op.drop_index('ix_execucoes_status_inicio')
        batch_op.drop_index(batch_op.f('ix_execucoes_processo_id'))
        batch_op.drop_index(batch_op.f('ix_execucoes_job_id'))

    op.drop_table('execucoes')
    with op.batch_alter_table('auditoria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditoria_processo_id'))
        batch_op.drop_index('ix_auditoria_acao_id')

    op.drop_table('auditoria')
    with op.batch_alter_table('processos', schema=None) as batch_op:
        batch_op.drop_index('ix_processos_mes_status')
        batch_op.drop_index(batch_op.f('ix_processos_fatura_sha256'))
        batch_op.drop_index(batch_op.f('ix_processos_data_aprovacao'))

    op.drop_table('processos')
    with op.batch_alter_table('clientes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clientes_operadora_id'))
        batch_op.drop_index(batch_op.f('ix_clientes_hash_unico'))
        batch_op.drop_index(batch_op.f('ix_clientes_cnpj'))

    op.drop_table('clientes')
    op.drop_table('usuarios')
    op.drop_table('operadoras')
