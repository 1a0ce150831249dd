"""Signals of invoices waiting for approval, read from the database: what the PDF's reading found (stored with the
execution that brought it) and earlier rejections (audit trail); the rules are ``domain.sinais``."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from beg_pipeline.db.models import Auditoria, Cliente, Execucao, Processo
from beg_pipeline.domain import formatos
from beg_pipeline.domain.execucao import StatusExecucao, TipoExecucao
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.domain.sinais import Bloqueio, Rejeicao, bloqueios_da_fatura
from beg_pipeline.services.contexto import Contexto

ACAO_REJEITAR = "REJEITAR"
_LOTE = 500  # ids per IN list: far below every backend's parameter limit
_ESPERA = StatusProcesso.AGUARDANDO_APROVACAO.value
_DECIDIDOS = (StatusProcesso.AGUARDANDO_ENVIO_SAT.value, StatusProcesso.UPLOAD_REALIZADO.value)


@dataclass(frozen=True)
class FaturaEmAnalise:
    processo_id: uuid.UUID
    mes_ano: str
    cnpj: str
    sha256: str | None
    chave: str | None


@dataclass
class SinaisDaFatura:
    bloqueios: list[Bloqueio] = field(default_factory=list)
    rejeitada_antes: Rejeicao | None = None  # the latest earlier rejection of this process
    conferencias: dict | None = None


def _lotes(itens: list) -> Iterable[list]:
    for i in range(0, len(itens), _LOTE):
        yield itens[i:i + _LOTE]


def _conferencias(s: Session, faturas: list[FaturaEmAnalise]) -> dict[uuid.UUID, dict]:
    """The reading stored with the execution that brought each process's current PDF (same object key)."""
    achadas: dict[uuid.UUID, dict] = {}
    for lote in _lotes([f.processo_id for f in faturas]):
        linhas = s.execute(
            select(Execucao.processo_id, Execucao.resultado_saida, Execucao.data_fim)
            .join(Processo, and_(Processo.id == Execucao.processo_id,
                                 Processo.fatura_s3_key == Execucao.url_arquivo_s3))
            .where(Execucao.processo_id.in_(lote), Execucao.status_execucao == StatusExecucao.CONCLUIDO.value,
                   Execucao.tipo_execucao.in_((TipoExecucao.DOWNLOAD_FATURA.value, TipoExecucao.UPLOAD_MANUAL.value)))
            .order_by(Execucao.data_fim)).all()
        for processo_id, resultado, _ in linhas:  # the latest wins
            achadas[processo_id] = resultado or {}
    return achadas


def _rejeicoes(s: Session, faturas: list[FaturaEmAnalise]) -> tuple[dict[str, Rejeicao], dict[uuid.UUID, Rejeicao]]:
    """The latest rejection of each SHA-256 and of each process among ``faturas``."""
    por_sha: dict[str, Rejeicao] = {}
    por_processo: dict[uuid.UUID, Rejeicao] = {}
    for lote in _lotes(faturas):
        shas = [f.sha256 for f in lote if f.sha256]
        linhas = s.execute(
            select(Auditoria.processo_id, Auditoria.sha256_pdf, Auditoria.ator, Auditoria.data, Auditoria.detalhes)
            .where(Auditoria.acao == ACAO_REJEITAR,
                   or_(Auditoria.processo_id.in_([f.processo_id for f in lote]), Auditoria.sha256_pdf.in_(shas)))
            .order_by(Auditoria.id)).all()
        for processo_id, sha, quem, quando, detalhes in linhas:
            rejeicao = Rejeicao(quem=quem, quando=quando, motivo=(detalhes or {}).get("motivo", ""), sha256=sha)
            if sha:
                por_sha[sha] = rejeicao
            if processo_id is not None:
                por_processo[processo_id] = rejeicao
    return por_sha, por_processo


def sinais_das_faturas(s: Session, faturas: list[FaturaEmAnalise]) -> dict[uuid.UUID, SinaisDaFatura]:
    """Blocking signals and the earlier rejection of each invoice, in a few queries whatever the count."""
    conferencias = _conferencias(s, faturas)
    por_sha, por_processo = _rejeicoes(s, faturas)
    resultado = {}
    for f in faturas:
        dados = conferencias.get(f.processo_id)
        resultado[f.processo_id] = SinaisDaFatura(
            bloqueios=bloqueios_da_fatura(mes_ano=f.mes_ano, cnpj=f.cnpj, conferencias=dados,
                                          rejeicao_do_pdf=por_sha.get(f.sha256) if f.sha256 else None),
            rejeitada_antes=por_processo.get(f.processo_id), conferencias=dados)
    return resultado


def decisoes_do_mes(ctx: Contexto, mes_ano: str, hoje: dt.date) -> dict:
    """Where people's decisions stand for a month: invoices waiting for approval (on time, overdue, blocked by a
    signal) and approved ones; ``retidas`` lists the overdue or blocked ones (what holds the month up)."""
    with ctx.db.leitura() as s:
        linhas = s.execute(
            select(Processo.id, Processo.status_processo, Processo.data_vencimento, Processo.fatura_sha256,
                   Processo.fatura_s3_key, Cliente.razao_social, Cliente.cnpj)
            .join(Cliente, Processo.cliente_id == Cliente.id)
            .where(Processo.mes_ano == mes_ano, Processo.status_processo.in_(_DECIDIDOS + (_ESPERA,)))).all()
        esperando = [r for r in linhas if r.status_processo == _ESPERA]
        achados = sinais_das_faturas(s, [FaturaEmAnalise(r.id, mes_ano, r.cnpj, r.fatura_sha256, r.fatura_s3_key)
                                         for r in esperando])
    contagem = {"aguardando": 0, "vencidas": 0, "bloqueadas": 0,
                "aprovadas": sum(r.status_processo in _DECIDIDOS for r in linhas)}
    retidas = []
    for r in esperando:
        bloqueios = achados[r.id].bloqueios
        vencida = r.data_vencimento is not None and r.data_vencimento < hoje
        contagem["aguardando"] += 1
        contagem["vencidas"] += vencida
        contagem["bloqueadas"] += bool(bloqueios)
        if vencida or bloqueios:
            retidas.append({"cliente": r.razao_social, "vencimento": formatos.data(r.data_vencimento),
                            "motivo": "; ".join([*(["vencida sem aprovação"] if vencida else []),
                                                 *(b.texto for b in bloqueios)])})
    return {**contagem, "retidas": retidas}
