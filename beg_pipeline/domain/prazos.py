"""Due dates: overdue, due within 3 business days, on time (weekends skipped; holidays not modelled)."""

from __future__ import annotations

import calendar
import datetime as dt
import enum

DIAS_UTEIS_DE_ALERTA = 3


class SituacaoVencimento(str, enum.Enum):
    VENCIDA = "VENCIDA"
    VENCE_EM_BREVE = "VENCE_EM_BREVE"
    NO_PRAZO = "NO_PRAZO"
    SEM_VENCIMENTO = "SEM_VENCIMENTO"


def somar_dias_uteis(dia: dt.date, n: int) -> dt.date:
    while n > 0:
        dia += dt.timedelta(days=1)
        if dia.weekday() < 5:
            n -= 1
    return dia


def situacao_vencimento(vencimento: dt.date | None, hoje: dt.date,
                        dias_alerta: int = DIAS_UTEIS_DE_ALERTA) -> SituacaoVencimento:
    if vencimento is None:
        return SituacaoVencimento.SEM_VENCIMENTO
    if vencimento < hoje:
        return SituacaoVencimento.VENCIDA
    if vencimento <= somar_dias_uteis(hoje, dias_alerta):
        return SituacaoVencimento.VENCE_EM_BREVE
    return SituacaoVencimento.NO_PRAZO


def vencimento_previsto(historico: list[tuple[dt.date, dt.date]], mes: dt.date) -> dt.date | None:
    """When the invoice of month ``mes`` (its first day) should fall due, from the account's history of
    ``(first day of the month, due date)`` of earlier months: the usual day (median) in the usual month after it.

    None with fewer than 2 earlier invoices (no habit yet).
    """
    anteriores = [(12 * (v.year - m.year) + v.month - m.month, v.day) for m, v in historico if m < mes]
    if len(anteriores) < 2:
        return None
    meio = (len(anteriores) - 1) // 2  # lower median: a value that happened
    distancia = sorted(d for d, _ in anteriores)[meio]
    dia = sorted(d for _, d in anteriores)[meio]
    ano, mes_numero = divmod(12 * mes.year + mes.month - 1 + distancia, 12)
    ultimo = calendar.monthrange(ano, mes_numero + 1)[1]
    return dt.date(ano, mes_numero + 1, min(dia, ultimo))


def fatura_em_falta(previsto: dt.date | None, hoje: dt.date, dias_alerta: int = DIAS_UTEIS_DE_ALERTA) -> bool:
    """An invoice not downloaded yet is missing once its usual due date is within ``dias_alerta`` business days
    (or past): flagged before it becomes overdue."""
    return previsto is not None and previsto <= somar_dias_uteis(hoje, dias_alerta)
