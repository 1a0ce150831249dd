"""Read the legacy database (PostgreSQL or SQLite) tolerant of its history: the columns found are read, missing
late columns come back as None, and values are normalised (ids, booleans, numbers, JSON, timestamps).

Secrets the new system does not migrate (``users.api_externa_token``, ``flask_dance_oauth``) are never selected.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

COLUNAS: dict[str, tuple[str, ...]] = {
    "usuarios": ("id", "nome_completo", "email", "telefone", "perfil_usuario", "status_ativo", "data_criacao",
                 "data_atualizacao", "password_hash"),  # password_hash: dev SQLite databases only
    "users": ("id", "username", "email", "password", "oauth_github", "is_admin"),
    "operadoras": ("id", "nome", "codigo", "possui_rpa", "status_ativo", "url_portal", "configuracao_rpa",
                   "classe_rpa", "data_criacao", "data_atualizacao"),
    "clientes": ("id", "hash_unico", "razao_social", "nome_sat", "cnpj", "operadora_id", "filtro", "servico",
                 "dados_sat", "unidade", "site_emissao", "login_portal", "senha_portal", "cpf", "status_ativo",
                 "data_criacao", "data_atualizacao"),
    "processos": ("id", "cliente_id", "mes_ano", "status_processo", "url_fatura", "caminho_s3_fatura",
                  "fatura_s3_key", "fatura_filename", "data_upload_manual", "data_vencimento", "valor_fatura",
                  "aprovado_por_usuario_id", "data_aprovacao", "enviado_para_sat", "data_envio_sat",
                  "tentativas_download", "ultima_tentativa_download", "tentativas_upload_sat",
                  "ultima_tentativa_upload_sat", "upload_manual", "criado_automaticamente", "observacoes",
                  "data_criacao", "data_atualizacao"),
    "execucoes": ("id", "processo_id", "tipo_execucao", "status_execucao", "classe_rpa_utilizada", "job_id",
                  "parametros_entrada", "resultado_saida", "data_inicio", "data_fim", "mensagem_log",
                  "url_arquivo_s3", "numero_tentativa", "detalhes_erro", "executado_por_usuario_id", "ip_origem",
                  "user_agent"),
}
OPCIONAIS = {"usuarios": {"password_hash"}}  # columns only some databases ever had: absent is normal
IDS = {"id", "operadora_id", "cliente_id", "processo_id", "aprovado_por_usuario_id", "executado_por_usuario_id"}
BOOLEANOS = {"status_ativo", "possui_rpa", "enviado_para_sat", "upload_manual", "criado_automaticamente", "is_admin"}
INTEIROS = {"tentativas_download", "tentativas_upload_sat", "numero_tentativa"}
JSONS = {"configuracao_rpa", "parametros_entrada", "resultado_saida", "detalhes_erro"}
DATAS = {"data_vencimento"}
INSTANTES = {"data_criacao", "data_atualizacao", "data_upload_manual", "data_aprovacao", "data_envio_sat",
             "ultima_tentativa_download", "ultima_tentativa_upload_sat", "data_inicio", "data_fim"}


class LegadoIlegivel(ValueError):
    """The legacy database cannot be opened or lacks a table the import needs."""


def normalizar_id(valor: Any) -> str | None:
    """A uuid in canonical form; anything else (e.g. an integer ``users.id`` written as text) as stripped text."""
    if valor is None or valor == "":
        return None
    texto = str(valor).strip()
    try:
        return str(uuid.UUID(texto))
    except ValueError:
        return texto


def _booleano(valor: Any) -> bool | None:
    if valor is None:
        return None
    if isinstance(valor, str):
        return valor.strip().lower() in ("1", "t", "true", "y", "yes", "s", "sim")
    return bool(valor)


def _inteiro(valor: Any) -> int | None:
    if valor is None or valor == "":
        return None
    return int(Decimal(str(valor)))


def _decimal(valor: Any) -> Decimal | None:
    if valor is None or valor == "":
        return None
    try:
        return Decimal(str(valor)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _json(valor: Any) -> Any:
    if isinstance(valor, str):
        try:
            return json.loads(valor)
        except ValueError:
            return {"texto": valor}
    return valor


def _data(valor: Any) -> dt.date | None:
    if valor is None or valor == "":
        return None
    if isinstance(valor, dt.datetime):
        return valor.date()
    if isinstance(valor, dt.date):
        return valor
    return dt.date.fromisoformat(str(valor).strip()[:10])


def _instante(valor: Any, fuso: dt.tzinfo) -> dt.datetime | None:
    """Timezone-aware; the legacy wrote naive server-local times, read here in ``fuso``."""
    if valor is None or valor == "":
        return None
    if not isinstance(valor, dt.datetime):
        valor = dt.datetime.fromisoformat(str(valor).strip().replace("Z", "+00:00"))
    return valor if valor.tzinfo else valor.replace(tzinfo=fuso)


def normalizar(tabela: str, linha: dict[str, Any], fuso: ZoneInfo) -> dict[str, Any]:
    """One legacy row with every expected column present and every value in a Python type."""
    saida: dict[str, Any] = {}
    for coluna in COLUNAS[tabela]:
        valor = linha.get(coluna)
        if tabela == "users" and coluna == "id":
            saida[coluna] = None if valor is None else str(valor).strip()
        elif coluna in IDS:
            saida[coluna] = normalizar_id(valor)
        elif coluna in BOOLEANOS:
            saida[coluna] = _booleano(valor)
        elif coluna in INTEIROS:
            saida[coluna] = _inteiro(valor)
        elif coluna == "valor_fatura":
            saida[coluna] = _decimal(valor)
        elif coluna in JSONS:
            saida[coluna] = _json(valor)
        elif coluna in DATAS:
            saida[coluna] = _data(valor)
        elif coluna in INSTANTES:  # the server's now() (creation/update columns) is UTC on SQLite; the app's is local
            saida[coluna] = _instante(valor, dt.UTC if coluna in ("data_criacao", "data_atualizacao") else fuso)
        elif coluna == "password":
            saida[coluna] = bytes(valor) if isinstance(valor, (bytes, memoryview)) else valor
        else:
            saida[coluna] = valor.strip() if isinstance(valor, str) else valor
    return saida


class LeitorLegado:
    """Reads the legacy tables; ``colunas_ausentes`` says which expected columns a table lacks."""

    def __init__(self, url: str, fuso: ZoneInfo):
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg2://" + url[len("postgresql://"):]
        try:
            if not url.startswith(("postgresql+psycopg2://", "sqlite:///")):
                raise ValueError(url)
            endereco = make_url(url)
        except Exception:  # noqa: BLE001 - any parse error means the same thing to the user
            raise LegadoIlegivel("--url inválida: use postgresql+psycopg2://usuario@host:5432/banco ou "
                                 "sqlite:///caminho/db.sqlite3") from None
        if endereco.get_backend_name() == "sqlite" and not Path(endereco.database or "").is_file():
            raise LegadoIlegivel(f"o arquivo SQLite do legado {endereco.database} não existe; confira --url")
        self.url = url
        self.fuso = fuso
        self.engine = create_engine(url)
        try:
            self._colunas = {t: {c["name"] for c in inspect(self.engine).get_columns(t)}
                             for t in inspect(self.engine).get_table_names()}
        except Exception as exc:  # noqa: BLE001 - connection problems: one clear message, never the URL's password
            self.engine.dispose()
            raise LegadoIlegivel(f"não foi possível abrir o banco legado: {exc.__class__.__name__}") from None
        faltando = [t for t in COLUNAS if t not in self._colunas and t != "users"]
        if faltando:
            self.engine.dispose()
            raise LegadoIlegivel(f"o banco legado não tem as tabelas {', '.join(faltando)}; confira --url")

    def colunas_ausentes(self, tabela: str) -> list[str]:
        existentes = self._colunas.get(tabela, set())
        return [c for c in COLUNAS[tabela] if c not in existentes and c not in OPCIONAIS.get(tabela, set())]

    def ler(self, tabela: str) -> list[dict[str, Any]]:
        existentes = [c for c in COLUNAS[tabela] if c in self._colunas.get(tabela, set())]
        if not existentes:
            return []
        preparador = self.engine.dialect.identifier_preparer
        sql = f"SELECT {', '.join(preparador.quote(c) for c in existentes)} FROM {preparador.quote(tabela)}"
        with self.engine.connect() as conn:
            linhas = conn.exec_driver_sql(sql).mappings().all()
        return [normalizar(tabela, dict(linha), self.fuso) for linha in linhas]

    def fechar(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"LeitorLegado({make_url(self.url).render_as_string(hide_password=True)})"
