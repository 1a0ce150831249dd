"""Blocking signals of an invoice waiting for approval: what its PDF says against its process (pure rules).

A blocking signal stops an approval unless the approver gives a reason; the override is audited. The texts carry
the numbers, so the approver sees why without opening the PDF.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from beg_pipeline.domain import formatos


class TipoBloqueio(str, enum.Enum):
    BOLETO_DIVERGENTE = "BOLETO_DIVERGENTE"
    MES_DIVERGENTE = "MES_DIVERGENTE"
    CNPJ_DIVERGENTE = "CNPJ_DIVERGENTE"
    PDF_JA_REJEITADO = "PDF_JA_REJEITADO"


@dataclass(frozen=True)
class Bloqueio:
    tipo: TipoBloqueio
    texto: str


@dataclass(frozen=True)
class Rejeicao:
    """An earlier rejection (from the audit trail)."""

    quem: str
    quando: dt.datetime
    motivo: str
    sha256: str | None


def _decimal(valor: Any) -> Decimal | None:
    try:
        return None if valor is None else Decimal(str(valor))
    except InvalidOperation:
        return None


def texto_rejeicao(rejeicao: Rejeicao) -> str:
    return f"rejeitada por {rejeicao.quem} em {formatos.data_hora(rejeicao.quando)}: {rejeicao.motivo}"


def bloqueios_da_fatura(*, mes_ano: str, cnpj: str, conferencias: dict[str, Any] | None,
                        rejeicao_do_pdf: Rejeicao | None = None) -> list[Bloqueio]:
    """The blocking signals of an invoice of process ``mes_ano`` for client ``cnpj``.

    ``conferencias`` is what the reader extracted from the PDF (``faturas.leitura.conferencias``), None when
    unknown (nothing is flagged for what was not read); ``rejeicao_do_pdf`` an earlier rejection of the same
    SHA-256.
    """
    achados = []
    dados = conferencias or {}
    boleto, total = _decimal(dados.get("valor_boleto")), _decimal(dados.get("valor_pdf"))
    if boleto is not None and total is not None and boleto != total:
        achados.append(Bloqueio(TipoBloqueio.BOLETO_DIVERGENTE,
                                f"boleto de {formatos.moeda(boleto)} ≠ total da fatura {formatos.moeda(total)}"))
    referencia = dados.get("mes_referencia")
    if referencia and referencia != mes_ano:
        achados.append(Bloqueio(TipoBloqueio.MES_DIVERGENTE,
                                f"PDF de referência {referencia}, processo de {mes_ano}"))
    cnpjs = dados.get("cnpjs_pdf") or []
    if cnpjs and cnpj not in cnpjs:
        achados.append(Bloqueio(TipoBloqueio.CNPJ_DIVERGENTE,
                                f"CNPJ do PDF {', '.join(formatos.cnpj(c) for c in cnpjs)} ≠ cliente "
                                f"{formatos.cnpj(cnpj)}"))
    if rejeicao_do_pdf is not None:
        achados.append(Bloqueio(TipoBloqueio.PDF_JA_REJEITADO,
                                f"mesmo PDF de uma fatura já {texto_rejeicao(rejeicao_do_pdf)}"))
    return achados


def justificativa_de_aprovacao(texto: str | None, bloqueios: list[Bloqueio]) -> str | None:
    """The reason an approver gives to approve despite ``bloqueios``; None when nothing blocks.

    Raises ``ValueError`` (the message lists the signals) when something blocks and no usable reason was given.
    """
    if not bloqueios:
        return None
    justificativa = (texto or "").strip()
    if len(justificativa) < 5:
        raise ValueError("Aprovação bloqueada: " + "; ".join(b.texto for b in bloqueios)
                         + ". Confira o PDF; para aprovar mesmo assim, informe uma justificativa "
                           "(pelo menos 5 caracteres).")
    return justificativa
