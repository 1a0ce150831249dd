"""Signals of invoices waiting for approval, read from the database: what the PDF's reading found (stored with the
execution that brought it) and earlier rejections (audit trail); the rules are ``domain.sinais``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from beg_pipeline.db.models import Auditoria, Execucao, Processo
from beg_pipeline.domain.execucao import StatusExecucao, TipoExecucao
from beg_pipeline.domain.sinais import Bloqueio, Rejeicao, bloqueios_da_fatura

ACAO_REJEITAR = "REJEITAR"
_LOTE = 500  # ids per IN list: far below every backend's parameter limit


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
