"""``aprovacoes_sensor``: new approvals in the database launch the month's SAT upload run.

What it reads: the ``APROVADO`` rows of the ``eventos_processo`` table (``services.aprovacoes.aprovacoes_desde``),
which the approval transition writes in the same transaction as the status change. It never reads the audit
trail, so renaming an audit action cannot stop SAT uploads.

Cursor: ``eventos:<id>``, the last event handled. Before migration 0003 the cursor was a bare audit id; such a
cursor (or none) reads the events from the start. That is harmless: the migration carried over one event per
process still waiting for SAT, so this re-asks at most one run per month with waiting invoices, and an SAT run
uploads only what still waits. Run keys name the event (``…:evento:<id>``), so they never repeat a key of the
audit-id era that Dagster would skip as already launched.
"""

import dagster as dg

from beg_pipeline.domain.calendario import particao_de_mes_ano
from beg_pipeline.jobs import envios_sat_job
from beg_pipeline.resources import BancoResource
from beg_pipeline.services.aprovacoes import aprovacoes_desde

PREFIXO_CURSOR = "eventos:"


def ultimo_evento(cursor: str | None) -> int:
    """The last event id the cursor names; 0 for no cursor or an audit-id cursor from before migration 0003."""
    return int(cursor.removeprefix(PREFIXO_CURSOR)) if cursor and cursor.startswith(PREFIXO_CURSOR) else 0


@dg.sensor(job=envios_sat_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def aprovacoes_sensor(context: dg.SensorEvaluationContext, banco: BancoResource) -> dg.SensorResult:
    """One indexed query per tick; the run key names the newest approval event seen, so a repeated tick launches
    nothing."""
    cursor = ultimo_evento(context.cursor)
    novas = aprovacoes_desde(banco.contexto(), cursor)
    if not novas:
        return dg.SensorResult(skip_reason=dg.SkipReason(f"nenhuma aprovação nova após o evento #{cursor}"))
    ultimo_por_mes: dict[str, int] = {}
    for evento_id, mes_ano in novas:
        ultimo_por_mes[mes_ano] = evento_id
    pedidos = [dg.RunRequest(run_key=f"envios_sat:{particao_de_mes_ano(m)}:evento:{i}",
                             partition_key=particao_de_mes_ano(m), tags={"beg/aprovacoes_ate_evento": str(i)})
               for m, i in sorted(ultimo_por_mes.items())]
    return dg.SensorResult(run_requests=pedidos, cursor=f"{PREFIXO_CURSOR}{novas[-1][0]}")
