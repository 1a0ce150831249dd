"""Approver decisions: approve one invoice or many, reject with a reason; and the approval events SAT runs follow."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from beg_pipeline.db.models import Evento, Processo, agora
from beg_pipeline.domain import formatos
from beg_pipeline.domain.perfis import Ator, Permissao
from beg_pipeline.domain.politica_tentativas import RECOMECO_DOWNLOAD
from beg_pipeline.domain.processo import (
    AcaoProcesso,
    EventoProcesso,
    TransicaoInvalida,
    dados_da_fatura,
    motivo_rejeicao,
    transicao,
)
from beg_pipeline.domain.sinais import justificativa_de_aprovacao
from beg_pipeline.services import auditoria, sinais
from beg_pipeline.services.contexto import Contexto, NaoEncontrado, RegraViolada
from beg_pipeline.services.processos import _carregar, _transitar  # the package's one status-change path

PREFIXO_REJEICAO = "Rejeitada por"  # the note a rejection leaves on the process



def aprovar(ctx: Contexto, ator: Ator, processo_id: uuid.UUID, valor: Decimal | None = None,
            vencimento: dt.date | None = None, *, sha256: str, justificativa: str | None = None) -> None:
    """AGUARDANDO_APROVACAO → AGUARDANDO_ENVIO_SAT; one approval, one audit row and one ``APROVADO`` event,
    however many clicks. The invoice must have an amount and a due date: ``valor`` / ``vencimento`` supply the ones
    it lacks (a scanned upload), recorded with the approval; changing one it has is a correction
    (``acoes_processo``).

    ``sha256`` is the PDF the approver was shown: the update requires it, so an invoice replaced in the meantime
    is never approved unseen. A blocking signal (``domain.sinais``) refuses the approval unless ``justificativa``
    is given; the override and the signals it overrode are audited.
    """
    ator.exigir(Permissao.APROVAR)
    with ctx.db.transacao() as s:
        processo = _carregar(s, processo_id)
        transicao(AcaoProcesso.APROVAR, processo.status_processo, str(processo_id))
        if processo.fatura_sha256 != sha256:
            raise RegraViolada(f"A fatura deste processo mudou desde que você a abriu (agora "
                               f"{formatos.moeda(processo.valor_fatura)}): recarregue a página e confira o PDF novo.")
        informados = {k: v for k, v in (("valor_fatura", valor), ("data_vencimento", vencimento)) if v is not None}
        if any(getattr(processo, k) not in (None, v) for k, v in informados.items()):
            raise RegraViolada("A fatura já tem valor e vencimento; para mudá-los use \"Corrigir valor e vencimento\" "
                               "na página do processo, com o motivo.")
        try:
            dados_da_fatura(valor if valor is not None else processo.valor_fatura,
                            vencimento or processo.data_vencimento, processo.mes_ano)
        except ValueError as exc:
            raise RegraViolada(str(exc)) from None
        enviou = processo.upload_manual and processo.upload_manual_por_usuario_id == ator.usuario_id
        if ctx.settings.quatro_olhos and enviou:
            raise RegraViolada(
                "Regra dos quatro olhos: quem enviou a fatura manualmente não pode aprová-la; peça a outro aprovador."
            )
        fatura = sinais.FaturaEmAnalise(processo_id, processo.mes_ano, processo.cliente.cnpj, processo.fatura_sha256,
                                        processo.fatura_s3_key)
        bloqueios = sinais.sinais_das_faturas(s, [fatura])[processo_id].bloqueios
        try:
            motivo = justificativa_de_aprovacao(justificativa, bloqueios)
        except ValueError as exc:  # unless the process was decided meanwhile (e.g. this very PDF just rejected)
            atual = s.scalar(select(Processo.status_processo).where(Processo.id == processo_id))
            transicao(AcaoProcesso.APROVAR, atual, str(processo_id))
            raise RegraViolada(str(exc)) from None
        _transitar(s, AcaoProcesso.APROVAR, processo_id, onde=(Processo.fatura_sha256 == sha256,),
                   aprovado_por_usuario_id=ator.usuario_id, data_aprovacao=agora(), **informados)
        detalhes = {"valor_fatura": str(valor if valor is not None else processo.valor_fatura),
                    "mes_ano": processo.mes_ano}
        if informados:
            detalhes |= {"informado_na_aprovacao": {k: str(v) for k, v in informados.items()},
                         "antes": {"valor_fatura": str(processo.valor_fatura),
                                   "data_vencimento": str(processo.data_vencimento)}}
        if motivo:
            detalhes |= {"justificativa": motivo, "bloqueios": [b.texto for b in bloqueios],
                         "sinais": [b.tipo.value for b in bloqueios]}
        auditoria.registrar(s, ator, "APROVAR", "processos", processo_id, processo_id=processo_id,
                            sha256_pdf=processo.fatura_sha256, detalhes=detalhes)


@dataclass
class ResultadoLote:
    aprovados: list[uuid.UUID] = field(default_factory=list)
    recusados: list[tuple[uuid.UUID, str]] = field(default_factory=list)


def aprovar_em_lote(ctx: Contexto, ator: Ator, processo_ids: list[uuid.UUID], *,
                    sha256: Mapping[uuid.UUID, str]) -> ResultadoLote:
    """Approve each selected process on its own, each with the PDF (``sha256[id]``) the approver was shown: one
    refusal (already approved, four eyes, a blocking signal, a replaced PDF) never blocks the rest. Blocked
    invoices are approved one by one, with a reason."""
    ator.exigir(Permissao.APROVAR)
    resultado = ResultadoLote()
    for processo_id in dict.fromkeys(processo_ids):
        try:
            if not sha256.get(processo_id):
                raise RegraViolada("Sem o SHA-256 da fatura exibida: recarregue a fila.")
            aprovar(ctx, ator, processo_id, sha256=sha256[processo_id])
        except (TransicaoInvalida, RegraViolada, NaoEncontrado) as exc:
            resultado.recusados.append((processo_id, str(exc)))
        else:
            resultado.aprovados.append(processo_id)
    return resultado


def rejeitar(ctx: Contexto, ator: Ator, processo_id: uuid.UUID, motivo: str) -> None:
    """AGUARDANDO_APROVACAO → AGUARDANDO_DOWNLOAD with a reason; the approval and attempt count are cleared."""
    ator.exigir(Permissao.REJEITAR)
    motivo = motivo_rejeicao(motivo)
    with ctx.db.transacao() as s:
        processo = _carregar(s, processo_id)
        _transitar(s, AcaoProcesso.REJEITAR, processo_id, aprovado_por_usuario_id=None, data_aprovacao=None,
                   **RECOMECO_DOWNLOAD, observacoes=f"{PREFIXO_REJEICAO} {ator.email}: {motivo}")
        auditoria.registrar(s, ator, sinais.ACAO_REJEITAR, "processos", processo_id, processo_id=processo_id,
                            sha256_pdf=processo.fatura_sha256, detalhes={"motivo": motivo})


def aprovacoes_desde(ctx: Contexto, cursor: int, limite: int = 50_000) -> list[tuple[int, str]]:
    """``(eventos_processo.id, mes_ano)`` of the ``APROVADO`` events after ``cursor``, oldest first (one query on
    the ``(tipo, id)`` index). The audit trail is not read: its action texts may change freely."""
    with ctx.db.leitura() as s:
        return [tuple(r) for r in s.execute(
            select(Evento.id, Evento.mes_ano)
            .where(Evento.tipo == EventoProcesso.APROVADO.value, Evento.id > cursor)
            .order_by(Evento.id).limit(limite))]
