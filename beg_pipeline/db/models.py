"""SQLAlchemy 2.0 models with the legacy table and column names."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def agora() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("timestamps must be timezone-aware")
            value = value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class Timestamps:
    data_criacao: Mapped[dt.datetime] = mapped_column(default=agora)
    data_atualizacao: Mapped[dt.datetime] = mapped_column(default=agora, onupdate=agora)


class Usuario(Timestamps, Base):
    __tablename__ = "usuarios"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    nome_completo: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    telefone: Mapped[str | None] = mapped_column(String(40))
    perfil_usuario: Mapped[str] = mapped_column(String(20))
    status_ativo: Mapped[bool] = mapped_column(default=True)
    senha_hash: Mapped[str] = mapped_column(String(255))
    tentativas_login_falhas: Mapped[int] = mapped_column(default=0)
    bloqueado_ate: Mapped[dt.datetime | None]
    ultimo_login: Mapped[dt.datetime | None]


class TentativaLoginOrigem(Base):
    """Login attempts per client address in the current window (throttles one address guessing many accounts)."""

    __tablename__ = "tentativas_login_origem"

    ip_origem: Mapped[str] = mapped_column(String(64), primary_key=True)
    tentativas: Mapped[int] = mapped_column(default=0)
    janela_inicio: Mapped[dt.datetime] = mapped_column(default=agora, index=True)


class Operadora(Timestamps, Base):
    __tablename__ = "operadoras"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    nome: Mapped[str] = mapped_column(String(100), unique=True)
    codigo: Mapped[str] = mapped_column(String(30), unique=True)
    possui_rpa: Mapped[bool] = mapped_column(default=False)
    status_ativo: Mapped[bool] = mapped_column(default=True)
    url_portal: Mapped[str | None] = mapped_column(String(500))
    classe_rpa: Mapped[str | None] = mapped_column(String(100))
    configuracao_rpa: Mapped[dict[str, Any] | None]


class Cliente(Timestamps, Base):
    __tablename__ = "clientes"
    __table_args__ = (
        UniqueConstraint("cnpj", "operadora_id", "filtro", "unidade", "servico", name="uq_clientes_chave_natural"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    hash_unico: Mapped[str | None] = mapped_column(String(64), index=True)
    razao_social: Mapped[str] = mapped_column(String(300))
    nome_sat: Mapped[str | None] = mapped_column(String(300))
    cnpj: Mapped[str] = mapped_column(String(14), index=True)
    operadora_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operadoras.id"), index=True)
    filtro: Mapped[str] = mapped_column(String(200), default="")  # "" when the account has none
    servico: Mapped[str] = mapped_column(String(100), default="")
    dados_sat: Mapped[str | None] = mapped_column(Text)
    unidade: Mapped[str] = mapped_column(String(200), default="")
    categoria: Mapped[str | None] = mapped_column(String(200))
    site_emissao: Mapped[str | None] = mapped_column(String(500))
    login_portal: Mapped[str | None] = mapped_column(String(200))
    senha_portal: Mapped[str | None] = mapped_column(Text, comment="Fernet ciphertext, never plaintext")
    cpf: Mapped[str | None] = mapped_column(String(11))
    observacoes: Mapped[str | None] = mapped_column(Text)
    status_ativo: Mapped[bool] = mapped_column(default=True)

    operadora: Mapped[Operadora] = relationship(lazy="joined")


class Processo(Timestamps, Base):
    __tablename__ = "processos"
    __table_args__ = (
        UniqueConstraint("cliente_id", "mes_ano", name="uq_processos_cliente_mes"),
        Index("ix_processos_mes_status", "mes_ano", "status_processo"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    cliente_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clientes.id"))
    mes_ano: Mapped[str] = mapped_column(String(7))
    status_processo: Mapped[str] = mapped_column(String(30))
    url_fatura: Mapped[str | None] = mapped_column(String(1000))
    caminho_s3_fatura: Mapped[str | None] = mapped_column(String(1000))
    fatura_s3_key: Mapped[str | None] = mapped_column(String(500))
    fatura_filename: Mapped[str | None] = mapped_column(String(255))
    fatura_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    data_vencimento: Mapped[dt.date | None] = mapped_column(Date)
    valor_fatura: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    aprovado_por_usuario_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("usuarios.id"))
    data_aprovacao: Mapped[dt.datetime | None] = mapped_column(index=True)
    enviado_para_sat: Mapped[bool] = mapped_column(default=False)
    data_envio_sat: Mapped[dt.datetime | None]
    tentativas_download: Mapped[int] = mapped_column(default=0)
    ultima_tentativa_download: Mapped[dt.datetime | None]
    tentativas_upload_sat: Mapped[int] = mapped_column(default=0)
    ultima_tentativa_upload_sat: Mapped[dt.datetime | None]
    classe_ultima_falha: Mapped[str | None] = mapped_column(String(20))
    upload_manual: Mapped[bool] = mapped_column(default=False)
    data_upload_manual: Mapped[dt.datetime | None]
    upload_manual_por_usuario_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("usuarios.id"))
    criado_automaticamente: Mapped[bool] = mapped_column(default=True)
    observacoes: Mapped[str | None] = mapped_column(Text)

    cliente: Mapped[Cliente] = relationship(lazy="joined")


class Execucao(Base):
    __tablename__ = "execucoes"
    __table_args__ = (
        UniqueConstraint("processo_id", "tipo_execucao", "numero_tentativa", name="uq_execucoes_tentativa"),
        Index(
            "uq_execucoes_uma_em_andamento",
            "processo_id",
            "tipo_execucao",
            unique=True,
            sqlite_where=text("status_execucao = 'EXECUTANDO'"),
            postgresql_where=text("status_execucao = 'EXECUTANDO'"),
        ),
        Index("ix_execucoes_status_inicio", "status_execucao", "data_inicio"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    processo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("processos.id"), index=True)
    tipo_execucao: Mapped[str] = mapped_column(String(20))
    status_execucao: Mapped[str] = mapped_column(String(20))
    classe_rpa_utilizada: Mapped[str | None] = mapped_column(String(100))
    job_id: Mapped[str | None] = mapped_column(String(100), index=True)
    parametros_entrada: Mapped[dict[str, Any] | None]
    resultado_saida: Mapped[dict[str, Any] | None]
    detalhes_erro: Mapped[dict[str, Any] | None]
    classe_falha: Mapped[str | None] = mapped_column(String(20))
    data_inicio: Mapped[dt.datetime] = mapped_column(default=agora)
    data_fim: Mapped[dt.datetime | None]
    mensagem_log: Mapped[str | None] = mapped_column(Text)
    url_arquivo_s3: Mapped[str | None] = mapped_column(String(1000))
    numero_tentativa: Mapped[int] = mapped_column(default=1)
    executado_por_usuario_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("usuarios.id"))
    ip_origem: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))


class Notificacao(Base):
    __tablename__ = "notificacoes"
    __table_args__ = (Index("uq_notificacoes_chave", "chave", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tipo: Mapped[str] = mapped_column(String(20))
    destinatario: Mapped[str] = mapped_column(String(254))
    assunto: Mapped[str] = mapped_column(String(300))
    mensagem: Mapped[str] = mapped_column(Text)
    status_envio: Mapped[str] = mapped_column(String(20), default="PENDENTE")
    tentativas_envio: Mapped[int] = mapped_column(default=0)
    data_envio: Mapped[dt.datetime | None]
    mensagem_erro: Mapped[str | None] = mapped_column(Text)
    processo_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("processos.id"), index=True)
    data_criacao: Mapped[dt.datetime] = mapped_column(default=agora, index=True)
    chave: Mapped[str | None] = mapped_column(String(200), comment="de-duplication key: one notification per key")
    status_causa: Mapped[str | None] = mapped_column(
        String(200), comment="process statuses (comma-separated) that keep it open; leaving them resolves it")
    data_resolucao: Mapped[dt.datetime | None] = mapped_column(index=True)


class EnvioNotificacao(Base):
    """Outbox: one message per (notification, channel, recipient), sent by ``envios_notificacao.enviar_pendentes``."""

    __tablename__ = "envios_notificacao"
    __table_args__ = (
        UniqueConstraint("notificacao_id", "canal", "destino", name="uq_envios_notificacao_mensagem"),
        Index("ix_envios_notificacao_status_proxima", "status_envio", "proxima_tentativa"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    notificacao_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notificacoes.id"))
    canal: Mapped[str] = mapped_column(String(20))
    destino: Mapped[str] = mapped_column(String(254), comment="e-mail address, or webhook:<sha256 prefix of its URL>")
    status_envio: Mapped[str] = mapped_column(String(20), default="PENDENTE")
    tentativas: Mapped[int] = mapped_column(default=0)
    proxima_tentativa: Mapped[dt.datetime] = mapped_column(default=agora)
    reservado_ate: Mapped[dt.datetime | None] = mapped_column(comment="a drainer holds the row until then")
    reserva: Mapped[uuid.UUID | None]
    erro: Mapped[str | None] = mapped_column(Text, comment="last failure, secrets removed")
    data_criacao: Mapped[dt.datetime] = mapped_column(default=agora)
    data_envio: Mapped[dt.datetime | None]


class PreferenciaNotificacao(Base):
    """A channel turned off for a user (escopo USUARIO, alvo = user id) or a profile (PERFIL, alvo = profile)."""

    __tablename__ = "preferencias_notificacao"

    escopo: Mapped[str] = mapped_column(String(10), primary_key=True)
    alvo: Mapped[str] = mapped_column(String(64), primary_key=True)
    canal: Mapped[str] = mapped_column(String(20), primary_key=True)
    data_criacao: Mapped[dt.datetime] = mapped_column(default=agora)


class Auditoria(Base):
    """Append-only trail (UPDATE and DELETE are refused by database triggers)."""

    __tablename__ = "auditoria"
    __table_args__ = (Index("ix_auditoria_acao_id", "acao", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    data: Mapped[dt.datetime] = mapped_column(default=agora)
    usuario_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("usuarios.id"))
    ator: Mapped[str] = mapped_column(String(254))
    perfil: Mapped[str] = mapped_column(String(20))
    acao: Mapped[str] = mapped_column(String(40))
    entidade: Mapped[str] = mapped_column(String(40))
    entidade_id: Mapped[str | None] = mapped_column(String(64))
    processo_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("processos.id"), index=True)
    sha256_pdf: Mapped[str | None] = mapped_column(String(64))
    detalhes: Mapped[dict[str, Any] | None]
    ip_origem: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))


class Evento(Base):
    """Outbox of process events (``EventoProcesso``), written in the transaction of the status change that emits
    them; readers keep the last ``id`` they handled as their cursor."""

    __tablename__ = "eventos_processo"
    __table_args__ = (Index("ix_eventos_processo_tipo_id", "tipo", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    processo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("processos.id"), index=True)
    mes_ano: Mapped[str] = mapped_column(String(7))
    tipo: Mapped[str] = mapped_column(String(30))
    criado_em: Mapped[dt.datetime] = mapped_column(default=agora)


class NotificacaoLida(Base):
    """Which user has read which in-app notification."""

    __tablename__ = "notificacoes_lidas"

    notificacao_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notificacoes.id"), primary_key=True)
    usuario_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("usuarios.id"), primary_key=True)
    data_leitura: Mapped[dt.datetime] = mapped_column(default=agora)


class LegadoMapeamento(Base):
    """Which new row each imported legacy row became, with fingerprints for incremental re-imports."""

    __tablename__ = "legado_mapeamento"
    __table_args__ = (Index("ix_legado_mapeamento_tabela_id_novo", "tabela", "id_novo"),)

    tabela: Mapped[str] = mapped_column(String(30), primary_key=True)
    id_legado: Mapped[str] = mapped_column(String(64), primary_key=True)
    id_novo: Mapped[str] = mapped_column(String(64))
    hash_da_linha: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the legacy row as last imported")
    hash_gravado: Mapped[str | None] = mapped_column(String(64),
                                                     comment="SHA-256 of the new row as the import wrote it")
    data_importacao: Mapped[dt.datetime] = mapped_column(default=agora)
