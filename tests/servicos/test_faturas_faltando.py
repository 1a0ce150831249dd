"""Missing invoices: from each account's history, an invoice not downloaded by its usual due date (minus the alert
window) is listed and notified once, before it becomes overdue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from beg_pipeline.domain.prazos import fatura_em_falta, vencimento_previsto
from beg_pipeline.services import faturas_faltando, notificacoes
from tests.app_fixtures import historico
from tests.builders import mes_com_processos

NOV = dt.date(2026, 11, 1)


def test_the_usual_due_date_is_the_median_day_in_the_usual_month():
    assert vencimento_previsto([], NOV) is None
    assert vencimento_previsto([(dt.date(2026, 10, 1), dt.date(2026, 11, 10))], NOV) is None  # one is no habit
    meses = [(dt.date(2026, 8, 1), dt.date(2026, 9, 8)), (dt.date(2026, 9, 1), dt.date(2026, 10, 12)),
             (dt.date(2026, 10, 1), dt.date(2026, 11, 9)),
             (dt.date(2026, 12, 1), dt.date(2026, 12, 2))]  # a later month: ignored
    assert vencimento_previsto(meses, NOV) == dt.date(2026, 12, 9)  # the next month, days 8, 12, 9: the 9th
    fim_do_mes = [(dt.date(2026, 9, 1), dt.date(2026, 9, 30)), (dt.date(2026, 10, 1), dt.date(2026, 10, 31))]
    assert vencimento_previsto(fim_do_mes, dt.date(2027, 2, 1)) == dt.date(2027, 2, 28)  # same month, clamped
    assert fatura_em_falta(dt.date(2026, 12, 9), dt.date(2026, 12, 4), 3)  # Fri + 3 business days = Wed 9th
    assert not fatura_em_falta(dt.date(2026, 12, 9), dt.date(2026, 12, 3), 3)
    assert not fatura_em_falta(None, dt.date(2026, 12, 31), 3)


def test_a_late_invoice_is_listed_and_notified_once(ctx, store):
    atrasado, novo = mes_com_processos(ctx, n_clientes=2)  # 11/2026, waiting for a download
    historico(ctx, store, atrasado, [Decimal("100.00"), Decimal("101.00")])  # due on the 10th of its month
    assert faturas_faltando.faturas_faltando(ctx, "11/2026", dt.date(2026, 11, 4)) == []
    [faltando] = faturas_faltando.faturas_faltando(ctx, "11/2026", dt.date(2026, 11, 5))
    assert (faltando["processo_id"], faltando["previsto"]) == (atrasado.id, dt.date(2026, 11, 10))
    assert faltando["cliente"] == atrasado.cliente.razao_social  # the client without history is not guessed
    assert faturas_faltando.notificar_faturas_faltando(ctx, "11/2026", dt.date(2026, 11, 5)) == 1
    assert faturas_faltando.notificar_faturas_faltando(ctx, "11/2026", dt.date(2026, 11, 6)) == 0
    [aviso] = [n for n in notificacoes.todas(ctx) if n.processo_id == atrasado.id]
    assert "ainda não baixada" in aviso.assunto and "10/11/2026" in aviso.mensagem
