"""Missing invoices: processes still waiting for a download when, by the account's history, their invoice
usually has already arrived (its usual due date is near); listed for the queue and the monthly view, notified
once per process."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from beg_pipeline.db.models import Cliente, Operadora, Processo
from beg_pipeline.domain import calendario, formatos
from beg_pipeline.domain.prazos import fatura_em_falta, vencimento_previsto
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.services.notificacoes import TODOS, notificar


def faturas_faltando(ctx: Contexto, mes_ano: str, hoje: dt.date) -> list[dict]:
    """Processes of ``mes_ano`` in AGUARDANDO_DOWNLOAD whose usual due date is within the alert window or past,
    soonest first: ``{"processo_id", "cliente", "operadora", "previsto"}``."""
    mes = calendario.primeiro_dia(mes_ano)
    do_mes = (Processo.mes_ano == mes_ano, Processo.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value)
    with ctx.db.leitura() as s:
        esperando = s.execute(
            select(Processo.id, Processo.cliente_id, Cliente.razao_social, Operadora.codigo)
            .join(Cliente, Processo.cliente_id == Cliente.id).join(Operadora, Cliente.operadora_id == Operadora.id)
            .where(*do_mes)).all()
        clientes = select(Processo.cliente_id).where(*do_mes)
        historico = s.execute(select(Processo.cliente_id, Processo.mes_ano, Processo.data_vencimento)
                              .where(Processo.cliente_id.in_(clientes), Processo.data_vencimento.is_not(None),
                                     Processo.mes_ano != mes_ano)).all()
    por_cliente: dict = defaultdict(list)
    for cliente_id, outro_mes, vencimento in historico:
        por_cliente[cliente_id].append((calendario.primeiro_dia(outro_mes), vencimento))
    faltando = []
    for processo_id, cliente_id, cliente, operadora in esperando:
        previsto = vencimento_previsto(por_cliente.get(cliente_id, []), mes)
        if fatura_em_falta(previsto, hoje, ctx.settings.dias_uteis_alerta):
            faltando.append({"processo_id": processo_id, "cliente": cliente, "operadora": operadora,
                             "previsto": previsto})
    return sorted(faltando, key=lambda f: (f["previsto"], f["cliente"]))


def notificar_faturas_faltando(ctx: Contexto, mes_ano: str, hoje: dt.date) -> int:
    """One notification per missing invoice (the same process is notified once)."""
    criadas = 0
    for f in faturas_faltando(ctx, mes_ano, hoje):
        criadas += notificar(
            ctx, f"Fatura {mes_ano} de {f['cliente']} ainda não baixada",
            f"Pelo histórico, a fatura {mes_ano} de {f['cliente']} ({f['operadora']}) costuma vencer por volta de "
            f"{formatos.data(f['previsto'])} e ainda não foi baixada. Confira o portal da operadora ou faça o "
            "upload manual.", destinatario=TODOS, processo_id=f["processo_id"])
    return criadas
