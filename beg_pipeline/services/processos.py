"""Processes and their executions: every status change is a conditional update plus an audit row."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, String, bindparam, func, insert, select, type_coerce, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from beg_pipeline.db.models import Cliente, Evento, Execucao, Operadora, Processo, agora
from beg_pipeline.domain import calendario
from beg_pipeline.domain.execucao import ClasseFalha, StatusExecucao, TipoExecucao, status_exigido
from beg_pipeline.domain.perfis import SISTEMA, Ator, Permissao
from beg_pipeline.domain.politica_tentativas import RECOMECO_DOWNLOAD
from beg_pipeline.domain.processo import (
    TRANSICOES,
    AcaoProcesso,
    StatusProcesso,
    TransicaoInvalida,
)
from beg_pipeline.services import auditoria, notificacoes
from beg_pipeline.services.contexto import Contexto, IdEntidade, NaoEncontrado, RegraViolada


class ExecucaoEmAndamento(RegraViolada):
    """Another execution of the same type is already running for the process."""


@dataclass(frozen=True)
class FaturaArmazenada:
    """An invoice PDF already stored in the object store."""

    chave: str
    sha256: str
    nome_arquivo: str
    valor: Decimal | None = None
    vencimento: dt.date | None = None
    url: str | None = None
    conferencias: dict[str, Any] | None = None  # what the PDF's reading found (``faturas.leitura.conferencias``)


@dataclass
class ResumoCriacao:
    mes_ano: str
    criados: int = 0
    ja_existentes: int = 0
    ignorados: int = 0
    linhas: list[dict[str, str]] = field(default_factory=list)


def _insert(session: Session):
    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(Processo.__table__)


def criar_processos_do_mes(ctx: Contexto, ator: Ator, mes_ano: str) -> ResumoCriacao:
    """Open the month's process for every active client of an active carrier; a second call creates nothing."""
    ator.exigir(Permissao.EXECUTAR_PIPELINE)
    calendario.particao_de_mes_ano(mes_ano)
    resumo = ResumoCriacao(mes_ano)
    with ctx.db.transacao() as s:
        existe = select(Processo.id).where(Processo.cliente_id == Cliente.id, Processo.mes_ano == mes_ano).exists()
        clientes = s.execute(  # one pass; the (cliente_id, mes_ano) unique index answers EXISTS per client
            select(type_coerce(Cliente.id, String).label("id"), Cliente.razao_social, Cliente.cnpj, Cliente.filtro,
                   Cliente.status_ativo, Operadora.codigo, Operadora.status_ativo.label("operadora_ativa"),
                   existe.label("existe"))  # on SQLite the id stays text: a UUID object only for new processes
            .join(Operadora, Cliente.operadora_id == Operadora.id)
            .order_by(Operadora.codigo, Cliente.razao_social)
        ).all()
        novos, linhas, momento = [], [], agora()
        for c in clientes:
            linha = {"cliente": c.razao_social, "cnpj": c.cnpj, "operadora": c.codigo, "filtro": c.filtro}
            if c.existe:
                linha["situacao"] = "já existia"
            elif not (c.status_ativo and c.operadora_ativa):
                linha["situacao"] = ("ignorado (cliente inativo)" if not c.status_ativo
                                     else "ignorado (operadora inativa)")
            else:
                linha["id"] = uuid.uuid4()
                novos.append(dict(id=linha["id"], cliente_id=uuid.UUID(str(c.id)), mes_ano=mes_ano,
                                  status_processo=StatusProcesso.AGUARDANDO_DOWNLOAD.value,
                                  criado_automaticamente=ator.perfil.value == "SISTEMA",
                                  data_criacao=momento, data_atualizacao=momento))
            linhas.append(linha)
        criados: set = set()
        if novos:
            tabela = Processo.__table__
            inserir = _insert(s).on_conflict_do_nothing(index_elements=["cliente_id", "mes_ano"]).returning(tabela.c.id)
            criados = set(s.connection().execute(inserir, novos).scalars())
            auditoria.registrar(s, ator, "CRIAR_PROCESSOS_MENSAIS", "processos", mes_ano,
                                detalhes={"mes_ano": mes_ano, "criados": len(criados)})
    for linha in linhas:
        if "id" in linha:
            linha["situacao"] = "criado" if linha.pop("id") in criados else "já existia"
        resumo.linhas.append(linha)
    resumo.criados = len(criados)
    resumo.ja_existentes = sum(1 for linha in resumo.linhas if linha["situacao"] == "já existia")
    resumo.ignorados = len(resumo.linhas) - resumo.criados - resumo.ja_existentes
    return resumo


def _transitar(s: Session, acao: AcaoProcesso, processo_id: IdEntidade, *, onde: tuple = (),
               **valores: Any) -> None:
    """``UPDATE … WHERE status_processo = :origem``: exactly one caller wins, the others get a clear error.

    The winner also writes the transition's ``EventoProcesso`` (if any) to ``eventos_processo``, in the same
    transaction: an event exists exactly when its status change was committed; and resolves the process's
    notifications whose cause was the status it left. Every status-changing service
    (here and in ``aprovacoes``) goes through this function. ``onde``: more conditions (e.g. the PDF the
    approver saw); when only they fail, the process changed under the caller: ``RegraViolada``.
    """
    t = TRANSICOES[acao]
    mudado = s.execute(
        update(Processo)
        .where(Processo.id == processo_id, Processo.status_processo == t.origem.value, *onde)
        .values(status_processo=t.destino.value, data_atualizacao=agora(), **valores)
        .returning(Processo.id, Processo.mes_ano)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if mudado is None:
        atual = s.scalar(select(Processo.status_processo).where(Processo.id == processo_id))
        if atual is None:
            raise NaoEncontrado(f"Processo {processo_id} não existe.")
        if atual == t.origem.value and onde:
            raise RegraViolada("A fatura deste processo mudou enquanto você decidia (outro PDF chegou): recarregue "
                               "a página e confira a fatura nova antes de decidir.")
        raise TransicaoInvalida(acao, atual, str(processo_id))
    _depois_de_transitar(s, acao, [mudado])


def transitar_em_lote(s: Session, acao: AcaoProcesso, por_processo: dict[IdEntidade, dict[str, Any]],
                      **comuns: Any) -> None:
    """``_transitar`` for many processes (services only): one conditional update moves them all, then each gets its
    own values (``por_processo``: the same columns for every process). When any process is not where the
    transition starts, nothing is left half done: ``RegraViolada`` (the caller rolls back and, to learn which one
    and why, moves them one by one)."""
    t = TRANSICOES[acao]
    mudados = s.execute(
        update(Processo)
        .where(Processo.id.in_(por_processo), Processo.status_processo == t.origem.value)
        .values(status_processo=t.destino.value, data_atualizacao=agora(), **comuns)
        .returning(Processo.id, Processo.mes_ano)
        .execution_options(synchronize_session=False)
    ).all()
    if len(mudados) != len(por_processo):
        raise RegraViolada(f"{len(por_processo) - len(mudados)} de {len(por_processo)} processos não estão em "
                           f"{t.origem.value}.")
    colunas = sorted(next(iter(por_processo.values()), {}))
    if colunas:
        tabela = Processo.__table__
        s.execute(update(tabela).where(tabela.c.id == bindparam("b_id"))
                  .values({c: bindparam(f"b_{c}") for c in colunas}),
                  [{"b_id": pid, **{f"b_{c}": v[c] for c in colunas}} for pid, v in por_processo.items()])
    _depois_de_transitar(s, acao, mudados)


def _depois_de_transitar(s: Session, acao: AcaoProcesso, mudados: list[Row]) -> None:
    """What every committed transition carries: its processes' notifications resolved, its event written."""
    t = TRANSICOES[acao]
    notificacoes.resolver_dos_processos(s, [m.id for m in mudados], t.destino.value)  # e.g. "vence em…" once sent
    if t.evento is not None:
        momento = agora()
        s.execute(insert(Evento), [{"processo_id": m.id, "mes_ano": m.mes_ano, "tipo": t.evento.value,
                                    "criado_em": momento} for m in mudados])


def _carregar(s: Session, processo_id: IdEntidade) -> Processo:
    processo = s.get(Processo, processo_id)
    if processo is None:
        raise NaoEncontrado(f"Processo {processo_id} não existe.")
    return processo


def registrar_upload_manual(ctx: Contexto, ator: Ator, processo_id: IdEntidade, fatura: FaturaArmazenada) -> None:
    """AGUARDANDO_DOWNLOAD → AGUARDANDO_APROVACAO with a PDF a person uploaded (already validated and stored)."""
    ator.exigir(Permissao.UPLOAD_MANUAL)
    with ctx.db.transacao() as s:
        momento = agora()
        _transitar(s, AcaoProcesso.UPLOAD_MANUAL, processo_id, upload_manual=True, data_upload_manual=momento,
                   upload_manual_por_usuario_id=ator.usuario_id, **campos_fatura(fatura))
        anteriores = s.scalar(select(func.count()).where(
            Execucao.processo_id == processo_id, Execucao.tipo_execucao == TipoExecucao.UPLOAD_MANUAL.value))
        s.add(Execucao(processo_id=processo_id, tipo_execucao=TipoExecucao.UPLOAD_MANUAL.value,
                       status_execucao=StatusExecucao.CONCLUIDO.value, numero_tentativa=anteriores + 1,
                       data_inicio=momento, data_fim=momento, url_arquivo_s3=fatura.chave,
                       resultado_saida={"sha256": fatura.sha256, "nome_arquivo": fatura.nome_arquivo,
                                        **(fatura.conferencias or {})},
                       executado_por_usuario_id=ator.usuario_id, ip_origem=ator.ip, user_agent=ator.user_agent))
        auditoria.registrar(s, ator, "UPLOAD_MANUAL", "processos", processo_id, processo_id=processo_id,
                            sha256_pdf=fatura.sha256, detalhes={"nome_arquivo": fatura.nome_arquivo})


DOWNLOAD_PELO_ROBO = {"classe_ultima_falha": None, "upload_manual": False, "data_upload_manual": None,
                      "upload_manual_por_usuario_id": None}  # a process's invoice came from the robot


def campos_fatura(fatura: FaturaArmazenada) -> dict[str, Any]:
    """A process's columns that describe its invoice."""
    return dict(fatura_s3_key=fatura.chave, caminho_s3_fatura=fatura.chave, fatura_sha256=fatura.sha256,
                fatura_filename=fatura.nome_arquivo, url_fatura=fatura.url,
                valor_fatura=fatura.valor, data_vencimento=fatura.vencimento)


def liberar_nova_tentativa(ctx: Contexto, ator: Ator, processo_id: IdEntidade) -> None:
    """Reset the download attempts of a process still waiting for its invoice (e.g. after fixing credentials)."""
    ator.exigir(Permissao.REENVIAR_DOWNLOAD)
    with ctx.db.transacao() as s:
        resultado = s.execute(
            update(Processo)
            .where(Processo.id == processo_id,
                   Processo.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value)
            .values(**RECOMECO_DOWNLOAD, data_atualizacao=agora())
        )
        if resultado.rowcount != 1:
            atual = _carregar(s, processo_id).status_processo
            raise RegraViolada(f"Só um processo em AGUARDANDO_DOWNLOAD pode ser tentado de novo; este está em {atual}.")
        auditoria.registrar(s, ator, "LIBERAR_NOVA_TENTATIVA", "processos", processo_id, processo_id=processo_id)


CONTADORES = {  # per attempt type: the process's attempt counter and when the last one started
    TipoExecucao.DOWNLOAD_FATURA: (Processo.tentativas_download, "ultima_tentativa_download"),
    TipoExecucao.UPLOAD_SAT: (Processo.tentativas_upload_sat, "ultima_tentativa_upload_sat"),
}


def abrir_execucao(ctx: Contexto, ator: Ator, processo_id: IdEntidade, tipo: TipoExecucao,
                   parametros: dict[str, Any] | None = None, classe_rpa: str | None = None) -> Execucao:
    """Record a new robot attempt (EXECUTANDO) before it is submitted; at most one runs per process and type.

    ``numero_tentativa`` numbers the attempts of the process's whole history; the process's own counter
    (``tentativas_download`` / ``tentativas_upload_sat``) counts attempts since the last reset, for the retry limit.
    """
    ator.exigir(Permissao.EXECUTAR_PIPELINE)
    try:
        with ctx.db.transacao() as s:
            return _abrir(s, processo_id, tipo, parametros, classe_rpa)
    except IntegrityError:
        raise em_andamento(processo_id, tipo) from None


def em_andamento(processo_id: IdEntidade, tipo: TipoExecucao) -> ExecucaoEmAndamento:
    return ExecucaoEmAndamento(f"Já existe uma execução {tipo.value} em andamento para o processo {processo_id}.")


def _abrir(s: Session, processo_id: IdEntidade, tipo: TipoExecucao, parametros: dict[str, Any] | None,
           classe_rpa: str | None) -> Execucao:
    contador, coluna_data = CONTADORES[tipo]
    exigido = status_exigido(tipo)
    momento = agora()
    resultado = s.execute(
        update(Processo)
        .where(Processo.id == processo_id, Processo.status_processo == exigido.value)
        .values({contador: contador + 1, coluna_data: momento})
        .returning(contador)
    )
    if resultado.scalar_one_or_none() is None:
        atual = _carregar(s, processo_id).status_processo
        raise RegraViolada(f"{tipo.value} exige o processo em {exigido.value}; está em {atual}.")
    do_tipo = (Execucao.processo_id == processo_id, Execucao.tipo_execucao == tipo.value)
    executando = Execucao.status_execucao == StatusExecucao.EXECUTANDO.value
    if s.scalar(select(Execucao.id).where(*do_tipo, executando)):
        raise em_andamento(processo_id, tipo)
    numero = (s.scalar(select(func.max(Execucao.numero_tentativa)).where(*do_tipo)) or 0) + 1
    execucao = Execucao(processo_id=processo_id, tipo_execucao=tipo.value, numero_tentativa=numero,
                        status_execucao=StatusExecucao.EXECUTANDO.value, data_inicio=momento,
                        parametros_entrada=parametros, classe_rpa_utilizada=classe_rpa)
    s.add(execucao)
    s.flush()
    return execucao


def falhar_execucao(ctx: Contexto, execucao_id: IdEntidade, status: StatusExecucao, mensagem: str,
                    classe: ClasseFalha | None = None, detalhes: dict[str, Any] | None = None) -> bool:
    """Close a running attempt as failed; the process stays where it is, retryable, with the reason recorded."""
    with ctx.db.transacao() as s:
        execucao = s.get(Execucao, execucao_id)
        if not _fechar(s, execucao_id, status, detalhes_erro={"mensagem": mensagem, **(detalhes or {})},
                       classe_falha=classe.value if classe else None):
            return False
        s.execute(update(Processo).where(Processo.id == execucao.processo_id)
                  .values(classe_ultima_falha=classe.value if classe else None, data_atualizacao=agora()))
        auditoria.registrar(s, SISTEMA, f"{execucao.tipo_execucao}_{status.value}", "execucoes", execucao_id,
                            processo_id=execucao.processo_id,
                            detalhes={"mensagem": mensagem, "classe": classe.value if classe else None})
    return True


def concluir_download(ctx: Contexto, execucao_id: IdEntidade, fatura: FaturaArmazenada,
                      resultado: dict[str, Any]) -> None:
    """Close the download attempt and move the process to AGUARDANDO_APROVACAO, atomically."""
    with ctx.db.transacao() as s:
        _concluir_download(s, execucao_id, fatura, resultado)


def _concluir_download(s: Session, execucao_id: IdEntidade, fatura: FaturaArmazenada,
                       resultado: dict[str, Any]) -> None:
    processo_id = s.scalar(select(Execucao.processo_id).where(Execucao.id == execucao_id))
    if not _fechar(s, execucao_id, StatusExecucao.CONCLUIDO, resultado_saida=resultado, url_arquivo_s3=fatura.chave):
        raise RegraViolada(f"A execução {execucao_id} não está mais em andamento.")
    _transitar(s, AcaoProcesso.DOWNLOAD_CONCLUIDO, processo_id, **DOWNLOAD_PELO_ROBO, **campos_fatura(fatura))
    auditoria.registrar(s, SISTEMA, "DOWNLOAD_CONCLUIDO", "processos", processo_id, processo_id=processo_id,
                        sha256_pdf=fatura.sha256)


def concluir_envio_sat(ctx: Contexto, execucao_id: IdEntidade, resultado: dict[str, Any]) -> None:
    """Close the SAT attempt and mark the process UPLOAD_REALIZADO (reached once, ever)."""
    with ctx.db.transacao() as s:
        execucao = s.get(Execucao, execucao_id)
        if not _fechar(s, execucao_id, StatusExecucao.CONCLUIDO, resultado_saida=resultado):
            raise RegraViolada(f"A execução {execucao_id} não está mais em andamento.")
        momento = agora()
        _transitar(s, AcaoProcesso.ENVIO_SAT_CONCLUIDO, execucao.processo_id, enviado_para_sat=True,
                   data_envio_sat=momento)
        auditoria.registrar(s, SISTEMA, "ENVIO_SAT_CONCLUIDO", "processos", execucao.processo_id,
                            processo_id=execucao.processo_id, detalhes={"resultado": resultado})


def cancelar_execucao(ctx: Contexto, ator: Ator, execucao_id: uuid.UUID, motivo: str) -> bool:
    """Close a running attempt CANCELADO (its robot job was cancelled); the process stays where it is, retryable.
    False when the attempt was no longer running."""
    with ctx.db.transacao() as s:
        execucao = s.get(Execucao, execucao_id)
        if execucao is None or not _fechar(s, execucao_id, StatusExecucao.CANCELADO,
                                           detalhes_erro={"mensagem": motivo, "job_id": execucao.job_id}):
            return False
        auditoria.registrar(s, ator, f"{execucao.tipo_execucao}_CANCELADO", "execucoes", execucao_id,
                            processo_id=execucao.processo_id, detalhes={"motivo": motivo, "job_id": execucao.job_id})
    return True


def _fechar(s: Session, execucao_id: IdEntidade, status: StatusExecucao, **valores: Any) -> bool:
    resultado = s.execute(
        update(Execucao)
        .where(Execucao.id == execucao_id, Execucao.status_execucao == StatusExecucao.EXECUTANDO.value)
        .values(status_execucao=status.value, data_fim=agora(), **valores)
        .execution_options(synchronize_session=False)
    )
    return resultado.rowcount == 1


def obter_processo(ctx: Contexto, processo_id: IdEntidade) -> Processo:
    with ctx.db.leitura() as s:
        return _carregar(s, processo_id)


def processos_do_mes(ctx: Contexto, mes_ano: str, status: StatusProcesso | None = None) -> list[Processo]:
    with ctx.db.leitura() as s:
        consulta = select(Processo).where(Processo.mes_ano == mes_ano)
        if status is not None:
            consulta = consulta.where(Processo.status_processo == status.value)
        return list(s.scalars(consulta.order_by(Processo.data_criacao)))


def execucoes_do_processo(ctx: Contexto, processo_id: IdEntidade) -> list[Execucao]:
    with ctx.db.leitura() as s:
        return list(s.scalars(select(Execucao).where(Execucao.processo_id == processo_id)
                              .order_by(Execucao.data_inicio)))
