"""Blocking signals on the approval queue: the approval carries the PDF it was shown, a wrong month / CNPJ /
boleto or an already rejected PDF blocks it unless overridden with a reason (audited), rejections are remembered."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from beg_pipeline.db.models import Auditoria
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.domain.sinais import TipoBloqueio
from beg_pipeline.faturas.pdf_fatura import DadosFatura, gerar_pdf_fatura
from beg_pipeline.services import aprovacoes, fila_aprovacao, processos, upload_manual
from beg_pipeline.services.contexto import RegraViolada
from tests.app_fixtures import baixar_fatura
from tests.builders import mes_com_processos, pessoa, visto

HOJE = dt.date(2026, 12, 1)


def _dados(processo, **mudancas) -> DadosFatura:
    cliente = processo.cliente
    dados = DadosFatura(cliente.operadora.nome, cliente.razao_social, cliente.cnpj, processo.mes_ano,
                        Decimal("4959.85"), dt.date(2026, 12, 10), cliente.filtro)
    return dataclasses.replace(dados, **mudancas)


def _item(ctx, ator, processo_id) -> fila_aprovacao.ItemFila:
    return next(i for i in fila_aprovacao.fila_de_aprovacao(ctx, ator, hoje=HOJE) if i.processo_id == processo_id)


def _ultima_aprovacao(ctx) -> Auditoria:
    with ctx.db.leitura() as s:
        return s.scalars(select(Auditoria).where(Auditoria.acao == "APROVAR").order_by(Auditoria.id.desc())).first()


@pytest.fixture
def gente(ctx):
    return {"a": pessoa(ctx, Perfil.APROVADOR, "a@beg.com.br"), "b": pessoa(ctx, Perfil.APROVADOR, "b@beg.com.br"),
            "op": pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")}


def test_a_stale_approval_never_approves_the_invoice_that_replaced_it(ctx, store, gente):
    processo = mes_com_processos(ctx, 1)[0]
    baixar_fatura(ctx, store, processo, Decimal("4959.85"), dt.date(2026, 12, 10))
    na_tela_de_a = _item(ctx, gente["a"], processo.id)
    assert na_tela_de_a.valor == Decimal("4959.85") and na_tela_de_a.sha256
    aprovacoes.rejeitar(ctx, gente["b"], processo.id, "valor errado")
    upload_manual.enviar_fatura_manual(ctx, gente["op"], store, processo.id,
                                       gerar_pdf_fatura(_dados(processo, valor=Decimal("99999.99"))), "nova.pdf")
    with pytest.raises(RegraViolada, match="mudou"):
        aprovacoes.aprovar(ctx, gente["a"], processo.id, sha256=na_tela_de_a.sha256)
    lote = aprovacoes.aprovar_em_lote(ctx, gente["a"], [processo.id], sha256={processo.id: na_tela_de_a.sha256})
    assert not lote.aprovados and "mudou" in lote.recusados[0][1]
    atual = processos.obter_processo(ctx, processo.id)
    assert atual.status_processo == "AGUARDANDO_APROVACAO" and atual.valor_fatura == Decimal("99999.99")
    aprovacoes.aprovar(ctx, gente["a"], processo.id, sha256=visto(ctx, processo.id))  # what is on screen now
    assert processos.obter_processo(ctx, processo.id).status_processo == "AGUARDANDO_ENVIO_SAT"


def test_wrong_month_and_cnpj_block_a_manual_upload_until_overridden_with_a_reason(ctx, store, gente):
    processo = mes_com_processos(ctx, 1)[0]  # 11/2026
    pdf = gerar_pdf_fatura(_dados(processo, mes_ano="10/2026", cnpj="11222333000181"))
    upload_manual.enviar_fatura_manual(ctx, gente["op"], store, processo.id, pdf, "outubro.pdf")
    item = _item(ctx, gente["a"], processo.id)
    assert [b.tipo for b in item.bloqueios] == [TipoBloqueio.MES_DIVERGENTE, TipoBloqueio.CNPJ_DIVERGENTE]
    assert item.bloqueios[0].texto == "PDF de referência 10/2026, processo de 11/2026"
    assert "11.222.333/0001-81" in item.bloqueios[1].texto
    assert item.sinais[0] == "⛔ PDF de referência 10/2026, processo de 11/2026"
    for sem_motivo in (None, "  ", "ok"):
        with pytest.raises(RegraViolada, match="Aprovação bloqueada: PDF de referência 10/2026"):
            aprovacoes.aprovar(ctx, gente["a"], processo.id, sha256=item.sha256, justificativa=sem_motivo)
    lote = aprovacoes.aprovar_em_lote(ctx, gente["a"], [processo.id], sha256={processo.id: item.sha256})
    assert not lote.aprovados and "justificativa" in lote.recusados[0][1]
    assert processos.obter_processo(ctx, processo.id).status_processo == "AGUARDANDO_APROVACAO"

    aprovacoes.aprovar(ctx, gente["a"], processo.id, sha256=item.sha256,
                       justificativa="Operadora emite com competência anterior; confirmado por telefone")
    assert processos.obter_processo(ctx, processo.id).status_processo == "AGUARDANDO_ENVIO_SAT"
    auditada = _ultima_aprovacao(ctx)
    assert auditada.ator == "a@beg.com.br" and auditada.sha256_pdf == item.sha256
    assert auditada.detalhes["justificativa"].startswith("Operadora emite")
    assert auditada.detalhes["sinais"] == ["MES_DIVERGENTE", "CNPJ_DIVERGENTE"]
    assert auditada.detalhes["bloqueios"] == [b.texto for b in item.bloqueios]


def test_a_boleto_that_disagrees_with_the_total_shows_both_numbers_and_blocks(ctx, store, gente):
    processo = mes_com_processos(ctx, 1)[0]
    baixar_fatura(ctx, store, processo, Decimal("4959.85"), dt.date(2026, 12, 10),
                  gerar_pdf_fatura(_dados(processo, valor_boleto=Decimal("5959.85"))))
    item = _item(ctx, gente["a"], processo.id)
    assert [b.texto for b in item.bloqueios] == ["boleto de R$ 5.959,85 ≠ total da fatura R$ 4.959,85"]
    assert (item.conferencias["valor_boleto"], item.conferencias["valor_pdf"]) == ("5959.85", "4959.85")
    with pytest.raises(RegraViolada, match="boleto de R\\$ 5.959,85"):
        aprovacoes.aprovar(ctx, gente["a"], processo.id, sha256=item.sha256)
    coerente = mes_com_processos(ctx, 2)[1]
    baixar_fatura(ctx, store, coerente, Decimal("4959.85"), dt.date(2026, 12, 10))
    assert _item(ctx, gente["a"], coerente.id).bloqueios == []
    aprovacoes.aprovar(ctx, gente["a"], coerente.id, sha256=visto(ctx, coerente.id))  # nothing blocks: no reason
    assert "justificativa" not in _ultima_aprovacao(ctx).detalhes


def test_a_rejection_is_remembered_and_the_same_pdf_coming_back_is_blocked(ctx, store, gente):
    processo = mes_com_processos(ctx, 1)[0]
    pdf = baixar_fatura(ctx, store, processo, Decimal("4959.85"), dt.date(2026, 12, 10))
    assert _item(ctx, gente["a"], processo.id).rejeitada_antes is None
    aprovacoes.rejeitar(ctx, gente["b"], processo.id, "fatura de outra filial")
    baixar_fatura(ctx, store, processo, Decimal("4959.85"), dt.date(2026, 12, 10), pdf)  # the robot brings it back
    item = _item(ctx, gente["a"], processo.id)
    assert [b.tipo for b in item.bloqueios] == [TipoBloqueio.PDF_JA_REJEITADO]
    assert "rejeitada por b@beg.com.br" in item.bloqueios[0].texto
    assert "fatura de outra filial" in item.bloqueios[0].texto
    with pytest.raises(RegraViolada, match="já rejeitada por b@beg.com.br"):
        aprovacoes.aprovar(ctx, gente["a"], processo.id, sha256=item.sha256)

    aprovacoes.rejeitar(ctx, gente["a"], processo.id, "continua errada")
    baixar_fatura(ctx, store, processo, Decimal("4960.00"), dt.date(2026, 12, 10))  # a new PDF: not blocked
    item = _item(ctx, gente["a"], processo.id)
    assert item.bloqueios == []
    assert item.rejeitada_antes.quem == "a@beg.com.br" and item.rejeitada_antes.motivo == "continua errada"
    assert any(s.startswith("já rejeitada por a@beg.com.br") and "continua errada" in s for s in item.sinais)
