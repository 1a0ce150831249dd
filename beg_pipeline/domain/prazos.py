"""Due dates: overdue, due within 3 business days, on time (weekends skipped; holidays not modelled)."""

from __future__ import annotations

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
