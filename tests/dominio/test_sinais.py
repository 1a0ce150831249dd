"""Pure rules of the blocking signals: what is flagged, with which numbers, and when a reason is enough."""

from __future__ import annotations

import datetime as dt

import pytest

from beg_pipeline.domain.sinais import (
    Bloqueio,
    Rejeicao,
    TipoBloqueio,
    bloqueios_da_fatura,
    justificativa_de_aprovacao,
)

CNPJ = "84718741000100"
COERENTE = {"valor_pdf": "100.00", "valor_boleto": "100.00", "mes_referencia": "11/2026", "cnpjs_pdf": [CNPJ]}


def _tipos(conferencias, rejeicao=None) -> list[TipoBloqueio]:
    return [b.tipo for b in bloqueios_da_fatura(mes_ano="11/2026", cnpj=CNPJ, conferencias=conferencias,
                                                rejeicao_do_pdf=rejeicao)]


def test_a_coherent_or_unread_invoice_has_no_blocking_signal():
    assert _tipos(COERENTE) == []
    assert _tipos(None) == []  # nothing read, nothing claimed
    assert _tipos({"valor_pdf": "100.00", "valor_boleto": None, "mes_referencia": None, "cnpjs_pdf": []}) == []
    assert _tipos({**COERENTE, "cnpjs_pdf": ["33000118000179", CNPJ]}) == []  # the carrier's CNPJ may be there too


@pytest.mark.parametrize(("mudanca", "tipo", "texto"), [
    ({"valor_boleto": "100.01"}, TipoBloqueio.BOLETO_DIVERGENTE, "boleto de R$ 100,01 ≠ total da fatura R$ 100,00"),
    ({"mes_referencia": "01/2026"}, TipoBloqueio.MES_DIVERGENTE, "PDF de referência 01/2026, processo de 11/2026"),
    ({"cnpjs_pdf": ["11222333000181"]}, TipoBloqueio.CNPJ_DIVERGENTE,
     "CNPJ do PDF 11.222.333/0001-81 ≠ cliente 84.718.741/0001-00"),
])
def test_each_mismatch_is_flagged_with_its_numbers(mudanca, tipo, texto):
    [bloqueio] = bloqueios_da_fatura(mes_ano="11/2026", cnpj=CNPJ, conferencias={**COERENTE, **mudanca})
    assert bloqueio == Bloqueio(tipo, texto)


def test_an_already_rejected_pdf_says_who_when_and_why():
    rejeicao = Rejeicao("b@beg.com.br", dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC), "outra filial", "ab" * 32)
    [bloqueio] = bloqueios_da_fatura(mes_ano="11/2026", cnpj=CNPJ, conferencias=COERENTE, rejeicao_do_pdf=rejeicao)
    assert bloqueio.tipo is TipoBloqueio.PDF_JA_REJEITADO
    assert bloqueio.texto == "mesmo PDF de uma fatura já rejeitada por b@beg.com.br em 20/11/2026 12:30: outra filial"


def test_a_reason_is_needed_only_when_something_blocks():
    bloqueios = bloqueios_da_fatura(mes_ano="11/2026", cnpj=CNPJ, conferencias={**COERENTE, "valor_boleto": "1.00"})
    assert justificativa_de_aprovacao("qualquer", []) is None
    for vazia in (None, "", "    ", "abc"):
        with pytest.raises(ValueError, match="Aprovação bloqueada: boleto de R\\$ 1,00"):
            justificativa_de_aprovacao(vazia, bloqueios)
    assert justificativa_de_aprovacao("  conferido com a operadora  ", bloqueios) == "conferido com a operadora"
