"""A polling round's bookkeeping for many robot attempts at once: opening them, their job ids and robot log lines,
their completed downloads — a few statements per round, not a few per attempt.

A round of 40 robots otherwise costs hundreds of statements, each built and compiled by the ORM in the thread that
also follows the robots. When anything in a round is refused (an attempt no longer running, a process moved), the
round is rolled back and redone attempt by attempt with the single forms in ``processos``, so one refusal never
holds the others back and each gets its own reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from beg_pipeline.db.models import Execucao, Processo, agora
from beg_pipeline.domain.execucao import StatusExecucao, TipoExecucao, status_exigido
from beg_pipeline.domain.perfis import SISTEMA, Ator, Permissao
from beg_pipeline.domain.processo import AcaoProcesso
from beg_pipeline.services import auditoria, processos
from beg_pipeline.services.contexto import Contexto, IdEntidade, RegraViolada
from beg_pipeline.services.processos import FaturaArmazenada

_EXECUCOES = Execucao.__table__
_EXECUTANDO = StatusExecucao.EXECUTANDO.value
_JOB = (update(_EXECUCOES)
        .where(_EXECUCOES.c.id == bindparam("b_id"), _EXECUCOES.c.status_execucao == _EXECUTANDO)
        .values(job_id=bindparam("b_job")))
_TEXTO = bindparam("b_texto", type_=Text)
_LOG = (update(_EXECUCOES).where(_EXECUCOES.c.id == bindparam("b_id"))  # the database appends: no read-modify-write
        .values(mensagem_log=case((func.coalesce(_EXECUCOES.c.mensagem_log, "") == "", _TEXTO),
                                  else_=_EXECUCOES.c.mensagem_log + "\n" + _TEXTO)))
_RESULTADO = (update(_EXECUCOES).where(_EXECUCOES.c.id == bindparam("b_id"))
              .values(resultado_saida=bindparam("b_resultado"), url_arquivo_s3=bindparam("b_chave")))


@dataclass(frozen=True)
class PedidoExecucao:
    processo_id: IdEntidade
    parametros: dict[str, Any] | None = None
    classe_rpa: str | None = None


def abrir_execucoes(ctx: Contexto, ator: Ator, tipo: TipoExecucao,
                    pedidos: list[PedidoExecucao]) -> dict[IdEntidade, Execucao | Exception]:
    """``processos.abrir_execucao`` for a round of submits. Per process: its ``Execucao``, or why not."""
    ator.exigir(Permissao.EXECUTAR_PIPELINE)
    try:
        with ctx.db.transacao() as s:
            return _abrir(s, tipo, pedidos)
    except Exception:  # noqa: BLE001 - the round is rolled back and redone process by process
        resultados: dict[IdEntidade, Execucao | Exception] = {}
        for p in pedidos:
            try:
                resultados[p.processo_id] = processos.abrir_execucao(ctx, ator, p.processo_id, tipo, p.parametros,
                                                                     p.classe_rpa)
            except Exception as exc:  # noqa: BLE001 - reported per process to the caller
                resultados[p.processo_id] = exc
        return resultados


def _abrir(s: Session, tipo: TipoExecucao, pedidos: list[PedidoExecucao]) -> dict[IdEntidade, Execucao]:
    if not pedidos:
        return {}
    contador, coluna_data = processos.CONTADORES[tipo]
    ids = [p.processo_id for p in pedidos]
    momento = agora()
    contados = s.scalars(update(Processo)
                         .where(Processo.id.in_(ids), Processo.status_processo == status_exigido(tipo).value)
                         .values({contador: contador + 1, coluna_data: momento})
                         .returning(Processo.id).execution_options(synchronize_session=False)).all()
    if len(contados) != len(set(ids)):
        raise RegraViolada(f"{tipo.value}: {len(set(ids)) - len(contados)} processos fora de "
                           f"{status_exigido(tipo).value}.")
    do_tipo = (Execucao.processo_id.in_(ids), Execucao.tipo_execucao == tipo.value)
    emandamento = s.scalar(select(Execucao.processo_id).where(*do_tipo, Execucao.status_execucao == _EXECUTANDO)
                           .limit(1))
    if emandamento is not None:
        raise processos.em_andamento(emandamento, tipo)
    numeros = dict(s.execute(select(Execucao.processo_id, func.max(Execucao.numero_tentativa)).where(*do_tipo)
                             .group_by(Execucao.processo_id)).all())
    abertas = {p.processo_id: Execucao(processo_id=p.processo_id, tipo_execucao=tipo.value,
                                       numero_tentativa=(numeros.get(p.processo_id) or 0) + 1,
                                       status_execucao=_EXECUTANDO, data_inicio=momento,
                                       parametros_entrada=p.parametros, classe_rpa_utilizada=p.classe_rpa)
               for p in pedidos}
    s.add_all(abertas.values())
    s.flush()
    return abertas


def registrar_job(ctx: Contexto, execucao_id: IdEntidade, job_id: str) -> None:
    """Remember the robot's job id for a running attempt (so a crash can adopt it)."""
    registrar_rodada(ctx, jobs={execucao_id: job_id})


def registrar_rodada(ctx: Contexto, *, jobs: dict[Any, str] | None = None, logs: dict[Any, str] | None = None) -> None:
    """A polling round's job ids of running attempts (so a crash can adopt them) and robot log lines appended to
    executions, in one transaction."""
    if not jobs and not logs:
        return
    with ctx.db.transacao() as s:
        if jobs:
            s.execute(_JOB, [{"b_id": e, "b_job": j} for e, j in jobs.items()])
        if logs:
            s.execute(_LOG, [{"b_id": e, "b_texto": t} for e, t in logs.items()])


def concluir_downloads(ctx: Contexto, conclusoes: Sequence[tuple[IdEntidade, FaturaArmazenada, dict[str, Any]]]
                       ) -> dict[IdEntidade, Exception | None]:
    """``processos.concluir_download`` for a polling round: attempts closed, processes moved to
    AGUARDANDO_APROVACAO. Per execution: None, or why not."""
    try:
        with ctx.db.transacao() as s:
            _concluir(s, conclusoes)
        return dict.fromkeys((c[0] for c in conclusoes), None)
    except Exception:  # noqa: BLE001 - the round is rolled back and redone attempt by attempt
        resultados: dict[IdEntidade, Exception | None] = {}
        for execucao_id, fatura, resultado in conclusoes:
            try:
                processos.concluir_download(ctx, execucao_id, fatura, resultado)
                resultados[execucao_id] = None
            except Exception as exc:  # noqa: BLE001 - reported per attempt to the caller
                resultados[execucao_id] = exc
        return resultados


def _concluir(s: Session, conclusoes: Sequence[tuple[IdEntidade, FaturaArmazenada, dict[str, Any]]]) -> None:
    if not conclusoes:
        return
    ids = [c[0] for c in conclusoes]
    fechadas = dict(s.execute(
        update(Execucao).where(Execucao.id.in_(ids), Execucao.status_execucao == _EXECUTANDO)
        .values(status_execucao=StatusExecucao.CONCLUIDO.value, data_fim=agora())
        .returning(Execucao.id, Execucao.processo_id).execution_options(synchronize_session=False)).all())
    if len(fechadas) != len(set(ids)):
        raise RegraViolada(f"{len(set(ids)) - len(fechadas)} execuções não estão mais em andamento.")
    s.execute(_RESULTADO, [{"b_id": e, "b_resultado": r, "b_chave": f.chave} for e, f, r in conclusoes])
    processos.transitar_em_lote(s, AcaoProcesso.DOWNLOAD_CONCLUIDO,
                                {fechadas[e]: processos.campos_fatura(f) for e, f, _ in conclusoes},
                                **processos.DOWNLOAD_PELO_ROBO)
    for e, f, _ in conclusoes:
        auditoria.registrar(s, SISTEMA, "DOWNLOAD_CONCLUIDO", "processos", fechadas[e], processo_id=fechadas[e],
                            sha256_pdf=f.sha256)
